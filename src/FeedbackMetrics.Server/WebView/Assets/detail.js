// The detail of one model: window selector, headline figures, confusion heatmap, per-class figures, windows,
// segments, probabilistic figures, join backlog and label delay, shift, alerts. Panels whose fields the JSON does not carry
// are left out; single missing figures show as an em dash.

import { h, fill } from './dom.js';
import { DASH, count, pct, ratio, interval, duration, isNum } from './format.js';
import { ALL, windowNames, figureSet, accuracyInterval, alertsFor, alertName, alertCondition, health } from './model.js';
import { confusionHeatmap } from './heatmap.js';
import { reliabilityDiagram, confidenceHistogram, sparkline } from './charts.js';
import { rocCurve, precisionRecallCurve } from './curves.js';
import { segmentsPanel } from './segments.js';

function panel(title, props, ...content) {
  const id = `panel-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return h('section', { class: `panel ${props?.class ?? ''}`.trim(), 'aria-labelledby': id },
    h('h2', { id, text: title }), props?.sub ? h('p', { class: 'muted panel-sub', text: props.sub }) : null, content);
}

function tile(label, value, sub, props) {
  return h('div', { class: 'tile', ...props }, h('div', { class: 'tile-label', text: label }),
    h('div', { class: 'tile-value', text: value }), sub ? h('div', { class: 'tile-sub' }, sub) : null);
}

function windowSelector(names, current, onWindow) {
  const all = [ALL, ...names];
  return h('div', { class: 'segmented window-select', role: 'group', 'aria-label': 'Window' },
    all.map(w => h('button', {
      type: 'button', class: 'seg', 'aria-pressed': String(w === current), dataset: { focus: `window:${w}`, window: w },
      onclick: () => onWindow(w),
    }, w === ALL ? 'All time' : w)));
}

function tiles(d, set, history, id, windowName, judged) {
  const iv = accuracyInterval(set);
  const out = [
    tile('Rows', count(set.count), windowName === ALL ? 'all time' : `window ${windowName}`, { dataset: { tile: 'count' } }),
    tile('Accuracy', pct(set.accuracy),
      [interval(iv), iv?.computed ? h('span', { class: 'dagger', title: '95 % Wilson interval computed in the browser', text: ' †' }) : null],
      { class: judged ? `tile health-${judged.level}` : 'tile', dataset: { tile: 'accuracy', value: String(set.accuracy) } }),
    tile('Macro F1', ratio(set.macro?.f1), `weighted ${ratio(set.weighted?.f1)}`),
    tile('Trend', '', sparkline(history.accuracy(id, windowName), { width: 150, height: 34, label: 'accuracy' }), { class: 'tile tile-trend' }),
  ];
  if (d.estimated && isNum(d.estimated.accuracy)) {
    out.push(tile('Estimated accuracy', pct(d.estimated.accuracy), `of unlabelled responses, from ${count(d.estimated.basedOn)}`));
  }
  if (d.join) out.push(tile('Label coverage', pct(d.join.labelCoverage, 0), `backlog ${count(d.join.pendingResponses)}`));
  if (d.labelDelaySeconds) out.push(tile('Label delay p50', duration(d.labelDelaySeconds.p50), `p90 ${duration(d.labelDelaySeconds.p90)}`));
  if (set.reward && set.reward.events > 0) out.push(tile('Mean reward', ratio(set.reward.mean), `from ${count(set.reward.events)} events`));
  return h('div', { class: 'tiles' }, out);
}

function perClassTable(set) {
  const rows = set.perClass ?? [];
  const bar = v => {
    const b = h('span', { class: 'bar-fill' });
    b.style.width = `${Math.round((isNum(v) ? v : 0) * 100)}%`;
    return h('span', { class: 'bar-track', 'aria-hidden': 'true' }, b);
  };
  const avg = (label, a) => h('tr', { class: 'avg' }, h('th', { scope: 'row', text: `${label} avg` }),
    h('td', { class: 'num', text: ratio(a?.precision) }), h('td', { class: 'num', text: ratio(a?.recall) }),
    h('td', { class: 'num', text: ratio(a?.f1) }), h('td', { class: 'num', text: count(set.count) }), h('td', { class: 'bar-cell' }));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'per-class' },
    h('thead', null, h('tr', null, ['Class', 'Precision', 'Recall', 'F1', 'Support', 'F1'].map((c, i) =>
      h('th', { scope: 'col', class: i > 0 && i < 5 ? 'num' : i === 5 ? 'bar-cell' : null, text: i === 5 ? '' : c })))),
    h('tbody', null, rows.map(c => h('tr', { dataset: { class: c.class } },
      h('th', { scope: 'row', class: 'cls', title: c.class, text: c.class }),
      h('td', { class: 'num', text: ratio(c.precision) }), h('td', { class: 'num', text: ratio(c.recall) }),
      h('td', { class: 'num', text: ratio(c.f1) }), h('td', { class: 'num', text: count(c.support) }),
      h('td', { class: 'bar-cell', title: `F1 ${ratio(c.f1)}` }, bar(c.f1))))),
    h('tfoot', null, avg('macro', set.macro), avg('weighted', set.weighted), avg('micro', set.micro))));
}

function windowsTable(d, current, onWindow) {
  const names = [ALL, ...windowNames(d)];
  const psi = v => (isNum(v) ? `${v.toFixed(3)} ${v < 0.1 ? '(stable)' : v < 0.25 ? '(moderate)' : '(large)'}` : DASH);
  return panel('Windows', { sub: 'Each window against all time; PSI is the population stability index of the class distribution.' },
    h('div', { class: 'table-wrap' }, h('table', { class: 'windows' },
      h('thead', null, h('tr', null, ['Window', 'Rows', 'Accuracy', '95 % interval', 'Macro F1', 'Predicted PSI', 'Truth PSI'].map((c, i) =>
        h('th', { scope: 'col', class: i ? 'num' : null, text: c })))),
      h('tbody', null, names.map(w => {
        const s = figureSet(d, w) ?? {};
        return h('tr', { class: w === current ? 'current' : null },
          h('th', { scope: 'row' }, h('button', { type: 'button', class: 'link', onclick: () => onWindow(w), text: w === ALL ? 'All time' : w })),
          h('td', { class: 'num', text: count(s.count) }), h('td', { class: 'num', text: pct(s.accuracy) }),
          h('td', { class: 'num', text: interval(accuracyInterval(s)) }), h('td', { class: 'num', text: ratio(s.macro?.f1) }),
          h('td', { class: 'num', text: psi(s.shift?.predictedPsi) }), h('td', { class: 'num', text: psi(s.shift?.truthPsi) }));
      })))));
}

function probabilisticPanel(p) {
  const bins = Array.isArray(p.calibration) ? p.calibration : [];
  const steps = Array.isArray(p.thresholds) ? p.thresholds : [];
  const top = p.topK && isNum(p.topK.accuracy) ? [tile(`Top-${p.topK.k ?? 'k'} accuracy`, pct(p.topK.accuracy))] : [];
  const averaged = steps.length ? 'of the second class' : 'one-vs-rest, macro';
  const ranks = 'rocAuc' in p || 'averagePrecision' in p
    ? [tile('ROC AUC', ratio(p.rocAuc), averaged, { dataset: { tile: 'roc-auc', value: String(p.rocAuc) } }),
      tile('Average precision', ratio(p.averagePrecision), averaged, { dataset: { tile: 'average-precision', value: String(p.averagePrecision) } })]
    : [];
  const best = isNum(p.bestF1Threshold) ? [tile('Best F1 threshold', String(p.bestF1Threshold), `F1 ${ratio(steps.find(s => s.threshold === p.bestF1Threshold)?.f1)}`, { dataset: { tile: 'best-f1' } })] : [];
  return panel('Probabilities', { class: 'panel-wide', sub: `From ${count(p.count)} rows whose response carried a probability vector.` },
    h('div', { class: 'tiles' }, tile('Log loss', ratio(p.logLoss)), tile('Brier score', ratio(p.brier)),
      tile('ECE', ratio(p.ece), '10 equal-width bins'), top, ranks, best),
    steps.length ? h('div', { class: 'charts' },
      h('figure', null, rocCurve(steps, p.rocAuc), h('figcaption', { text: `ROC curve at thresholds 0.05 to 0.95 (area ${ratio(p.rocAuc)}, from every score); the dashed diagonal is a model that guesses.` })),
      h('figure', null, precisionRecallCurve(steps, p.averagePrecision), h('figcaption', { text: `Precision against recall at the same thresholds (average precision ${ratio(p.averagePrecision)}).` })))
      : null,
    bins.length ? h('div', { class: 'charts' },
      h('figure', null, reliabilityDiagram(bins), h('figcaption', { text: 'Reliability: bars are the accuracy reached in each confidence bin, dots sit at the bin\'s mean confidence; on the dashed diagonal the model is calibrated.' })),
      h('figure', null, confidenceHistogram(bins), h('figcaption', { text: 'How confident the model was: rows per bin of its top probability.' })))
      : null);
}

function joinPanel(d) {
  const j = d.join ?? {};
  const delay = d.labelDelaySeconds ?? {};
  const item = (label, value, title) => [h('dt', { text: label, title }), h('dd', { text: value })];
  return panel('Labels and join', { sub: 'Truth that arrives after the response is joined to it by request id.' },
    h('dl', { class: 'facts' },
      d.join ? [
        item('Label coverage', pct(j.labelCoverage, 1), 'responses that have their truth'),
        item('Pending responses', count(j.pendingResponses), 'responses waiting for their truth (the backlog)'),
        item('Parked truths', count(j.parkedTruths), 'truths waiting for their response'),
        item('Joined', count(j.joined)), item('Expired', count(j.expired)), item('Corrections', count(j.corrections), 'relabels that replaced an earlier truth'),
      ] : null,
      d.labelDelaySeconds ? [item('Label delay p50', duration(delay.p50)), item('Label delay p90', duration(delay.p90)), item('Label delay p99', duration(delay.p99))] : null));
}

function distributionList(dist, classes) {
  const entries = Array.isArray(dist) ? dist.map((v, i) => [classes[i] ?? `#${i}`, v]) : Object.entries(dist ?? {});
  return h('ul', { class: 'dist' }, entries.map(([c, v]) => {
    const b = h('span', { class: 'bar-fill' });
    b.style.width = `${Math.round((isNum(v) ? v : 0) * 100)}%`;
    return h('li', null, h('span', { class: 'cls', title: c, text: c }), h('span', { class: 'bar-track', 'aria-hidden': 'true' }, b), h('span', { class: 'num', text: pct(v) }));
  }));
}

