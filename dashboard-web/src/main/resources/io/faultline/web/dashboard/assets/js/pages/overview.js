// Copyright The Faultline Authors. SPDX-License-Identifier: Apache-2.0
// Which services are healthy: rate, errors and latency percentiles per service, with sparklines.
import { h, replace, loading, errorBox, empty, sparkline, fmtNum, fmtPct, fmtSeconds, healthOf, rowLink, unavailable } from '../dom.js';
import { api, promInstant, promRange, settle } from '../api.js';
import { stepFor, promDuration } from '../time.js';
import * as red from '../red.js';

export async function render(ctx) {
  const { range, signal } = ctx;
  const chaosBox = h('div');
  const body = h('div', null, loading('Loading service health…'));
  replace(ctx.root,
    h('div', { class: 'row', style: 'justify-content: space-between; align-items: center' },
      h('h1', null, 'Services'),
      h('div', { class: 'small muted' }, 'Rate, errors and latency of the requests each service serves, from span metrics.')),
    chaosBox, body);
  chaosStatus(ctx, chaosBox);

  const rangeSec = (range.end - range.start) / 1000;
  const whole = promDuration(rangeSec);
  const step = stepFor(range, 60);
  const win = red.windowFor(step);
  const [services, rate, errors, p50, p95, p99, rateS, errS, p95S] = await settle([
    api('/api/services', { signal, what: 'The trace API' }),
    promInstant(red.rate('service', whole), range.end, signal),
    promInstant(red.errorRatio('service', whole), range.end, signal),
    promInstant(red.quantile(0.5, 'service', whole), range.end, signal),
    promInstant(red.quantile(0.95, 'service', whole), range.end, signal),
    promInstant(red.quantile(0.99, 'service', whole), range.end, signal),
    promRange(red.rate('service', win), range, step, signal),
    promRange(red.errorRatio('service', win), range, step, signal),
    promRange(red.quantile(0.95, 'service', win), range, step, signal),
  ]);
  if (signal.aborted) return;
  const metricsError = rate.error;
  const names = new Set(services.value ? services.value.data || [] : []);
  const rates = red.byLabel(rate.value, 'service');
  rates.forEach((_, k) => names.add(k));
  if (!names.size) {
    replace(body, services.error ? errorBox(services.error, 'Listing services') : empty('No services have sent traces in this time range yet. Point an OpenTelemetry SDK at port 4317 (gRPC) or 4318 (HTTP).'));
    return;
  }
  const errs = red.byLabel(errors.value, 'service');
  const q50 = red.byLabel(p50.value, 'service'), q95 = red.byLabel(p95.value, 'service'), q99 = red.byLabel(p99.value, 'service');
  const sRate = red.seriesByLabel(rateS.value, 'service'), sErr = red.seriesByLabel(errS.value, 'service'), sP95 = red.seriesByLabel(p95S.value, 'service');
  // placed in time over the page's range, so a series that began a minute ago sits at the right end
  const xRange = [range.start / 1000, range.end / 1000];
  const spark = (m, name, color, lbl) => (m.has(name) ? sparkline(m.get(name), { color, label: `${lbl} of ${name}`, xRange, step }) : h('span', { class: 'muted' }, '—'));
  const sorted = [...names].sort((a, b) => (errs.get(b) || 0) - (errs.get(a) || 0) || a.localeCompare(b));
  const rows = sorted.map((name) => [
    h('span', null, h('span', { class: `health ${healthOf(errs.get(name))}`, title: 'error ratio' }), h('a', { href: ctx.href('service', { name }) }, name)),
    fmtNum(rates.get(name), '/s'), spark(sRate, name, '#3b6fd8', 'request rate'),
    fmtPct(errs.get(name)), spark(sErr, name, '#d1343b', 'error ratio'),
    fmtSeconds(q50.get(name)), fmtSeconds(q95.get(name)), fmtSeconds(q99.get(name)), spark(sP95, name, '#8a5cd1', 'p95 latency'),
    h('span', null, h('a', { href: ctx.href('traces', { service: name }) }, 'traces'), ' · ', h('a', { href: ctx.href('logs', { query: `service:"${name}"` }) }, 'logs')),
  ]);
  const cols = [{ label: 'Service' }, { label: 'Rate', num: true }, { label: '' }, { label: 'Errors', num: true }, { label: '' },
    { label: 'p50', num: true }, { label: 'p95', num: true }, { label: 'p99', num: true }, { label: '' }, { label: '' }];
  if (metricsError) {
    replace(body, metricsError.unavailable
      ? unavailable('The metrics API (span metrics for rate, errors and latency)')
      : errorBox(metricsError, 'Querying span metrics'),
    h('p', { class: 'small muted' }, 'Until span metrics are available, here are the services known from traces.'),
    services.error ? errorBox(services.error, 'Listing services from traces') : fallbackTable(ctx, sorted));
    return;
  }
  const notes = [];
  if (services.error) notes.push(errorBox(services.error, 'Listing services from traces'));
  const tableEl = h('table', { id: 'services' },
    h('thead', null, h('tr', null, cols.map((c) => h('th', { class: c.num ? 'num' : null, scope: 'col' }, c.label)))),
    h('tbody', null, rows.map((r, i) => h('tr', { ...rowLink(ctx.href('service', { name: sorted[i] })), dataset: { service: sorted[i] } },
      r.map((cell, j) => h('td', { class: cols[j].num ? 'num' : null }, cell))))));
  replace(body, notes, h('div', { class: 'panel' }, tableEl),
    h('p', { class: 'small muted' }, `Values over the whole range (${whole}); sparklines in ${promDuration(step)} steps. `,
      h('a', { href: ctx.href('map') }, 'Service map →')));
}

