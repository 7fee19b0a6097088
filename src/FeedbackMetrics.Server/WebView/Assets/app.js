// The web view: reads GET /v1/metrics?format=json every few seconds and draws the overview or one model's
// detail. The selection lives in the URL hash (#ns=…&dep=…&pred=…&model=…&window=…), so a reload, a bookmark or
// a shared link opens the same view, and the browser's back button returns to the overview.

import { h, fill, focusKey, restoreFocus } from './dom.js';
import { clock, count } from './format.js';
import { ALL, keyOf, findModel, firingAlerts, alertName, alertCondition, alertsFor, floorOf } from './model.js';
import { History } from './history.js';
import { renderOverview, renderSummary } from './overview.js';
import { renderDetail } from './detail.js';
import { COUNTS, PERCENT } from './heatmap.js';
import { sparkline } from './charts.js';

const $ = id => document.getElementById(id);
const storage = (() => { try { return window.sessionStorage; } catch { return null; } })();
const samples = new History(storage);
const TOKEN_KEY = 'feedback-metrics.token';
const DEFAULT_SORT = { key: 'model', dir: 1 };

const state = {
  doc: null, error: null, updated: null, refresh: 5,
  selected: null, window: ALL, mode: COUNTS,
  sort: { ...DEFAULT_SORT }, filter: '', onlyFiring: false,
  token: storage?.getItem(TOKEN_KEY) ?? null,
  floor: floorOf(location.search),
};
let timer = 0;
let inflight = false;
let detailSignature = '';

// ---- the URL hash ---------------------------------------------------------------------------------------------

function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  state.selected = p.has('dep') ? { ns: p.get('ns') ?? '', dep: p.get('dep') ?? '', pred: p.get('pred') ?? '', model: p.get('model') ?? '' } : null;
  state.window = p.get('window') ?? ALL;
  state.mode = p.get('cells') === PERCENT ? PERCENT : COUNTS;
  if (!state.selected) {
    const sort = p.get('sort');
    state.sort = sort ? { key: sort.replace(/^-/, ''), dir: sort.startsWith('-') ? -1 : 1 } : { ...DEFAULT_SORT };
    state.filter = p.get('q') ?? '';
    state.onlyFiring = p.get('firing') === '1';
  }
}

function writeHash({ push = false } = {}) {
  const p = new URLSearchParams();
  if (state.selected) {
    const s = state.selected;
    p.set('ns', s.ns); p.set('dep', s.dep); p.set('pred', s.pred); p.set('model', s.model);
    if (state.window !== ALL) p.set('window', state.window);
    if (state.mode === PERCENT) p.set('cells', PERCENT);
  } else {
    if (state.sort.key !== DEFAULT_SORT.key || state.sort.dir !== DEFAULT_SORT.dir) p.set('sort', `${state.sort.dir < 0 ? '-' : ''}${state.sort.key}`);
    if (state.filter) p.set('q', state.filter);
    if (state.onlyFiring) p.set('firing', '1');
  }
  const text = p.toString();
  const url = text ? `#${text}` : `${location.pathname}${location.search}`;
  if (push) window.history.pushState(null, '', url);
  else window.history.replaceState(null, '', url);
}

// ---- navigation -----------------------------------------------------------------------------------------------

function open(id) {
  state.selected = id;
  state.window = ALL;
  writeHash({ push: true });
  render();
  window.scrollTo(0, 0);
  $('detail-title')?.focus({ preventScroll: true });
}

function back() {
  const from = state.selected;
  state.selected = null;
  writeHash({ push: true });
  render();
  if (from) restoreFocus(`row:${keyOf(from)}`);
}

function setWindow(w) { state.window = w; writeHash(); render(); }
function setMode(m) { state.mode = m; writeHash(); render(); }
function setSort(key) {
  state.sort = state.sort.key === key ? { key, dir: -state.sort.dir } : { key, dir: key === 'model' ? 1 : -1 };
  writeHash();
  render();
}

// ---- reading the JSON -----------------------------------------------------------------------------------------

async function problemText(response) {
  try {
    const body = await response.json();
    return body.detail ?? body.title ?? '';
  } catch {
    return '';
  }
}

