// Reading the public JSON of GET /v1/metrics?format=json. Every field beyond the original contract (windows,
// intervals, probabilistic figures, join, label delay, estimates, shift, alerts) is optional here: a view shows
// what is present and an em dash or nothing for what is not.

import { isNum, pct, interval } from './format.js';

export const ALL = 'all';

/** The identity of one model: namespace, deployment, predictor, model. */
export function identity(d) {
  return { ns: d.namespace ?? '', dep: d.deployment ?? '', pred: d.predictor ?? '', model: d.model ?? '' };
}

/** A stable string key of a model, for maps and focus. */
export function keyOf(id) {
  return JSON.stringify([id.ns, id.dep, id.pred, id.model]);
}

export function sameModel(a, b) {
  return !!a && !!b && a.ns === b.ns && a.dep === b.dep && a.pred === b.pred && a.model === b.model;
}

export function findModel(doc, id) {
  return (doc?.deployments ?? []).find(d => sameModel(identity(d), id)) ?? null;
}

/** The names of a model's windows, in the server's order. */
export function windowNames(d) {
  return d?.windows && typeof d.windows === 'object' ? Object.keys(d.windows) : [];
}

/** The figures of one window ('all' = cumulative): count, accuracy, confusionMatrix, perClass, … */
export function figureSet(d, windowName) {
  if (!d) return null;
  if (!windowName || windowName === ALL) return d;
  return d.windows?.[windowName] ?? null;
}

