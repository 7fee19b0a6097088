// Inline SVG charts and the heatmap's colour scale. One hue only (ColorBrewer "Blues": lightness rises
// monotonically, so it reads the same with every colour-vision deficiency and in greyscale); every chart also
// carries its numbers as text or <title>, never colour alone.

import { svg } from './dom.js';
import { isNum, count, pct } from './format.js';

const BLUES = ['#f7fbff', '#deebf7', '#c6dbef', '#9ecae1', '#6baed6', '#4292c6', '#2171b5', '#08519c', '#08306b'];

function rgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

const STOPS = BLUES.map(rgb);

/** The colour of a value in [0, 1] on the sequential scale, and whether text on it should be light. */
export function shade(t) {
  const x = Math.min(1, Math.max(0, isNum(t) ? t : 0)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const c = STOPS[i].map((v, k) => Math.round(v + (STOPS[i + 1][k] - v) * f));
  // Relative luminance (sRGB): light text on the dark end of the scale.
  const lin = c.map(v => { const s = v / 255; return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; });
  const luminance = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
  return { colour: `rgb(${c.join(' ')})`, light: luminance < 0.3 };
}

/** CSS gradient of the whole scale, for legends. */
export function scaleGradient() {
  return `linear-gradient(to right, ${BLUES.join(', ')})`;
}

/** A small line of recent values; [{t, v}] oldest first. */
export function sparkline(points, { width = 120, height = 30, label = 'trend' } = {}) {
  if (points.length < 2) {
    return svg('svg', { class: 'spark spark-empty', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${label}: collecting samples` },
      svg('title', { text: 'The trend appears after two refreshes.' }),
      svg('line', { x1: 2, x2: width - 2, y1: height / 2, y2: height / 2, class: 'spark-baseline' }));
  }
  const values = points.map(p => p.v);
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi - lo < 0.02) { const mid = (hi + lo) / 2; lo = mid - 0.01; hi = mid + 0.01; }
  const t0 = points[0].t;
  const span = Math.max(1, points[points.length - 1].t - t0);
  const pad = 3;
  const x = t => pad + ((t - t0) / span) * (width - 2 * pad);
  const y = v => height - pad - ((v - lo) / (hi - lo)) * (height - 2 * pad);
  const d = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)} ${y(p.v).toFixed(1)}`).join(' ');
  const last = points[points.length - 1];
  const summary = `${label}: ${pct(values[0])} → ${pct(last.v)} (low ${pct(Math.min(...values))}, high ${pct(Math.max(...values))}, ${points.length} samples)`;
  return svg('svg', { class: 'spark', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': summary },
    svg('title', { text: summary }),
    svg('path', { d, class: 'spark-line' }),
    svg('circle', { cx: x(last.t).toFixed(1), cy: y(last.v).toFixed(1), r: 2.5, class: 'spark-dot' }));
}

export function axes(g, { w, h, ml, mt, xLabel, yLabel, yTicks }) {
  for (const [v, text] of yTicks) {
    const y = mt + h - v * h;
    g.append(svg('line', { x1: ml, x2: ml + w, y1: y, y2: y, class: 'grid' }));
    g.append(svg('text', { x: ml - 6, y: y + 4, class: 'tick', 'text-anchor': 'end', text }));
  }
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    g.append(svg('text', { x: ml + v * w, y: mt + h + 15, class: 'tick', 'text-anchor': 'middle', text: String(v) }));
  }
  g.append(svg('line', { x1: ml, x2: ml + w, y1: mt + h, y2: mt + h, class: 'axis' }));
  g.append(svg('line', { x1: ml, x2: ml, y1: mt, y2: mt + h, class: 'axis' }));
  g.append(svg('text', { x: ml + w / 2, y: mt + h + 32, class: 'axis-label', 'text-anchor': 'middle', text: xLabel }));
  g.append(svg('text', { x: 12, y: mt + h / 2, class: 'axis-label', 'text-anchor': 'middle', transform: `rotate(-90 12 ${mt + h / 2})`, text: yLabel }));
}

/** Reliability diagram: per confidence bin, the accuracy reached (bar) against the confidence claimed (dot, diagonal). */
export function reliabilityDiagram(bins) {
  const W = 320, H = 250, ml = 44, mr = 10, mt = 10, mb = 42;
  const w = W - ml - mr, h = H - mt - mb;
  const root = svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Reliability diagram: accuracy per confidence bin against the diagonal of perfect calibration' });
  axes(root, { w, h, ml, mt, xLabel: 'confidence (top probability)', yLabel: 'accuracy', yTicks: [[0, '0'], [0.5, '0.5'], [1, '1']] });
  root.append(svg('line', { x1: ml, y1: mt + h, x2: ml + w, y2: mt, class: 'diagonal' },
    svg('title', { text: 'perfect calibration: accuracy = confidence' })));
  for (const b of bins.filter(b => b.count > 0 && isNum(b.low) && isNum(b.high))) {
    const x0 = ml + b.low * w, x1 = ml + b.high * w;
    const tip = `${b.low}–${b.high}: ${count(b.count)} rows, mean confidence ${pct(b.confidence)}, accuracy ${pct(b.accuracy)}`;
    if (isNum(b.accuracy)) {
      root.append(svg('rect', { x: x0 + 1, width: Math.max(1, x1 - x0 - 2), y: mt + h - b.accuracy * h, height: b.accuracy * h, class: 'bar' },
        svg('title', { text: tip })));
    }
    if (isNum(b.confidence) && isNum(b.accuracy)) {
      root.append(svg('circle', { cx: ml + b.confidence * w, cy: mt + h - b.accuracy * h, r: 3, class: 'dot' }, svg('title', { text: tip })));
    }
  }
  return root;
}

/** Confidence histogram: rows per confidence bin. */
export function confidenceHistogram(bins) {
  const W = 320, H = 170, ml = 44, mr = 10, mt = 10, mb = 42;
  const w = W - ml - mr, h = H - mt - mb;
  const max = Math.max(1, ...bins.map(b => (isNum(b.count) ? b.count : 0)));
  const root = svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Confidence histogram: rows per bin of the top probability' });
  axes(root, { w, h, ml, mt, xLabel: 'confidence (top probability)', yLabel: 'rows', yTicks: [[0, '0'], [1, count(max)]] });
  for (const b of bins.filter(b => isNum(b.low) && isNum(b.high) && b.count > 0)) {
    const x0 = ml + b.low * w, x1 = ml + b.high * w;
    root.append(svg('rect', { x: x0 + 1, width: Math.max(1, x1 - x0 - 2), y: mt + h - (b.count / max) * h, height: (b.count / max) * h, class: 'bar' },
      svg('title', { text: `${b.low}–${b.high}: ${count(b.count)} rows` })));
  }
  return root;
}