/** Services from the trace API, with their operation counts: the view without span metrics. */
function fallbackTable(ctx, names) {
  const rows = names.map((name) => {
    const ops = h('td', { class: 'num' }, '…');
    api(`/api/services/${encodeURIComponent(name)}/operations`, { signal: ctx.signal })
      .then((b) => { ops.textContent = String((b.data || []).length); }, () => { ops.textContent = '?'; });
    return h('tr', { ...rowLink(ctx.href('service', { name })), dataset: { service: name } },
      h('td', null, h('span', { class: 'health none' }), h('a', { href: ctx.href('service', { name }) }, name)), ops,
      h('td', { class: 'nowrap' }, h('a', { href: ctx.href('traces', { service: name }) }, 'traces'), ' · ',
        h('a', { href: ctx.href('traces', { service: name, tags: 'error=true' }) }, 'error traces'), ' · ',
        h('a', { href: ctx.href('logs', { query: `service:"${name}"` }) }, 'logs')));
  });
  return h('div', { class: 'panel' }, h('table', { id: 'services' },
    h('thead', null, h('tr', null, h('th', null, 'Service'), h('th', { class: 'num' }, 'Operations'), h('th', null, ''))),
    h('tbody', null, rows)));
}

/** Whether a chaos experiment is running right now. */
async function chaosStatus(ctx, box) {
  try {
    const body = await api('/api/chaos/runs', { params: { status: 'running' }, signal: ctx.signal, what: 'The chaos API' });
    const runs = Array.isArray(body) ? body : body && (body.data || body.runs) || [];
    if (!runs.length) {
      replace(box, h('p', { class: 'small muted', id: 'chaos-status' }, 'No chaos experiment is running. ', h('a', { href: ctx.href('chaos') }, 'Chaos experiments →')));
      return;
    }
    replace(box, h('div', { class: 'state unavailable', id: 'chaos-status', role: 'status' }, `⚡ ${runs.length} chaos experiment run(s) in progress: `,
      runs.map((r) => h('a', { href: ctx.href('chaos', { run: r.runId || r.id }) }, r.title || r.experiment || r.runId || r.id)).reduce((a, b) => [a, ', ', b])));
  } catch (e) {
    if (e.name === 'AbortError') return;
    replace(box, h('p', { class: 'small muted', id: 'chaos-status' }, e.unavailable ? 'Chaos API not available on this server yet.' : `Chaos status unknown: ${e.message}`));
  }
}
