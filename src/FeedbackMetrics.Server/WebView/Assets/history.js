// Samples of every model's count and accuracies, one per refresh, kept in the browser (sessionStorage, so a
// reload keeps them). They give the accuracy trend and the rows counted in the last minute, which the JSON
// itself does not carry.

import { ALL, identity, keyOf, windowNames } from './model.js';
import { isNum } from './format.js';

const STORAGE_KEY = 'feedback-metrics.history.v1';
const KEEP_MS = 30 * 60 * 1000;
const MAX_SAMPLES = 240;

export class History {
  constructor(storage) {
    this.storage = storage;
    this.series = new Map();
    try {
      const saved = JSON.parse(storage?.getItem(STORAGE_KEY) ?? '{}');
      for (const [key, samples] of Object.entries(saved)) if (Array.isArray(samples)) this.series.set(key, samples);
    } catch {
      // A corrupt or foreign value: start afresh.
    }
  }

  /** Adds one sample per model of a freshly read document. */
  record(doc, now = Date.now()) {
    for (const d of doc?.deployments ?? []) {
      const key = keyOf(identity(d));
      let samples = this.series.get(key) ?? [];
      const last = samples[samples.length - 1];
      if (last && isNum(d.count) && d.count < last.n) samples = []; // the model was reset: a new series
      const a = { [ALL]: d.accuracy };
      for (const w of windowNames(d)) a[w] = d.windows[w]?.accuracy;
      samples.push({ t: now, n: d.count, a });
      while (samples.length > MAX_SAMPLES || (samples.length > 1 && now - samples[0].t > KEEP_MS)) samples.shift();
      this.series.set(key, samples);
    }
    for (const [key, samples] of this.series) {
      if (now - (samples[samples.length - 1]?.t ?? 0) > KEEP_MS) this.series.delete(key); // models gone for a while
    }
    this.save();
  }

  /** Accuracy samples of one model and window, oldest first, as [{t, v}]. */
  accuracy(id, windowName = ALL) {
    return (this.series.get(keyOf(id)) ?? [])
      .map(s => ({ t: s.t, v: s.a?.[windowName] }))
      .filter(s => isNum(s.v));
  }

  /**
   * Rows counted in the last minute: the count now less the count a minute ago. With less than a minute of
   * samples, the rows since the first sample and the seconds they span.
   */
  lastMinute(id, now = Date.now()) {
    const samples = this.series.get(keyOf(id)) ?? [];
    if (samples.length < 2) return null;
    const latest = samples[samples.length - 1];
    let base = samples[0];
    for (const s of samples) if (s.t <= now - 60_000) base = s;
    if (!isNum(latest.n) || !isNum(base.n)) return null;
    return { rows: latest.n - base.n, seconds: Math.max(1, Math.round((latest.t - base.t) / 1000)) };
  }

  save() {
    try {
      this.storage?.setItem(STORAGE_KEY, JSON.stringify(Object.fromEntries(this.series)));
    } catch {
      // Storage full or disabled: the trend simply starts afresh on reload.
    }
  }
}
