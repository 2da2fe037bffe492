// Copyright The Faultline Authors. SPDX-License-Identifier: Apache-2.0
// One service: RED charts over time, its operations, and links to its traces, logs and metrics.
import { h, replace, loading, errorBox, empty, fmtNum, fmtPct, fmtSeconds, healthOf, unavailable } from '../dom.js';
import { api, promInstant, promRange, settle } from '../api.js';
import { stepFor, promDuration } from '../time.js';
import { timeChart, toPoints, xRangeOf } from '../chart.js';
import * as red from '../red.js';
import { faultBands, faultLegend } from '../faults.js';

export async function render(ctx) {
  // #/service?name=payments, as the app links it, or #/service/payments, as one types it
  const name = ctx.params.get('name') || ctx.arg;
  if (!name) {
    replace(ctx.root, errorBox(new Error('No service given: open a service from the overview or the service map.')));
    return;
  }
  const { range, signal } = ctx;
  const svc = `service="${red.esc(name)}"`;
  const step = stepFor(range, 120);
  const win = red.windowFor(step);
  const whole = promDuration((range.end - range.start) / 1000);
  const charts = { rate: h('div', { class: 'chart', id: 'chart-rate' }, loading()), errors: h('div', { class: 'chart', id: 'chart-errors' }, loading()), latency: h('div', { class: 'chart', id: 'chart-latency' }, loading()) };
  const ops = h('div', { class: 'panel', id: 'operations' }, h('h2', null, 'Operations'), loading());
  const faultNote = h('div', { id: 'fault-windows' });
  const known = h('div', { id: 'service-known' });
  const q = {
    rate: `sum by (status_code) (rate(${red.CALLS}{${red.sel(svc)}}[${win}]))`,
    errors: red.errorRatio('service', win, svc),
    p50: red.quantile(0.5, 'service', win, svc), p95: red.quantile(0.95, 'service', win, svc), p99: red.quantile(0.99, 'service', win, svc),
  };
  replace(ctx.root,
    h('h1', null, 'Service ', h('span', { id: 'service-name' }, name)),
    known,
    h('div', { class: 'row small', style: 'margin-bottom: 10px' },
      h('a', { href: ctx.href('traces', { service: name }) }, 'All traces'),
      h('a', { href: ctx.href('traces', { service: name, tags: 'error=true' }) }, 'Traces with errors'),
      h('a', { href: ctx.href('traces', { service: name, sort: 'longest' }) }, 'Slowest traces'),
      h('a', { href: ctx.href('logs', { query: `service:"${name}"` }) }, 'Logs'),
      h('a', { href: ctx.href('logs', { query: `service:"${name}" AND severity:ERROR` }) }, 'Error logs'),
      h('a', { href: ctx.href('metrics', { q: [q.rate, q.p50, q.p95, q.p99] }) }, 'Open these metrics in the explorer')),
    h('div', { class: 'grid3', id: 'charts' },
      h('div', { class: 'panel' }, h('div', { class: 'chart-title' }, 'Requests per second by status'), charts.rate),
      h('div', { class: 'panel' }, h('div', { class: 'chart-title' }, 'Error ratio'), charts.errors),
      h('div', { class: 'panel' }, h('div', { class: 'chart-title' }, 'Latency p50 / p95 / p99'), charts.latency)),
    faultNote,
    ops);

  checkKnown(ctx, name, known);
  const faults = faultBands(range, signal).catch(() => ({ bands: [], error: null }));
  const [rate, errors, p50, p95, p99] = await settle([q.rate, q.errors, q.p50, q.p95, q.p99].map((x) => promRange(x, range, step, signal)));
  if (signal.aborted) return;
  const { bands, error: faultError } = await faults;
  if (signal.aborted) return;
  replace(faultNote, faultLegend(bands, ctx.href), faultError ? errorBox(faultError, 'Loading chaos fault windows') : null);
  const draw = async (el, series, opts) => {
    if (!series.some((s) => s.points.length)) { replace(el, empty('No data in this time range.')); return; }
    try { ctx.onCleanup(await timeChart(el, series, { height: 180, bands, xRange: xRangeOf(range), ...opts })); } catch (e) { replace(el, errorBox(e, 'Drawing the chart')); }
  };
  if (rate.error) {
    document.getElementById('charts').replaceWith(rate.error.unavailable
      ? unavailable('The metrics API (span metrics for rate, errors and latency)')
      : errorBox(rate.error, 'Querying span metrics'));
  } else {
    const statusName = (s) => (s || 'UNSET').replace('STATUS_CODE_', '');
    await draw(charts.rate, rate.value.map((r) => ({ label: statusName(r.metric.status_code), points: toPoints(r.values), color: r.metric.status_code === 'STATUS_CODE_ERROR' ? '#d1343b' : undefined })), { yFormat: (v) => fmtNum(v, '/s') });
    await draw(charts.errors, (errors.value || []).map((r) => ({ label: 'errors', points: toPoints(r.values), color: '#d1343b' })), { yFormat: fmtPct, yRange: ratioRange });
    const lat = [['p50', p50], ['p95', p95], ['p99', p99]].map(([l, r]) => ({ label: l, points: r.value && r.value[0] ? toPoints(r.value[0].values).filter((p) => isFinite(p[1])) : [] }));
    await draw(charts.latency, lat, { yFormat: fmtSeconds });
  }
  operations(ctx, name, svc, whole, ops, rate.error);
}