/** 95 % Wilson score interval of a proportion (what the server's accuracyInterval holds, when it has one). */
export function wilson(n, p, z = 1.959963984540054) {
  if (!isNum(n) || !isNum(p) || n <= 0) return null;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** The accuracy interval of a figure set: the server's when present, else computed here (and flagged as such). */
export function accuracyInterval(set) {
  if (!set) return null;
  const iv = set.accuracyInterval;
  if (iv && isNum(iv.low) && isNum(iv.high)) return { low: iv.low, high: iv.high, computed: false };
  const w = wilson(set.count, set.accuracy);
  return w ? { ...w, computed: true } : null;
}

// ---- a model by its own figures ------------------------------------------------------------------------------

/** The accuracy a model is held to when the server has no alert rules; the page's ?floor= (a share, e.g. 0.9) sets another. */
export const DEFAULT_FLOOR = 0.8;

/** The floor the page was asked for (?floor=0.9), else the default. */
export function floorOf(search) {
  const asked = Number(new URLSearchParams(search).get('floor'));
  return asked > 0 && asked <= 1 ? asked : DEFAULT_FLOOR;
}

/** The most frequent true class and its share of the rows: what always answering it would score. */
function majority(d) {
  const rows = (d.perClass ?? []).filter(c => isNum(c.support));
  const total = rows.reduce((a, c) => a + c.support, 0);
  if (!rows.length || !(total > 0)) return null;
  const top = rows.reduce((a, c) => (c.support > a.support ? c : a));
  return { name: top.class, share: top.support / total };
}

/**
 * How a model fares by its own figures, for a server without alert rules (with rules, their alerts say it). The 95 %
 * interval decides, so a handful of rows cannot paint a model red:
 * - bad: it got worse lately (in a window holding fewer rows than all time, the interval lies wholly below the
 *   all-time accuracy), or its interval lies wholly below the floor, or wholly below what always answering its most
 *   frequent true class would score;
 * - warn: its accuracy is below the floor, but its interval reaches the floor (too few rows to be sure);
 * - good: none of these. Null for a model without rows.
 * Returns { level, label, reasons }: reasons in words, the first one as the short label.
 */
export function health(d, floor = DEFAULT_FLOOR) {
  if (!d || !isNum(d.accuracy) || !(d.count > 0)) return null;
  const iv = accuracyInterval(d);
  const bad = [], warn = [];
  for (const w of windowNames(d)) {
    const set = d.windows[w];
    const wiv = set && set.count > 0 && set.count < d.count ? accuracyInterval(set) : null;
    if (wiv && wiv.high < d.accuracy) {
      bad.push({ label: `worse in ${w}`, text: `worse in ${w}: ${pct(set.accuracy)} (95 % interval ${interval(wiv)}) against ${pct(d.accuracy)} all time` });
    }
  }
  if (iv && iv.high < floor) {
    bad.push({ label: `below ${pct(floor, 0)}`, text: `accuracy ${pct(d.accuracy)} (95 % interval ${interval(iv)}) is below the ${pct(floor, 0)} floor` });
  } else if (d.accuracy < floor) {
    warn.push({ label: `below ${pct(floor, 0)}?`, text: `accuracy ${pct(d.accuracy)} is below the ${pct(floor, 0)} floor, but its 95 % interval (${interval(iv)}) reaches it: too few rows to be sure` });
  }
  const base = majority(d);
  if (base && iv && iv.high < base.share) {
    bad.push({ label: 'below baseline', text: `accuracy ${pct(d.accuracy)} (95 % interval ${interval(iv)}) is below the ${pct(base.share)} that always answering ${base.name} would score` });
  }
  const level = bad.length ? 'bad' : warn.length ? 'warn' : 'good';
  const reasons = [...bad, ...warn];
  return {
    level,
    label: reasons[0]?.label ?? 'ok',
    reasons: reasons.length ? reasons.map(r => r.text) : [`accuracy ${pct(d.accuracy)} reaches the ${pct(floor, 0)} floor and is not worse in any window`],
  };
}

// ---- alerts -------------------------------------------------------------------------------------------------

const IDENTITY_FIELDS = {
  ns: ['namespace', 'deployment_namespace', 'seldon_deployment_namespace'],
  dep: ['deployment', 'deployment_name', 'seldon_deployment_name'],
  pred: ['predictor', 'predictor_name'],
  model: ['model', 'model_name'],
};

/** The identity fields an alert names (top level, or under key / labels / selector); absent ones match any model. */
export function alertIdentity(alert) {
  const places = [alert, alert?.key, alert?.labels, alert?.selector].filter(p => p && typeof p === 'object');
  const id = {};
  for (const [field, names] of Object.entries(IDENTITY_FIELDS)) {
    for (const place of places) {
      const value = names.map(n => place[n]).find(v => typeof v === 'string' && v !== '');
      if (value !== undefined) { id[field] = value; break; }
    }
  }
  return id;
}

export function isFiring(alert) {
  if (alert?.firing === false) return false;
  const state = alert?.state ?? alert?.status;
  return state == null || /firing|active/i.test(String(state));
}

/** Firing alerts of one model, or null when the server publishes no alert list at all. */
export function alertsFor(doc, id) {
  if (!Array.isArray(doc?.alerts)) return null;
  return doc.alerts.filter(a => isFiring(a) && Object.entries(alertIdentity(a)).every(([f, v]) => id[f] === v));
}

export function firingAlerts(doc) {
  return Array.isArray(doc?.alerts) ? doc.alerts.filter(isFiring) : null;
}

export function alertName(alert) {
  return alert?.rule ?? alert?.name ?? alert?.alert ?? 'alert';
}

/**
 * "accuracy (1h) < 0.8", from whatever of metric, window, comparison and threshold the alert carries; a segment gap
 * alert: "accuracy gap by region 0.75 (eu 1 – us 0.25) > 0.2, apart".
 */
export function alertCondition(alert) {
  const g = alert?.segmentGap;
  if (g && typeof g === 'object') {
    return `${alert.metric ?? 'figure'} gap by ${g.segment} ${round(g.gap)} (${g.maxValue} ${round(g.max)} – ${g.minValue} ${round(g.min)}) > ${alert.threshold}${g.apart ? ', apart' : ''}`;
  }
  const comparisons = { lt: '<', le: '≤', gt: '>', ge: '≥', eq: '=', ne: '≠', below: '<', above: '>' };
  const op = alert?.comparison ?? alert?.op;
  const parts = [
    alert?.metric,
    alert?.window ? `(${alert.window})` : null,
    op != null ? comparisons[String(op).toLowerCase()] ?? String(op) : null,
    alert?.threshold,
  ].filter(p => p != null && p !== '');
  return parts.join(' ');
}

/** A figure to three decimals at most, for alert lines. */
function round(v) {
  return typeof v === 'number' && Number.isFinite(v) ? String(Math.round(v * 1000) / 1000) : String(v);
}
