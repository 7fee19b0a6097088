// The overview: one row per model, sortable and filterable; a row opens the model's detail (click or Enter).

import { h, fill } from './dom.js';
import { DASH, count, pct, ratio, interval, isNum } from './format.js';
import { ALL, identity, keyOf, windowNames, accuracyInterval, alertsFor, alertName, alertCondition, health, DEFAULT_FLOOR } from './model.js';
import { sparkline } from './charts.js';
import { apartAccuracyGaps } from './segments.js';

/** Rows drawn at most (a server may hold thousands of models): the filter narrows the rest down. */
const MAX_ROWS = 300;

const COLUMNS = [
  { key: 'model', label: 'Model', sort: r => r.name },
  { key: 'count', label: 'Rows', num: true, title: 'observations counted (rows of feedback)', sort: r => r.d.count },
  { key: 'rate', label: 'Last min', num: true, title: 'rows counted in the last minute, from successive refreshes of this page', sort: r => r.rate?.rows },
  { key: 'accuracy', label: 'Accuracy', num: true, title: 'accuracy with its 95 % interval', sort: r => r.d.accuracy },
  { key: 'f1', label: 'Macro F1', num: true, sort: r => r.d.macro?.f1 },
  { key: 'windows', label: 'Windows', title: 'accuracy in each window' },
  { key: 'trend', label: 'Trend', title: 'accuracy over the recent refreshes of this page' },
  { key: 'labels', label: 'Labels', num: true, title: 'label coverage, and responses still waiting for their truth (join backlog)', sort: r => r.d.join?.labelCoverage },
  { key: 'alerts', label: 'Alerts', title: 'firing alerts', sort: r => r.alerts?.length },
];

function rowsOf(doc, history, floor = DEFAULT_FLOOR) {
  // Without alert rules (no alert list in the JSON) a model is judged by its own figures; with rules, their alerts say it.
  const judged = !Array.isArray(doc?.alerts);
  return (doc?.deployments ?? []).map(d => {
    const id = identity(d);
    return {
      d, id, key: keyOf(id),
      name: `${id.dep}/${id.model}/${id.pred}/${id.ns}`.toLowerCase(),
      text: `${id.ns} ${id.dep} ${id.pred} ${id.model}`.toLowerCase(),
      rate: history.lastMinute(id),
      alerts: alertsFor(doc, id),
      health: judged ? health(d, floor) : null,
    };
  });
}

function matches(row, filter, onlyFiring) {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  return words.every(w => row.text.includes(w)) && (!onlyFiring || (row.alerts?.length ?? 0) > 0);
}

function compare(column, dir) {
  return (a, b) => {
    const x = column.sort(a), y = column.sort(b);
    const missing = (x == null || Number.isNaN(x)) - (y == null || Number.isNaN(y));
    if (missing) return missing; // rows without the figure last, whichever the direction
    const c = typeof x === 'string' ? x.localeCompare(y) : x - y;
    return (c || a.name.localeCompare(b.name)) * (c ? dir : 1);
  };
}

function header(state, onSort) {
  return h('tr', null, COLUMNS.map(c => {
    const sorted = state.sort.key === c.key;
    const th = h('th', {
      scope: 'col', class: c.num ? 'num' : null, title: c.title,
      'aria-sort': c.sort ? (sorted ? (state.sort.dir > 0 ? 'ascending' : 'descending') : 'none') : null,
    });
    if (!c.sort) return fill(th, c.label);
    return fill(th, h('button', {
      type: 'button', class: 'sort', dataset: { focus: `sort:${c.key}` },
      onclick: () => onSort(c.key),
    }, c.label, h('span', { class: 'sort-mark', 'aria-hidden': 'true', text: sorted ? (state.sort.dir > 0 ? '▲' : '▼') : '↕' })));
  }));
}

function modelCell(id) {
  return [
    h('div', { class: 'model-name' }, id.dep, h('span', { class: 'muted', text: ` / ${id.model}` })),
    h('div', { class: 'model-sub' },
      h('span', null, 'ns ', h('b', { text: id.ns })), ' · ',
      h('span', null, 'predictor ', h('b', { text: id.pred }))),
  ];
}

function accuracyCell(d, judged) {
  const iv = accuracyInterval(d);
  return h('div', null,
    h('div', { class: 'big', text: pct(d.accuracy) }),
    h('div', { class: 'sub', title: iv?.computed ? '95 % Wilson interval, computed in the browser from count and accuracy' : '95 % interval from the server' },
      interval(iv), iv?.computed ? h('span', { class: 'dagger', text: '†' }) : null),
    judged ? h('div', { class: `health health-${judged.level}`, title: judged.reasons.join('\n'), text: judged.label }) : null,
    gapMarks(d));
}

/** A mark per segment name whose accuracy differs between values by more than the noise (their intervals apart). */
function gapMarks(d) {
  return apartAccuracyGaps(d).map(({ name, gap }) => h('div', null, h('span', {
    class: 'badge badge-apart gap-mark', dataset: { gap: name },
    title: `Accuracy by ${name}: ${gap.maxValue} ${pct(gap.max)}, ${gap.minValue} ${pct(gap.min)}; their 95 % intervals do not overlap`,
  }, h('span', { 'aria-hidden': 'true', text: '▲ ' }), `gap: ${name}`)));
}

function windowsCell(d) {
  const names = windowNames(d);
  if (!names.length) return h('span', { class: 'muted', text: DASH, title: 'no windows in the JSON' });
  return h('div', { class: 'chips' }, names.map(w =>
    h('span', { class: 'chip', title: `${w}: ${count(d.windows[w]?.count)} rows` },
      h('span', { class: 'chip-name', text: w }), ' ', pct(d.windows[w]?.accuracy))));
}

