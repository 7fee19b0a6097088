// The two-class curves of a figure set, drawn from the JSON threshold sweep (probabilistic.thresholds: precision,
// recall and false positive rate at thresholds 0.05 … 0.95). Each curve is the points of the sweep joined by straight
// lines, with its end points, and every point carries its numbers in a <title>.

import { svg } from './dom.js';
import { isNum, ratio } from './format.js';
import { axes } from './charts.js';

const W = 320, H = 250, ml = 44, mr = 10, mt = 10, mb = 42;
const w = W - ml - mr, h = H - mt - mb;
const ticks = [[0, '0'], [0.5, '0.5'], [1, '1']];

function points(steps, x, y) {
  return steps.filter(s => isNum(x(s)) && isNum(y(s))).map(s => ({ x: x(s), y: y(s), s }));
}

function curve(root, pts, kind) {
  const d = pts.map((p, i) => `${i ? 'L' : 'M'}${(ml + p.x * w).toFixed(1)} ${(mt + h - p.y * h).toFixed(1)}`).join(' ');
  root.append(svg('path', { d, class: 'curve', dataset: { curve: kind } }));
  for (const p of pts.filter(p => p.s)) {
    const s = p.s;
    root.append(svg('circle', { cx: (ml + p.x * w).toFixed(1), cy: (mt + h - p.y * h).toFixed(1), r: 2.5, class: 'dot', dataset: { threshold: String(s.threshold) } },
      svg('title', { text: `threshold ${s.threshold}: precision ${ratio(s.precision)}, recall ${ratio(s.recall)}, F1 ${ratio(s.f1)}, false positive rate ${ratio(s.falsePositiveRate)}` })));
  }
}

/** ROC curve: recall (true positive rate) against false positive rate, from (1, 1) at threshold 0 to (0, 0) past 1. */
export function rocCurve(steps, auc) {
  const label = `ROC curve${isNum(auc) ? `, area ${ratio(auc)}` : ''}: true positive rate against false positive rate at thresholds 0.05 to 0.95`;
  const root = svg('svg', { class: 'chart chart-roc', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label });
  axes(root, { w, h, ml, mt, xLabel: 'false positive rate', yLabel: 'true positive rate (recall)', yTicks: ticks });
  root.append(svg('line', { x1: ml, y1: mt + h, x2: ml + w, y2: mt, class: 'diagonal' }, svg('title', { text: 'a model that guesses' })));
  curve(root, [{ x: 1, y: 1 }, ...points(steps, s => s.falsePositiveRate, s => s.recall), { x: 0, y: 0 }], 'roc');
  return root;
}

/** Precision–recall curve: precision against recall at each threshold, highest recall (lowest threshold) first. */
export function precisionRecallCurve(steps, ap) {
  const label = `Precision–recall curve${isNum(ap) ? `, average precision ${ratio(ap)}` : ''}: precision against recall at thresholds 0.05 to 0.95`;
  const root = svg('svg', { class: 'chart chart-pr', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label });
  axes(root, { w, h, ml, mt, xLabel: 'recall', yLabel: 'precision', yTicks: ticks });
  // A threshold no row reaches predicts nothing: precision 0 by zero_division, not a point of the curve.
  curve(root, points(steps.filter(s => s.recall > 0 || s.precision > 0), s => s.recall, s => s.precision), 'pr');
  return root;
}