function shiftPanel(shift, classes, windowName) {
  return panel('Label shift', { sub: `Window ${windowName} against all time.` },
    h('dl', { class: 'facts' },
      h('dt', { text: 'Predicted-class PSI' }), h('dd', { text: ratio(shift.predictedPsi) }),
      h('dt', { text: 'True-class PSI' }), h('dd', { text: ratio(shift.truthPsi) })),
    shift.estimatedTruthDistribution ? [h('h3', { text: 'Estimated true-class distribution' }), distributionList(shift.estimatedTruthDistribution, classes)] : null);
}

function since(value) {
  if (value == null) return null;
  const date = new Date(value);
  const text = Number.isNaN(date.getTime()) ? String(value)
    : date.toLocaleString('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  return h('span', { class: 'muted', title: String(value), text: ` since ${text}` });
}

function alertsPanel(alerts) {
  return panel('Alerts', null, alerts.length
    ? h('ul', { class: 'alert-list' }, alerts.map(a => h('li', { class: 'alert-item' },
      h('span', { class: 'badge badge-alert' }, h('span', { 'aria-hidden': 'true', text: '▲ ' }), 'firing'), ' ',
      h('b', { text: alertName(a) }), ' ', h('span', { text: alertCondition(a) }),
      isNum(a.value) ? h('span', { class: 'muted', text: ` — now ${ratio(a.value)}` }) : null,
      since(a.since ?? a.activeAt ?? a.startsAt))))
    : h('p', { class: 'muted', text: 'No alert is firing for this model.' }));
}

/** Draws the detail of a model (d may be null when it disappeared, e.g. after a reset). */
export function renderDetail(section, { doc, d, id, state, history, onBack, onWindow, onMode }) {
  const back = h('button', { type: 'button', class: 'button back', dataset: { focus: 'back' }, onclick: onBack }, '← All models');
  if (!d) {
    fill(section, back, h('h1', { id: 'detail-title', text: `${id.dep} / ${id.model}` }),
      h('p', { class: 'problem-inline', text: 'This model has no figures on the server (any more). It may have been reset, or the link is from another server.' }));
    return;
  }
  const names = windowNames(d);
  const windowName = state.window !== ALL && names.includes(state.window) ? state.window : ALL;
  const set = figureSet(d, windowName);
  const classes = set.classes ?? d.classes ?? [];
  const alerts = alertsFor(doc, id);
  const matrix = Array.isArray(set.confusionMatrix) ? set.confusionMatrix : [];
  // Without alert rules the model is judged by its own figures (all time and its windows, whatever window is shown).
  const judged = alerts == null ? health(d, state.floor) : null;

  fill(section,
    h('div', { class: 'detail-head' },
      back,
      h('div', { class: 'detail-name' },
        h('h1', { id: 'detail-title', tabindex: -1 }, id.dep, h('span', { class: 'muted', text: ` / ${id.model}` })),
        h('p', { class: 'model-sub' }, 'namespace ', h('b', { text: id.ns }), ' · predictor ', h('b', { text: id.pred }),
          ' · ', `${classes.length} classes`)),
      names.length ? windowSelector(names, windowName, onWindow) : null),
    alerts?.length ? h('div', { class: 'alerts-inline' }, alertsPanel(alerts)) : null,
    judged ? h('div', { class: `health-note health-${judged.level}`, role: 'note' },
      h('b', { text: judged.level === 'good' ? 'By its own figures: ok. ' : judged.level === 'bad' ? 'By its own figures: needs a look. ' : 'By its own figures: not sure yet. ' }),
      judged.reasons.join('; '), '.', h('span', { class: 'muted', text: ' (No alert rules on this server.)' })) : null,
    tiles(d, set, history, id, windowName, judged),
    h('div', { class: matrix.length > 6 ? 'grid grid-stacked' : 'grid' },
      panel('Confusion matrix', { class: 'panel-matrix', sub: 'Rows: true class. Columns: predicted class.' },
        matrix.length && set.count > 0 ? confusionHeatmap(matrix, classes, state.mode, onMode) : h('p', { class: 'muted', text: 'No rows in this window yet.' })),
      panel('Per class', { sub: 'scikit-learn definitions, zero_division = 0.' }, perClassTable(set))),
    names.length ? windowsTable(d, windowName, onWindow) : null,
    segmentsPanel(d, d.classes ?? classes, panel),
    set.probabilistic ? probabilisticPanel(set.probabilistic) : null,
    d.join || d.labelDelaySeconds || set.shift ? h('div', { class: 'grid grid-even' },
      d.join || d.labelDelaySeconds ? joinPanel(d) : null,
      set.shift ? shiftPanel(set.shift, classes, windowName) : null) : null,
    alerts && !alerts.length ? alertsPanel(alerts) : null,
    accuracyInterval(set)?.computed ? h('p', { class: 'muted note', text: '† 95 % Wilson interval computed in the browser from count and accuracy: this server sends no accuracyInterval.' }) : null);
}
