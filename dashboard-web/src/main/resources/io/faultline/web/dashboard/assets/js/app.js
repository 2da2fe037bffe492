// Copyright The Faultline Authors. SPDX-License-Identifier: Apache-2.0
// The shell: hash routes (#/page/arg?params), the global time range and refresh, sign-in state.
import { h, replace, loading, errorBox } from './dom.js';
import { api } from './api.js';
import { QUICK, resolve, label, parsePoint, toLocalInput, DEFAULT_FROM } from './time.js';

const PAGES = {
  '': { title: 'Overview', module: './pages/overview.js', nav: true },
  map: { title: 'Service map', module: './pages/map.js', nav: true },
  traces: { title: 'Traces', module: './pages/traces.js', nav: true },
  logs: { title: 'Logs', module: './pages/logs.js', nav: true },
  metrics: { title: 'Metrics', module: './pages/metrics.js', nav: true },
  slos: { title: 'SLOs', module: './pages/slos.js', nav: true },
  chaos: { title: 'Chaos', module: './pages/chaos.js', nav: true },
  service: { title: 'Service', module: './pages/service.js' },
  trace: { title: 'Trace', module: './pages/trace.js' },
  signin: { title: 'Sign in', module: './pages/signin.js', open: true },
};
const GLOBAL = ['from', 'to', 'refresh'];
const REFRESH = [['', 'Auto-refresh off'], ['10s', 'Every 10 s'], ['30s', 'Every 30 s'], ['1m', 'Every 1 min'], ['5m', 'Every 5 min']];

const main = document.getElementById('main');
let user = null;
let current = null; // {controller, cleanups, timer}
let endedBecause = null; // why a signed-in session ended, for the sign-in page to say

/** The current route: {page, arg, params}. */
export function currentRoute() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = raw.split('?');
  const [page = '', ...rest] = path.split('/');
  return { page: decodeURIComponent(page), arg: rest.map(decodeURIComponent).join('/'), params: new URLSearchParams(query) };
}

/** A link to a page that keeps the global time range and refresh. */
export function href(path, params = {}, carry = currentRoute().params) {
  const q = new URLSearchParams();
  for (const k of GLOBAL) if (carry.get(k)) q.set(k, carry.get(k));
  for (const [k, v] of Object.entries(params)) {
    if (v == null || v === '') continue;
    if (Array.isArray(v)) { q.delete(k); v.forEach((x) => q.append(k, x)); } else q.set(k, v);
  }
  const qs = q.toString();
  return `#/${path}${qs ? '?' + qs : ''}`;
}

function setHash(hash, push = true) {
  if (location.hash === hash) { render(); return; }
  if (push) location.hash = hash;
  else { history.replaceState(null, '', hash); render(); }
}

/** Replaces some query parameters of the current route (page-specific or global). */
export function update(params, { push = true } = {}) {
  const r = currentRoute();
  const q = new URLSearchParams(r.params);
  for (const [k, v] of Object.entries(params)) {
    q.delete(k);
    if (Array.isArray(v)) v.filter((x) => x !== '').forEach((x) => q.append(k, x));
    else if (v != null && v !== '') q.set(k, v);
  }
  const path = [r.page, r.arg].filter(Boolean).map(encodeURIComponent).join('/');
  setHash(`#/${path}${q.toString() ? '?' + q : ''}`, push);
}

function teardown() {
  if (!current) return;
  current.controller.abort();
  clearInterval(current.timer);
  for (const c of current.cleanups) { try { c(); } catch (e) { /* a failing cleanup must not block the next page */ } }
  current = null;
}

async function render() {
  teardown();
  const picker = document.getElementById('time-picker');
  if (picker) picker.remove();
  const route = currentRoute();
  const def = PAGES[route.page];
  const state = { controller: new AbortController(), cleanups: [], timer: null };
  current = state;
  if ((!def || !def.open) && !user) {
    setHash(href('signin', { next: def ? location.hash || '#/' : '#/' }), false);
    return;
  }
  if (!def) {
    document.title = 'Not found · Faultline';
    drawChrome(route);
    replace(main, h('div', {},
      errorBox(new Error(`There is no page "${route.page}". Use the navigation above.`)),
      h('p', {}, h('a', { href: '#/' }, 'Go to the overview'))));
    return;
  }
  document.body.classList.toggle('signed-out', !user);
  document.title = `${def.title} · Faultline`;
  drawChrome(route);
  let range;
  try {
    range = resolve(route.params.get('from'), route.params.get('to'));
  } catch (e) {
    replace(main, errorBox(e, 'Reading the time range'));
    return;
  }
  replace(main, loading());
  let mod;
  try {
    mod = await import(def.module);
  } catch (e) {
    // the browser's own message names a module URL; what the user needs is that the server is gone
    replace(main, errorBox(new Error(`cannot load this page from the Faultline server (${e.message}); is it running? `
      + 'Try again once it is.'), 'Loading this page'));
    return;
  }
  if (current !== state) return;
  const ctx = {
    root: main, arg: route.arg, params: route.params, range, signal: state.controller.signal,
    user, href, update, onCleanup: (fn) => state.cleanups.push(fn), notice: route.page === 'signin' ? endedBecause : null,
    go: (path, params) => setHash(href(path, params)),
    signedIn: (u) => { user = u; endedBecause = null; drawChrome(currentRoute()); },
  };
  try {
    await mod.render(ctx);
  } catch (e) {
    if (e.name !== 'AbortError' && current === state) main.append(errorBox(e, 'Showing this page'));
  }
  const every = parseEvery(route.params.get('refresh'));
  if (every && mod.autoRefresh !== false && current === state) {
    state.timer = setInterval(() => { if (!document.hidden) render(); }, every);
  }
}

