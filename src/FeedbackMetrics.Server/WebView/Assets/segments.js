// The segments of one model (--segment_by): per segment name, a table of its values with their all-time figures and
// a bar of each value's accuracy and its 95 % interval, and the server's gaps (segmentGaps): the largest minus the
// smallest value of a figure, and whether their intervals are apart. `other` (the values past --max_segment_values,
// folded together) comes last and is marked, as the server leaves it out of the gaps.

import { h, svg } from './dom.js';
import { DASH, count, pct, ratio, interval, isNum } from './format.js';
import { accuracyInterval, wilson } from './model.js';

export const OTHER = 'other';

const FIGURES = [
  { key: 'accuracy', label: 'accuracy', percent: true },
  { key: 'recall', label: 'recall' },
  { key: 'precision', label: 'precision' },
  { key: 'positiveRate', label: 'positive rate', percent: true },
];

/** The names of a model's segments, in the server's order. */
export function segmentNames(d) {
  return d?.segments && typeof d.segments === 'object' ? Object.keys(d.segments) : [];
}

/** The segment names whose accuracy gap is apart: the values' 95 % intervals of the best and the worst do not overlap. */
export function apartAccuracyGaps(d) {
  return Object.entries(d?.segmentGaps ?? {}).filter(([, g]) => g?.accuracy?.apart === true).map(([name, g]) => ({ name, gap: g.accuracy }));
}

/** A share and the count it is of, as the server's gaps define it; null while undefined (no trials). */
function proportion(hits, trials) {
  return trials > 0 ? { value: hits / trials, interval: wilson(trials, hits / trials) } : null;
}

/**
 * Recall, precision and (two classes) the positive rate of a value, as segmentGaps defines them: two classes, those of
 * the second class from its confusion matrix, with their intervals; more, the value's macro averages (scikit-learn's).
 */
export function valueFigures(set, classCount) {
  const m = Array.isArray(set?.confusionMatrix) ? set.confusionMatrix : [];
  const n = m.length;
  const support = m.map(r => r.reduce((a, c) => a + c, 0));
  const predicted = m.map((_, j) => m.reduce((a, r) => a + (r[j] ?? 0), 0));
  const hits = m.map((r, i) => r[i] ?? 0);
  if (classCount === 2 && n === 2) {
    return {
      recall: proportion(hits[1], support[1]),
      precision: proportion(hits[1], predicted[1]),
      positiveRate: proportion(predicted[1], set.count),
    };
  }
  const macro = v => (isNum(v) ? { value: v } : null);
  return { recall: macro(set?.macro?.recall), precision: macro(set?.macro?.precision), positiveRate: null };
}

/** A value's accuracy as a dot on a 0–100 % track, its 95 % interval as a band, the model's accuracy as a dashed line. */
function accuracyBar(set, iv, overall, low) {
  const W = 180, H = 18, pad = 4, w = W - 2 * pad;
  const x = v => (pad + Math.min(1, Math.max(0, v)) * w).toFixed(1);
  const label = `accuracy ${pct(set.accuracy)}, 95 % interval ${interval(iv)}${isNum(overall) ? `; the model's ${pct(overall)}` : ''}`;
  return svg('svg', { class: `seg-bar${low ? ' seg-bar-low' : ''}`, width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label },
    svg('title', { text: label }),
    svg('line', { x1: pad, x2: W - pad, y1: H / 2, y2: H / 2, class: 'seg-track' }),
    iv ? svg('rect', { x: x(iv.low), width: Math.max(1, x(iv.high) - x(iv.low)), y: H / 2 - 4, height: 8, rx: 2, class: 'seg-interval' }) : null,
    isNum(overall) ? svg('line', { x1: x(overall), x2: x(overall), y1: 1, y2: H - 1, class: 'seg-overall' }) : null,
    isNum(set.accuracy) ? svg('circle', { cx: x(set.accuracy), cy: H / 2, r: 3.5, class: 'seg-dot' }) : null);
}

function gapText(figure, gap) {
  const show = v => (figure.percent ? pct(v) : ratio(v));
  const size = figure.percent ? [`${(gap.gap * 100).toFixed(1)} `, h('abbr', { title: 'percentage points', text: 'pp' })] : [ratio(gap.gap)];
  return [show(gap.max), ' (', h('b', { text: gap.maxValue }), ') − ', show(gap.min), ' (', h('b', { text: gap.minValue }), ') = ', ...size];
}

function gapsList(name, gaps, twoClass) {
  if (!gaps) {
    return h('p', { class: 'muted seg-gaps-none', dataset: { gaps: name },
      text: 'No gap yet: it needs two values with rows (other does not count).' });
  }
  const figures = FIGURES.filter(f => gaps[f.key]);
  return h('ul', { class: 'seg-gaps', dataset: { gaps: name }, 'aria-label': `Gaps across ${name}` }, figures.map(f => {
    const g = gaps[f.key];
    const what = f.key === 'accuracy' || f.key === 'positiveRate' ? f.label : twoClass ? `${f.label} (second class)` : `macro ${f.label}`;
    const apart = g.apart === true;
    return h('li', { class: apart ? 'seg-gap is-apart' : 'seg-gap', dataset: { figure: f.key, apart: String(apart) } },
      h('span', { class: 'seg-gap-name', text: `${what[0].toUpperCase()}${what.slice(1)} gap: ` }), gapText(f, g), ' ',
      apart
        ? h('span', { class: 'badge badge-apart', title: `The 95 % intervals of ${g.maxValue} and ${g.minValue} do not overlap: the gap is more than the noise of the rows counted.` },
          h('span', { 'aria-hidden': 'true', text: '▲ ' }), 'apart')
        : h('span', { class: 'muted seg-overlap', title: `The 95 % intervals of ${g.maxValue} and ${g.minValue} overlap: the rows so far cannot tell them apart.`, text: 'intervals overlap' }));
  }));
}