/** A name no span ever carried (a typo, an old link) is said so, rather than left as empty charts. */
async function checkKnown(ctx, name, box) {
  try {
    const body = await api('/api/services', { signal: ctx.signal, what: 'The trace API' });
    const names = body.data || [];
    if (names.includes(name)) return;
    replace(box, h('div', { class: 'state unavailable', role: 'status' },
      `No service named "${name}" has sent spans to this server. Check the name, or pick a service on the `,
      h('a', { href: ctx.href('') }, 'overview'), names.length ? ` (known: ${names.slice(0, 20).join(', ')}${names.length > 20 ? ', …' : ''}).` : '.'));
  } catch (e) { /* the charts and the operations report an unreachable server */ }
}

async function operations(ctx, name, svc, whole, box, metricsError) {
  const { signal, range } = ctx;
  const title = h('h2', null, 'Operations');
  if (metricsError) {
    try {
      const body = await api('/api/operations', { params: { service: name }, signal, what: 'The trace API' });
      const list = body.data || [];
      replace(box, title, list.length ? h('table', null, h('thead', null, h('tr', null, h('th', null, 'Operation'), h('th', null, 'Kind'), h('th', null, ''))),
        h('tbody', null, list.map((o) => h('tr', null, h('td', null, o.name), h('td', null, o.spanKind || ''),
          h('td', null, h('a', { href: ctx.href('traces', { service: name, operation: o.name }) }, 'traces'))))))
        : empty('No operations recorded for this service.'));
    } catch (e) { if (e.name !== 'AbortError') replace(box, title, errorBox(e, 'Listing operations')); }
    return;
  }
  const [rate, err, p95] = await settle([
    promInstant(red.rate('span_name', whole, svc), range.end, signal),
    promInstant(red.errorRatio('span_name', whole, svc), range.end, signal),
    promInstant(red.quantile(0.95, 'span_name', whole, svc), range.end, signal),
  ]);
  if (signal.aborted) return;
  if (rate.error) { replace(box, title, errorBox(rate.error, 'Querying operations')); return; }
  const r = red.byLabel(rate.value, 'span_name'), e = red.byLabel(err.value, 'span_name'), l = red.byLabel(p95.value, 'span_name');
  const names = [...r.keys()].sort((a, b) => (r.get(b) || 0) - (r.get(a) || 0));
  replace(box, title, names.length ? h('table', null,
    h('thead', null, h('tr', null, h('th', null, 'Operation'), h('th', { class: 'num' }, 'Rate'), h('th', { class: 'num' }, 'Errors'), h('th', { class: 'num' }, 'p95'), h('th', null, ''))),
    h('tbody', null, names.map((op) => h('tr', null,
      h('td', null, h('span', { class: `health ${healthOf(e.get(op))}` }), op), h('td', { class: 'num' }, fmtNum(r.get(op), '/s')),
      h('td', { class: 'num' }, fmtPct(e.get(op))), h('td', { class: 'num' }, fmtSeconds(l.get(op))),
      h('td', { class: 'nowrap' }, h('a', { href: ctx.href('traces', { service: name, operation: op }) }, 'traces'), ' · ',
        h('a', { href: ctx.href('traces', { service: name, operation: op, tags: 'error=true' }) }, 'errors'))))))
    : empty(`No server or consumer spans of ${name} in this time range.`));
}

/** A ratio's y axis: from 0, a little above the highest value, never past 100% (all zero: 0–100%). */
const ratioRange = (u, min, max) => [0, max > 0 ? Math.min(1, max * 1.2) : 1];
