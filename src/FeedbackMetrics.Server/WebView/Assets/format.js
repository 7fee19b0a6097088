// Number and time formats shared by every view. A missing figure is an em dash, never 0 or NaN.

export const DASH = '—';

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function isNum(v) {
  return typeof v === 'number' && Number.isFinite(v);
}

/** 0.9533 → "95.3 %". */
export function pct(v, digits = 1) {
  return isNum(v) ? `${(v * 100).toFixed(digits)} %` : DASH;
}

/** A ratio shown as scikit-learn prints it: 0.953. */
export function ratio(v, digits = 3) {
  return isNum(v) ? v.toFixed(digits) : DASH;
}

export function count(v) {
  return isNum(v) ? integer.format(v) : DASH;
}

/** A duration in seconds, short: 45 s, 3 min 20 s, 2 h 5 min, 3 d 4 h. */
export function duration(seconds) {
  if (!isNum(seconds)) return DASH;
  const s = Math.max(0, seconds);
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours} h ${m % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** A wall-clock time, 24 h, seconds included. */
export function clock(date) {
  return date.toLocaleTimeString('en-GB', { hour12: false });
}

/** An interval "91.2–95.1 %". */
export function interval(iv) {
  return iv && isNum(iv.low) && isNum(iv.high)
    ? `${(iv.low * 100).toFixed(1)}–${(iv.high * 100).toFixed(1)} %`
    : DASH;
}