function segmentTable(name, values, gaps, d, classCount) {
  const twoClass = classCount === 2;
  const entries = Object.entries(values ?? {});
  const named = entries.filter(([v]) => v !== OTHER).sort((a, b) => (b[1].count ?? 0) - (a[1].count ?? 0) || a[0].localeCompare(b[0]));
  const rows = [...named, ...entries.filter(([v]) => v === OTHER)];
  const worst = gaps?.accuracy?.apart ? gaps.accuracy.minValue : null;
  const heads = ['Value', 'Rows', 'Accuracy', '95 % interval', 'Accuracy and interval',
    twoClass ? 'Recall' : 'Macro recall', twoClass ? 'Precision' : 'Macro precision', ...(twoClass ? ['Positive rate'] : [])];
  const titles = {
    Recall: `recall of ${d.classes?.[1] ?? 'the second class'}`, Precision: `precision of ${d.classes?.[1] ?? 'the second class'}`,
    'Macro recall': 'mean recall over the classes in the truths or predictions (scikit-learn macro)', 'Macro precision': 'mean precision over the classes in the truths or predictions (scikit-learn macro)',
    'Positive rate': `share of rows predicted ${d.classes?.[1] ?? 'the second class'}`,
    'Accuracy and interval': 'dot: accuracy; band: 95 % interval; dashed line: the model\'s accuracy',
  };
  const cell = (fig, figure) => h('td', { class: 'num', dataset: { figure }, title: fig?.interval ? `95 % interval ${interval(fig.interval)}` : null,
    text: fig ? (figure === 'positiveRate' ? pct(fig.value) : ratio(fig.value)) : DASH });
  return h('div', { class: 'table-wrap' }, h('table', { class: 'segments', dataset: { segment: name } },
    h('caption', { class: 'visually-hidden', text: `Figures per value of ${name}, all time` }),
    h('thead', null, h('tr', null, heads.map((c, i) => h('th', { scope: 'col', class: i === 0 || i === 4 ? null : 'num', title: titles[c], text: c })))),
    h('tbody', null, rows.map(([value, set]) => {
      const iv = accuracyInterval(set);
      const f = valueFigures(set, classCount);
      const other = value === OTHER;
      const low = value === worst;
      return h('tr', { class: [other ? 'seg-other' : '', low ? 'seg-low' : ''].join(' ').trim() || null, dataset: { value } },
        h('th', { scope: 'row', class: 'seg-value', title: value },
          h('span', { text: value }),
          other ? h('span', { class: 'muted seg-note', text: ' folded values' , title: 'the values past --max_segment_values, counted together; left out of the gaps' }) : null,
          low ? h('span', { class: 'badge badge-apart seg-note', title: 'its accuracy interval lies wholly below the best value\'s' }, h('span', { 'aria-hidden': 'true', text: '▼ ' }), 'lowest') : null),
        h('td', { class: 'num', dataset: { figure: 'count' }, text: count(set.count) }),
        h('td', { class: 'num', dataset: { figure: 'accuracy' }, text: pct(set.accuracy) }),
        h('td', { class: 'num', dataset: { figure: 'accuracyInterval' } }, interval(iv), iv?.computed ? h('span', { class: 'dagger', title: '95 % Wilson interval computed in the browser', text: ' †' }) : null),
        h('td', { class: 'seg-bar-cell' }, accuracyBar(set, iv, d.accuracy, low)),
        cell(f.recall, 'recall'), cell(f.precision, 'precision'), twoClass ? cell(f.positiveRate, 'positiveRate') : null);
    }))));
}

/** The Segments panel of a model, or null when it has none. */
export function segmentsPanel(d, classes, panel) {
  const names = segmentNames(d);
  if (!names.length) return null;
  const classCount = (classes ?? d.classes ?? []).length;
  return panel('Segments', {
    class: 'panel-segments',
    sub: 'All time, per value of each --segment_by name. Bars: the dot is the accuracy, the band its 95 % interval, the dotted line the model\'s accuracy. A gap is the largest minus the smallest value of a figure; apart: their 95 % intervals do not overlap.',
  }, names.map(name => h('section', { class: 'segment', dataset: { segment: name }, 'aria-label': `Segment ${name}` },
    h('h3', null, 'By ', h('code', { text: name })),
    segmentTable(name, d.segments[name], d.segmentGaps?.[name], d, classCount),
    gapsList(name, d.segmentGaps?.[name], classCount === 2))));
}