async function refresh() {
  if (inflight) return;
  inflight = true;
  try {
    const headers = { Accept: 'application/json' };
    if (state.token) headers.Authorization = `Bearer ${state.token}`;
    // A server that hangs must not stop the refreshes: give up on one read after 15 s and try again later.
    const response = await fetch('v1/metrics?format=json', { headers, cache: 'no-store', signal: AbortSignal.timeout(15_000) });
    if (response.status === 401 || response.status === 403) {
      state.error = { auth: true, text: `The metrics endpoint refused this page (HTTP ${response.status}). ${await problemText(response)}`.trim() };
    } else if (!response.ok) {
      state.error = { text: `The server answered HTTP ${response.status}. ${await problemText(response)}`.trim() };
    } else {
      state.doc = await response.json();
      state.error = null;
      state.updated = new Date();
      samples.record(state.doc);
    }
  } catch (e) {
    state.error = { text: `Cannot reach the server (${e.message}). Showing the last figures; retrying.` };
  } finally {
    inflight = false;
    // The next refresh is booked before drawing, so a figure the page fails to draw cannot stop the refreshes.
    schedule();
    render();
  }
}

function schedule() {
  clearTimeout(timer);
  if (state.refresh > 0) timer = setTimeout(() => (document.hidden ? schedule() : refresh()), state.refresh * 1000);
}

// ---- drawing --------------------------------------------------------------------------------------------------

function renderStatus() {
  const dot = $('live-dot');
  const n = state.doc?.deployments?.length ?? 0;
  dot.className = `live-dot ${state.error ? 'is-error' : state.refresh > 0 ? 'is-live' : 'is-paused'}`;
  const parts = [];
  if (state.updated) parts.push(`Updated ${clock(state.updated)}`);
  if (state.doc) parts.push(`${count(n)} model${n === 1 ? '' : 's'}`);
  parts.push(state.refresh > 0 ? `every ${state.refresh} s` : 'paused');
  $('status-text').textContent = state.error ? `Error · ${parts.join(' · ')}` : parts.join(' · ');
}

function renderProblem() {
  const box = $('problem');
  box.hidden = !state.error;
  if (!state.error) return;
  const children = [h('span', { text: state.error.text })];
  if (state.error.auth) {
    const input = h('input', { type: 'password', id: 'token-input', 'aria-label': 'Read token', placeholder: 'bearer token', autocomplete: 'off' });
    const form = h('form', { class: 'token-form', onsubmit: e => {
      e.preventDefault();
      state.token = input.value.trim() || null;
      if (state.token) storage?.setItem(TOKEN_KEY, state.token); else storage?.removeItem(TOKEN_KEY);
      refresh();
    } }, input, h('button', { type: 'submit', class: 'button', text: 'Use token' }));
    children.push(form);
  }
  if (box.dataset.text !== state.error.text) fill(box, children); // keep a half-typed token across refreshes
  box.dataset.text = state.error.text;
}

function renderAlertsBanner() {
  const banner = $('alerts-banner');
  const firing = firingAlerts(state.doc) ?? [];
  banner.hidden = firing.length === 0;
  document.title = `${firing.length ? `▲ ${firing.length} firing · ` : ''}${state.selected ? `${state.selected.dep} / ${state.selected.model} · ` : ''}Feedback metrics`;
  if (!firing.length) return;
  fill(banner, h('b', null, h('span', { 'aria-hidden': 'true', text: '▲ ' }), `${firing.length} alert${firing.length === 1 ? '' : 's'} firing: `),
    firing.slice(0, 4).map((a, i) => [i ? '; ' : '', `${alertName(a)} ${alertCondition(a)}`.trim()]), firing.length > 4 ? ' …' : '');
}

function renderDetailView(section) {
  const d = findModel(state.doc, state.selected);
  const signature = JSON.stringify([d, alertsFor(state.doc, state.selected), state.selected, state.window, state.mode]);
  if (signature === detailSignature && section.childElementCount) {
    // Same figures: only the trend moved. Redrawing everything would lose the matrix's scroll and any hover.
    const old = section.querySelector('.tile-trend svg');
    const windowName = section.querySelector('.window-select [aria-pressed="true"]')?.dataset.window ?? ALL;
    old?.replaceWith(sparkline(samples.accuracy(state.selected, windowName), { width: 150, height: 34, label: 'accuracy' }));
    return;
  }
  detailSignature = signature;
  const wrap = section.querySelector('.matrix-wrap');
  const scroll = wrap ? [wrap.scrollLeft, wrap.scrollTop] : null;
  renderDetail(section, { doc: state.doc, d, id: state.selected, state, history: samples, onBack: back, onWindow: setWindow, onMode: setMode });
  const again = section.querySelector('.matrix-wrap');
  if (again && scroll) [again.scrollLeft, again.scrollTop] = scroll;
}

// A row pressed and not yet released is not redrawn: a refresh between the press and the release would replace it, and
// the click that should open the model would land nowhere. The render waits for the release (2 s at most, should the
// release never come, e.g. outside the window).
let pressed = false;
let pressedAt = 0;
let renderWaiting = false;

