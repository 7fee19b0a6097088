// The confusion matrix as a heatmap table: rows are the true class, columns the predicted class, in the order
// of `classes`. Each cell shows its count and its share of the row (the true class), colour on a single-hue
// scale, the diagonal outlined; the toggle chooses which number leads and what the colour encodes.

import { h } from './dom.js';
import { count, pct, DASH } from './format.js';
import { shade, scaleGradient } from './charts.js';

export const COUNTS = 'counts';
export const PERCENT = 'percent';

function toggle(mode, onMode) {
  const button = (value, label) => h('button', {
    type: 'button', class: 'seg', 'aria-pressed': String(mode === value), dataset: { focus: `cells:${value}` },
    onclick: () => onMode(value),
  }, label);
  return h('div', { class: 'segmented', role: 'group', 'aria-label': 'Cell values' },
    button(COUNTS, 'Counts'), button(PERCENT, 'Row %'));
}

function legend(mode, max) {
  const bar = h('span', { class: 'legend-bar' });
  bar.style.backgroundImage = scaleGradient(); // CSSOM, which the page's CSP allows (style attributes it does not)
  return h('div', { class: 'legend', 'aria-hidden': 'true' },
    h('span', { text: mode === PERCENT ? '0 %' : '1' }), bar, h('span', { text: mode === PERCENT ? '100 % of the true class' : `${count(max)} rows` }));
}

/** The heatmap panel's body: toggle, legend and the matrix table. */
export function confusionHeatmap(matrix, classes, mode, onMode) {
  const n = matrix.length;
  const rowTotals = matrix.map(r => r.reduce((a, b) => a + b, 0));
  const colTotals = classes.slice(0, n).map((_, j) => matrix.reduce((a, r) => a + (r[j] ?? 0), 0));
  const total = rowTotals.reduce((a, b) => a + b, 0);
  const max = Math.max(1, ...matrix.flat());
  const name = i => classes[i] ?? `#${i}`;

  const cell = (i, j) => {
    const c = matrix[i][j] ?? 0;
    const share = rowTotals[i] > 0 ? c / rowTotals[i] : null;
    const td = h('td', {
      class: ['cell', i === j ? 'diag' : '', c === 0 ? 'zero' : ''].join(' ').trim(),
      dataset: { row: String(i), col: String(j), count: String(c) },
      title: `true ${name(i)}, predicted ${name(j)}: ${count(c)} rows (${share == null ? DASH : pct(share)} of true ${name(i)})`,
    });
    if (c > 0) {
      const t = mode === PERCENT ? share : c / max;
      const s = shade(0.12 + 0.88 * t); // non-zero cells never look like empty ones
      td.style.backgroundColor = s.colour;
      if (s.light) td.classList.add('light');
    }
    const countText = h('span', { class: 'cell-count', text: count(c) });
    const shareText = h('span', { class: 'cell-share', text: share == null ? DASH : pct(share, share > 0 && share < 0.1 ? 1 : 0) });
    td.append(...(mode === PERCENT ? [shareText, countText] : [countText, shareText]));
    return td;
  };

  const table = h('table', { class: `matrix matrix-${mode}`, dataset: { classes: String(n) } },
    h('caption', { class: 'visually-hidden', text: 'Confusion matrix: rows are the true class, columns the predicted class.' }),
    h('thead', null,
      h('tr', null,
        h('td', { class: 'corner', colspan: 2, rowspan: 2 }),
        h('th', { class: 'axis-x', colspan: n, scope: 'colgroup', text: 'Predicted class →' }),
        h('th', { class: 'total-head', rowspan: 2, scope: 'col', text: 'True total' })),
      h('tr', null, classes.slice(0, n).map((c, j) => h('th', { scope: 'col', class: 'cls col-cls', title: c, dataset: { col: String(j) }, text: c })))),
    h('tbody', null, matrix.map((r, i) => h('tr', null,
      i === 0 ? h('th', { class: 'axis-y', rowspan: n, scope: 'rowgroup' }, h('span', { text: 'True class ↓' })) : null,
      h('th', { scope: 'row', class: 'cls row-cls', title: name(i), dataset: { row: String(i) }, text: name(i) }),
      r.map((_, j) => cell(i, j)),
      h('td', { class: 'total', text: count(rowTotals[i]) })))),
    h('tfoot', null, h('tr', null,
      h('th', { colspan: 2, scope: 'row', class: 'total-head', text: 'Predicted total' }),
      colTotals.map(c => h('td', { class: 'total', text: count(c) })),
      h('td', { class: 'total grand', text: count(total) }))));

  return h('div', { class: 'heatmap' },
    h('div', { class: 'panel-tools' }, toggle(mode, onMode), legend(mode, max)),
    h('div', { class: 'matrix-wrap', tabindex: 0, 'aria-label': 'Confusion matrix (scrolls when wide)' }, table),
    h('p', { class: 'muted note' }, 'Outlined: the diagonal (correct predictions). Hover a cell for its figures.'));
}
