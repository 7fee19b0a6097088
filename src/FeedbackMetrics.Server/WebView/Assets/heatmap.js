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

/** Classes drawn at most: past it, the classes with the most rows (true or predicted) are shown, and the panel says so. */
const MAX_CLASSES = 60;

/** Cells carry both numbers up to this many classes; past it only the leading one (the other is in the tooltip). */
const ROOMY_CLASSES = 12;

/** The heatmap panel's body: toggle, legend and the matrix table. */
export function confusionHeatmap(matrix, classes, mode, onMode) {
  const n = matrix.length;
  const rowTotals = matrix.map(r => r.reduce((a, b) => a + b, 0));
  const colTotals = [...Array(n).keys()].map(j => matrix.reduce((a, r) => a + (r[j] ?? 0), 0));
  const total = rowTotals.reduce((a, b) => a + b, 0);
  let shown = [...Array(n).keys()];
  if (n > MAX_CLASSES) {
    const weight = i => rowTotals[i] + colTotals[i];
    shown = shown.sort((a, b) => weight(b) - weight(a) || a - b).slice(0, MAX_CLASSES).sort((a, b) => a - b);
  }
  const max = Math.max(1, ...shown.flatMap(i => shown.map(j => matrix[i][j] ?? 0)));
  const name = i => classes[i] ?? `#${i}`;
  const compact = shown.length > ROOMY_CLASSES;

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
    const both = mode === PERCENT ? [shareText, countText] : [countText, shareText];
    td.append(...(compact ? both.slice(0, 1) : both));
    return td;
  };

  const table = h('table', { class: `matrix matrix-${mode}${compact ? ' matrix-compact' : ''}`, dataset: { classes: String(shown.length) } },
    h('caption', { class: 'visually-hidden', text: 'Confusion matrix: rows are the true class, columns the predicted class.' }),
    h('thead', null,
      h('tr', null,
        h('td', { class: 'corner', colspan: 2, rowspan: 2 }),
        h('th', { class: 'axis-x', colspan: shown.length, scope: 'colgroup', text: 'Predicted class →' }),
        h('th', { class: 'total-head', rowspan: 2, scope: 'col', text: 'True total' })),
      h('tr', null, shown.map(j => h('th', { scope: 'col', class: 'cls col-cls', title: name(j), dataset: { col: String(j) } }, h('span', { text: name(j) }))))),
    h('tbody', null, shown.map((i, k) => h('tr', null,
      k === 0 ? h('th', { class: 'axis-y', rowspan: shown.length, scope: 'rowgroup' }, h('span', { text: 'True class ↓' })) : null,
      h('th', { scope: 'row', class: 'cls row-cls', title: name(i), dataset: { row: String(i) }, text: name(i) }),
      shown.map(j => cell(i, j)),
      h('td', { class: 'total', text: count(rowTotals[i]) })))),
    h('tfoot', null, h('tr', null,
      h('th', { colspan: 2, scope: 'row', class: 'total-head', text: 'Predicted total' }),
      shown.map(j => h('td', { class: 'total', text: count(colTotals[j]) })),
      h('td', { class: 'total grand', text: count(total) }))));

  return h('div', { class: 'heatmap' },
    h('div', { class: 'panel-tools' }, toggle(mode, onMode), legend(mode, max)),
    shown.length < n ? h('p', { class: 'note', text: `${count(n)} classes: showing the ${shown.length} with the most rows, true or predicted; totals count every class.` }) : null,
    h('div', { class: 'matrix-wrap', tabindex: 0, 'aria-label': 'Confusion matrix (scrolls when wide)' }, table),
    h('p', { class: 'muted note' }, compact
      ? 'Outlined: the diagonal (correct predictions). Hover a cell for both numbers.'
      : 'Outlined: the diagonal (correct predictions). Hover a cell for its figures.'));
}