function labelsCell(d) {
  const join = d.join;
  if (!join) return h('span', { class: 'muted', text: DASH, title: 'no join figures in the JSON' });
  return h('div', null,
    h('div', { class: 'big', text: pct(join.labelCoverage, 0) }),
    h('div', { class: 'sub', title: 'responses waiting for their truth' }, `backlog ${count(join.pendingResponses)}`));
}

function alertsCell(alerts) {
  if (alerts == null) return h('span', { class: 'muted', text: DASH, title: 'this server publishes no alerts' });
  if (!alerts.length) return h('span', { class: 'muted', text: 'none' });
  return h('span', { class: 'badge badge-alert', title: alerts.map(a => `${alertName(a)}: ${alertCondition(a)}`).join('\n') },
    h('span', { 'aria-hidden': 'true', text: '▲ ' }), `${alerts.length} firing`);
}

function row(r, onOpen) {
  const { d, id } = r;
  const trendWindow = windowNames(d)[0] ?? ALL;
  const rate = r.rate;
  const cells = {
    model: modelCell(id),
    count: h('span', { text: count(d.count) }),
    rate: rate ? h('span', { title: `rows counted in the last ${rate.seconds} s`, text: `+${count(rate.rows)}` }) : h('span', { class: 'muted', text: DASH, title: 'appears after two refreshes' }),
    accuracy: accuracyCell(d, r.health),
    f1: h('span', { text: ratio(d.macro?.f1) }),
    windows: windowsCell(d),
    trend: sparkline(r.trend ?? [], { label: trendWindow === ALL ? 'accuracy' : `accuracy (${trendWindow})` }),
    labels: labelsCell(d),
    alerts: alertsCell(r.alerts),
  };
  const open = () => onOpen(id);
  return h('tr', {
    tabindex: 0, class: r.alerts?.length ? 'model-row firing' : r.health ? `model-row health-${r.health.level}` : 'model-row',
    dataset: { focus: `row:${r.key}`, key: r.key },
    'aria-label': `${id.dep} / ${id.model}, namespace ${id.ns}, predictor ${id.pred}: accuracy ${pct(d.accuracy)}${r.health ? `, ${r.health.reasons[0]}` : ''}${apartAccuracyGaps(d).map(g => `, accuracy gap by ${g.name}`).join('')}; press Enter for details`,
    onclick: open,
    onkeydown: e => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); open(); } },
  }, COLUMNS.map(c => h('td', {
    // is-empty: a figure the JSON does not carry; narrow windows leave such lines out of the card.
    class: [c.num ? 'num' : '', `col-${c.key}`, cells[c.key]?.textContent === DASH ? 'is-empty' : ''].join(' ').trim(), 'data-label': c.label,
    dataset: c.key === 'accuracy' && isNum(d.accuracy) ? { value: String(d.accuracy) } : c.key === 'count' ? { value: String(d.count) } : null,
  }, cells[c.key])));
}

/** Headline tiles above the table: models, rows, the weakest model, firing alerts. */
export function renderSummary(box, doc, history) {
  const rows = rowsOf(doc, history);
  const rate = rows.reduce((a, r) => a + (r.rate?.rows ?? 0), 0);
  const weakest = rows.filter(r => isNum(r.d.accuracy) && r.d.count > 0).sort((a, b) => a.d.accuracy - b.d.accuracy)[0];
  const firing = rows.reduce((a, r) => a + (r.alerts?.length ?? 0), 0);
  const tile = (label, value, sub, cls) => h('div', { class: `tile ${cls ?? ''}`.trim() },
    h('div', { class: 'tile-label', text: label }), h('div', { class: 'tile-value', text: value }), sub ? h('div', { class: 'tile-sub', text: sub }) : null);
  fill(box,
    tile('Models', count(rows.length)),
    tile('Rows counted', count(rows.reduce((a, r) => a + (r.d.count ?? 0), 0)), rows.some(r => r.rate) ? `+${count(rate)} in the last minute` : 'rate: next refresh'),
    tile('Lowest accuracy', weakest ? pct(weakest.d.accuracy) : DASH, weakest ? `${weakest.id.dep} / ${weakest.id.model}` : null),
    tile('Firing alerts', Array.isArray(doc?.alerts) ? count(firing) : DASH, Array.isArray(doc?.alerts) ? null : 'none published', firing ? 'tile-alert' : null));
}

/** Draws the table of models; returns how many rows are shown and whether any interval was computed here. */
export function renderOverview(table, { doc, history, state, onOpen, onSort }) {
  const rows = rowsOf(doc, history, state.floor).filter(r => matches(r, state.filter, state.onlyFiring));
  for (const r of rows) r.trend = history.accuracy(r.id, windowNames(r.d)[0] ?? ALL);
  const column = COLUMNS.find(c => c.key === state.sort.key && c.sort) ?? COLUMNS[0];
  rows.sort(compare(column, state.sort.dir));
  fill(table.tHead, header(state, onSort));
  fill(table.tBodies[0], rows.length
    ? rows.slice(0, MAX_ROWS).map(r => row(r, onOpen))
    : h('tr', null, h('td', { colspan: COLUMNS.length, class: 'muted no-match', text: 'No model matches the filter.' })));
  return {
    shown: Math.min(rows.length, MAX_ROWS), matching: rows.length, total: doc?.deployments?.length ?? 0,
    computed: rows.some(r => accuracyInterval(r.d)?.computed), judged: rows.some(r => r.health),
  };
}