function parseEvery(text) {
  const m = /^(\d+)([sm])$/.exec(text || '');
  return m ? Number(m[1]) * (m[2] === 'm' ? 60000 : 1000) : 0;
}

function drawChrome(route) {
  const nav = document.getElementById('nav');
  replace(nav, Object.entries(PAGES).filter(([, d]) => d.nav).map(([k, d]) =>
    h('a', { href: href(k, {}, route.params), 'aria-current': k === route.page ? 'page' : null }, d.title)));
  const controls = document.getElementById('controls');
  if (!user) { controls.replaceChildren(); return; }
  const from = route.params.get('from') || DEFAULT_FROM, to = route.params.get('to') || 'now';
  const picker = h('button', { type: 'button', id: 'time-range', 'aria-haspopup': 'dialog', title: 'Time range', onclick: () => openPicker(picker, from, to) }, label(from, to));
  const refresh = h('select', { id: 'auto-refresh', 'aria-label': 'Auto-refresh', onchange: (e) => update({ refresh: e.target.value }) },
    REFRESH.map(([v, t]) => h('option', { value: v, selected: (route.params.get('refresh') || '') === v }, t)));
  replace(controls, picker,
    h('button', { type: 'button', title: 'Refresh now', 'aria-label': 'Refresh now', onclick: () => render() }, '↻'),
    refresh,
    h('span', { class: 'who', id: 'who' }, `${user.name} (${user.role})`),
    h('button', { type: 'button', id: 'sign-out', onclick: signOut }, 'Sign out'));
}

function openPicker(anchor, from, to) {
  const existing = document.getElementById('time-picker');
  if (existing) { existing.remove(); return; }
  const fromIn = h('input', { id: 'range-from', value: /^\d+$/.test(from) ? toLocalInput(Number(from)) : from, placeholder: 'now-6h or 2026-06-01T12:00' });
  const toIn = h('input', { id: 'range-to', value: /^\d+$/.test(to) ? toLocalInput(Number(to)) : to, placeholder: 'now' });
  const err = h('div');
  const close = () => { pop.remove(); anchor.focus(); };
  const apply = (e) => {
    e.preventDefault();
    try {
      const f = fromIn.value.trim(), t = toIn.value.trim() || 'now';
      const abs = (x) => (x.startsWith('now') ? x : String(parsePoint(x)));
      resolve(abs(f), abs(t));
      pop.remove();
      update({ from: abs(f), to: abs(t) });
    } catch (ex) {
      replace(err, errorBox(ex));
    }
  };
  const pop = h('div', { class: 'popover', id: 'time-picker', role: 'dialog', 'aria-label': 'Time range',
    onkeydown: (e) => { if (e.key === 'Escape') close(); } },
  h('div', { class: 'quick' }, QUICK.map(([f, t]) => h('button', { type: 'button', onclick: () => { pop.remove(); update({ from: f, to: 'now' }); } }, t))),
  h('form', { onsubmit: apply },
    h('div', { class: 'row' }, h('label', { class: 'grow' }, 'From', fromIn), h('label', { class: 'grow' }, 'To', toIn),
      h('button', { class: 'primary', type: 'submit' }, 'Apply')),
    h('p', { class: 'small muted' }, 'Relative (now-15m, now-2d) or absolute local time (2026-06-01T12:00).'),
    err));
  document.body.append(pop);
  pop.querySelector('button').focus();
  const outside = (e) => {
    if (!pop.isConnected) { document.removeEventListener('mousedown', outside); return; }
    if (!pop.contains(e.target) && e.target !== anchor) { pop.remove(); document.removeEventListener('mousedown', outside); }
  };
  document.addEventListener('mousedown', outside);
}

async function signOut() {
  try { await api('/api/session', { method: 'DELETE' }); } catch (e) { /* signing out of a dead session is fine */ }
  // unsaved drafts outlive an ended session, not a sign-out: the next user of this tab gets none
  try { (await import('./drafts.js')).clearAllDrafts(); } catch (e) { /* no drafts module, no drafts */ }
  user = null;
  setHash('#/signin');
}

window.addEventListener('faultline:unauthorized', () => {
  if (currentRoute().page === 'signin') return;
  // the server's 401 message is about API headers; the user needs to know why the page changed
  if (user) endedBecause = 'Your session has ended: the server no longer accepts this sign-in (signed out elsewhere, '
    + 'or the server restarted or its tokens changed). Sign in again to go back to where you were.';
  user = null;
  setHash(href('signin', { next: location.hash }), false);
});
window.addEventListener('hashchange', () => render());

async function boot() {
  try {
    user = await api('/api/session');
  } catch (e) {
    user = null;
    if (e.status !== 401 && !(await signedOut())) {
      document.body.classList.remove('booting');
      replace(main, errorBox(e, 'Asking the server who you are'));
      return;
    }
  }
  document.body.classList.remove('booting');
  render();
}

/**
 * Some servers answer GET /api/session without a session with an error instead of 401; a 401
 * from a protected API then tells that the browser is simply not signed in.
 */
async function signedOut() {
  try {
    await api('/api/services');
    return false;
  } catch (e) {
    return e.status === 401;
  }
}

boot();