function render() {
  if (pressed && Date.now() - pressedAt < 2000) {
    renderWaiting = true;
    return;
  }
  renderWaiting = false;
  const focus = focusKey();
  renderStatus();
  renderProblem();
  renderAlertsBanner();
  const overview = $('overview'), detail = $('detail'), empty = $('empty');
  const none = !!state.doc && (state.doc.deployments ?? []).length === 0;
  detail.hidden = !state.doc || !state.selected;
  empty.hidden = !none || !!state.selected;
  overview.hidden = !state.doc || none || !!state.selected;
  document.body.dataset.view = state.selected ? 'detail' : none ? 'empty' : state.doc ? 'overview' : 'loading';
  if (!detail.hidden) renderDetailView(detail);
  else detailSignature = '';
  if (!overview.hidden) {
    renderSummary($('summary'), state.doc, samples);
    const shown = renderOverview($('models'), { doc: state.doc, history: samples, state, onOpen: open, onSort: setSort });
    const notes = [];
    if (shown.shown !== shown.total) notes.push(`Showing ${count(shown.shown)} of ${count(shown.total)} models${shown.shown < shown.matching ? ' (filter to see the others)' : ''}.`);
    if (shown.computed) notes.push('† 95 % Wilson interval computed in the browser from count and accuracy (the server sends none).');
    if (shown.judged) {
      notes.push(`No alert rules on this server, so each model is judged by its own figures: red when its accuracy got worse in a window, or its 95 % interval lies below the ${Math.round(state.floor * 100)} % floor (?floor= sets another) or below always answering its most frequent class; amber when below the floor with too few rows to be sure.`);
    }
    $('overview-note').textContent = notes.join(' ');
  }
  restoreFocus(focus);
}

// ---- start ----------------------------------------------------------------------------------------------------

function curlLine() {
  const target = new URL('./', location.href).href;
  return [
    `curl -si -X POST ${target} \\`,
    "  -H 'Content-Type: application/json' -H 'ce-specversion: 1.0' \\",
    "  -H 'ce-type: io.seldon.serving.feedback' -H 'ce-source: test' -H 'ce-id: 1' \\",
    `  -d '{"response": {"data": {"ndarray": [[0.0007,0.0037,0.9956]]}},`,
    `       "truth": {"data": {"ndarray": [[0,0,1]]}}}'`,
  ].join('\n');
}

function start() {
  readHash();
  const asked = new URLSearchParams(location.search).get('refresh'); // ?refresh=SECONDS (0 = paused)
  if (asked !== null && Number.isFinite(Number(asked)) && Number(asked) >= 0) state.refresh = Number(asked);
  const select = $('refresh-select');
  if (![...select.options].some(o => Number(o.value) === state.refresh)) {
    select.append(h('option', { value: String(state.refresh), text: `every ${state.refresh} s` }));
  }
  select.value = String(state.refresh);
  select.addEventListener('change', () => { state.refresh = Number(select.value); renderStatus(); if (state.refresh > 0) refresh(); else schedule(); });

  $('models').addEventListener('pointerdown', e => { pressed = !!e.target.closest?.('tr.model-row'); pressedAt = Date.now(); });
  const release = () => {
    if (!pressed) return;
    pressed = false;
    // After the click that follows this release has been dispatched.
    if (renderWaiting) setTimeout(render, 0);
  };
  document.addEventListener('pointerup', release);
  document.addEventListener('pointercancel', release);
  window.addEventListener('blur', release);

  const filter = $('filter');
  filter.value = state.filter;
  filter.addEventListener('input', () => { state.filter = filter.value; writeHash(); render(); });
  const onlyFiring = $('only-firing');
  onlyFiring.checked = state.onlyFiring;
  onlyFiring.addEventListener('change', () => { state.onlyFiring = onlyFiring.checked; writeHash(); render(); });

  $('curl-line').textContent = curlLine();
  $('copy-curl').addEventListener('click', async e => {
    try {
      await navigator.clipboard.writeText(curlLine());
      e.target.textContent = 'Copied';
    } catch {
      window.getSelection()?.selectAllChildren($('curl-line')); // no clipboard (plain http): select it for Ctrl+C
      e.target.textContent = 'Selected';
    }
  });
  $('home-link').addEventListener('click', e => { e.preventDefault(); if (state.selected) back(); });
  // Back and forward, a typed or bookmarked hash: the URL is the truth about what is selected.
  const followUrl = () => { readHash(); filter.value = state.filter; onlyFiring.checked = state.onlyFiring; render(); };
  window.addEventListener('popstate', followUrl);
  window.addEventListener('hashchange', followUrl);
  document.addEventListener('keydown', e => {
    if (e.key === 'Escape' && state.selected && !(e.target instanceof HTMLInputElement)) back();
  });
  document.addEventListener('visibilitychange', () => { if (!document.hidden && state.refresh > 0) refresh(); });
  refresh();
}

start();
