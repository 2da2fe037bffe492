// Copyright The Faultline Authors. SPDX-License-Identifier: Apache-2.0
// One trace: a collapsible waterfall with the critical path, span details, and the trace's logs.
import { h, replace, loading, errorBox, empty, fmtDuration, fmtTime, PALETTE } from '../dom.js';
import { api } from '../api.js';
import { summarize, tree, criticalPath, serviceOf, isError, tag } from '../jaeger.js';
import { logTable } from '../logtable.js';
import * as red from '../red.js';

let colorOf = () => PALETTE[0];

export const autoRefresh = false;

export async function render(ctx) {
  const id = ctx.arg;
  if (!/^[0-9a-fA-F]{1,32}$/.test(id)) {
    replace(ctx.root, errorBox(new Error(`"${id}" is not a trace id: expected up to 32 hex characters`)));
    return;
  }
  replace(ctx.root, loading(`Loading trace ${id}…`));
  let trace;
  try {
    const body = await api(`/api/traces/${id}`, { signal: ctx.signal, what: 'The trace API' });
    trace = body.data && body.data[0];
  } catch (e) {
    if (e.name === 'AbortError') return;
    replace(ctx.root, h('h1', null, 'Trace ', h('span', { class: 'mono' }, id)),
      errorBox(e.status === 404 ? new Error(`trace ${id} was not found: it may be older than the retention period, or not yet indexed`) : e, 'Loading the trace'));
    return;
  }
  if (!trace || !trace.spans || !trace.spans.length) {
    replace(ctx.root, empty(`Trace ${id} has no spans.`));
    return;
  }
  const sum = summarize(trace);
  const t = tree(trace);
  const crit = criticalPath(t.roots);
  const waterfall = h('div', { class: 'wf panel', id: 'waterfall', style: 'padding: 0' });
  const logsBox = h('div', { class: 'panel', id: 'trace-logs' }, h('h2', null, 'Logs of this trace'), loading('Loading logs…'));
  const startMs = sum.start / 1000;
  const svcList = [...sum.services.keys()];
  // one colour per service of this trace, in order of appearance: hashing could give two the same
  const colors = new Map(svcList.map((s, i) => [s, PALETTE[i % PALETTE.length]]));
  colorOf = (s) => colors.get(s) || PALETTE[PALETTE.length - 1];
  replace(ctx.root,
    h('h1', null, `${sum.rootService}: ${sum.rootName}`),
    h('div', { class: 'row small', style: 'margin-bottom: 10px; align-items: center' },
      h('span', { class: 'mono' }, trace.traceID),
      h('span', null, 'Started ', fmtTime(startMs)), h('span', null, 'Duration ', h('b', null, fmtDuration(sum.duration))),
      h('span', null, `${sum.spanCount} spans`), sum.errors ? h('span', { class: 'badge bad' }, `${sum.errors} with errors`) : null,
      h('span', { class: 'legend' }, svcList.map((s) => h('span', null, h('i', { style: `background: ${colorOf(s)}` }), s)),
        h('span', null, h('i', { style: 'border: 2px solid var(--crit); width: 12px' }), 'critical path')),
      h('a', { href: ctx.href('metrics', { q: [red.rate('span_name', '1m', `service="${red.esc(sum.rootService)}"`), red.quantile(0.95, 'span_name', '1m', `service="${red.esc(sum.rootService)}"`)], from: String(Math.floor(startMs - 30 * 60e3)), to: String(Math.ceil(startMs + 30 * 60e3)) }) }, 'Metrics of ' + sum.rootService + ' →'),
      h('a', { href: `/api/v3/traces/${trace.traceID}`, target: '_blank', rel: 'noopener' }, 'OTLP JSON')),
    waterfall, logsBox);
  drawWaterfall(ctx, trace, t, crit, sum, waterfall);
  loadLogs(ctx, trace, sum, logsBox, waterfall);
}

function drawWaterfall(ctx, trace, t, crit, sum, box) {
  const total = Math.max(1, sum.duration);
  const pct = (us) => `${((100 * (us - sum.start)) / total).toFixed(3)}%`;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => h('span', { style: `left: ${f * 100}%; ${f === 1 ? 'transform: translateX(-100%)' : ''}` }, fmtDuration(f * total)));
  const collapsed = new Set();
  const rows = new Map();
  const selected = ctx.params.get('span');
  const body = h('div');
  for (const n of t.order) {
    const sp = n.span;
    const svc = serviceOf(trace, sp);
    const err = isError(sp);
    const toggle = n.children.length ? h('button', { type: 'button', class: 'wf-toggle', 'aria-label': 'Collapse children', 'aria-expanded': 'true' }, '▾') : h('span', { class: 'wf-toggle' });
    const critSegs = (crit.get(sp.spanID) || []).map(([a, b]) => h('div', { class: 'wf-crit', style: `left: ${pct(a)}; width: calc(${((100 * (b - a)) / total).toFixed(3)}% )` }));
    const detail = h('div', { class: 'wf-detail', hidden: true });
    const leftPct = (100 * (sp.startTime - sum.start)) / total;
    const row = h('div', {
      class: `wf-row${err ? ' err' : ''}`, tabindex: 0, role: 'button', 'aria-expanded': 'false', dataset: { span: sp.spanID, critical: crit.has(sp.spanID) ? 'true' : 'false' },
      onclick: (e) => { if (e.target !== toggle) showDetail(); },
      onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); showDetail(); } },
    },
    h('div', { class: 'wf-label', style: `padding-left: ${6 + n.depth * 14}px` }, toggle,
      h('span', { class: 'svc', style: `color: ${colorOf(svc)}` }, svc), h('span', { class: 'op', title: sp.operationName }, sp.operationName)),
    h('div', { class: 'wf-track' },
      h('div', { class: 'wf-bar', style: `left: ${pct(sp.startTime)}; width: ${((100 * sp.duration) / total).toFixed(3)}%; background: ${err ? '#d1343b' : colorOf(svc)}` }),
      critSegs,
      h('span', { class: 'wf-dur', style: durStyle(leftPct, (100 * (sp.startTime + sp.duration - sum.start)) / total) }, fmtDuration(sp.duration))));
    function showDetail() {
      detail.hidden = !detail.hidden;
      row.classList.toggle('selected', !detail.hidden);
      row.setAttribute('aria-expanded', String(!detail.hidden));
      if (!detail.hidden && !detail.firstChild) detail.append(spanDetail(ctx, trace, sp, sum));
    }
    if (toggle.tagName === 'BUTTON') {
      toggle.addEventListener('click', (e) => {
        e.stopPropagation();
        if (collapsed.has(n)) collapsed.delete(n); else collapsed.add(n);
        toggle.textContent = collapsed.has(n) ? '▸' : '▾';
        toggle.setAttribute('aria-expanded', String(!collapsed.has(n)));
        toggle.setAttribute('aria-label', collapsed.has(n) ? 'Expand children' : 'Collapse children');
        applyCollapse();
      });
    }
    rows.set(n, { row, detail, show: showDetail });
    body.append(row, detail);
  }
  function applyCollapse() {
    for (const n of t.order) {
      let hidden = false;
      for (let p = n.parent; p; p = p.parent) if (collapsed.has(p)) { hidden = true; break; }
      const r = rows.get(n);
      r.row.hidden = hidden;
      if (hidden) r.detail.hidden = true;
    }
  }
  replace(box, h('div', { class: 'wf-head' }, h('div', { class: 'wf-label' }, 'Service and operation'), h('div', { class: 'wf-ticks' }, ticks)), body);
  box.selectSpan = (spanID) => {
    for (const [n, r] of rows) {
      if (n.span.spanID === spanID) {
        if (r.detail.hidden) r.show();
        r.row.scrollIntoView({ block: 'center' });
        r.row.focus();
      }
    }
  };
  if (selected) box.selectSpan(selected);
}

// The duration label goes after the bar, or before it when the bar reaches the right edge, or
// inside it when the bar fills the whole track.
function durStyle(leftPct, endPct) {
  if (endPct < 85) return `left: calc(${endPct.toFixed(3)}% + 4px)`;
  if (leftPct > 12) return `right: calc(${(100 - leftPct).toFixed(3)}% + 4px)`;
  return `right: calc(${(100 - endPct).toFixed(3)}% + 6px); color: #fff; font-weight: 600`;
}

function spanDetail(ctx, trace, sp, sum) {
  const proc = trace.processes[sp.processID] || { tags: [] };
  const kv = (list) => h('dl', { class: 'kv' }, (list || []).map((x) => [h('dt', null, x.key), h('dd', null, typeof x.value === 'string' ? x.value : JSON.stringify(x.value))]));
  const svc = serviceOf(trace, sp);
  const sel = `service="${red.esc(svc)}", span_name="${red.esc(sp.operationName)}"`;
  return h('div', { class: 'span-detail' },
    h('div', { class: 'row small', style: 'margin-bottom: 6px' },
      h('b', null, sp.operationName), h('span', null, `${svc}`), h('span', { class: 'mono' }, `span ${sp.spanID}`),
      h('span', null, `starts at +${fmtDuration(sp.startTime - sum.start)}`), h('span', null, `lasts ${fmtDuration(sp.duration)}`),
      tag(sp, 'span.kind') ? h('span', { class: 'badge' }, tag(sp, 'span.kind')) : null,
      isError(sp) ? h('span', { class: 'badge bad' }, 'error') : null,
      h('a', { href: ctx.href('metrics', { q: [`sum by (status_code) (rate(${red.CALLS}{${sel}}[1m]))`, `histogram_quantile(0.95, sum by (le) (rate(${red.LATENCY}{${sel}}[1m])))`] }) }, 'metrics of this operation →'),
      h('a', { href: ctx.href('logs', { query: `span_id:${sp.spanID}`, from: String(Math.floor(sp.startTime / 1000 - 60e3)), to: String(Math.ceil((sp.startTime + sp.duration) / 1000 + 60e3)) }) }, 'logs of this span →')),
    h('div', { class: 'grid3' },
      h('div', null, h('h3', null, 'Attributes'), sp.tags && sp.tags.length ? kv(sp.tags) : h('p', { class: 'muted small' }, 'none')),
      h('div', null, h('h3', null, `Events (${(sp.logs || []).length})`), (sp.logs || []).length
        ? (sp.logs || []).map((l) => h('div', { style: 'margin-bottom: 6px' }, h('div', { class: 'small mono' }, `+${fmtDuration(l.timestamp - sum.start)}`), kv(l.fields)))
        : h('p', { class: 'muted small' }, 'none')),
      h('div', null, h('h3', null, `Resource of ${svc}`), kv(proc.tags),
        (sp.references || []).length ? [h('h3', null, 'References'), h('dl', { class: 'kv' }, sp.references.map((r) => [h('dt', null, r.refType), h('dd', null, r.spanID)]))] : null)));
}

async function loadLogs(ctx, trace, sum, box, waterfall) {
  const title = h('h2', null, 'Logs of this trace');
  try {
    const body = await api('/api/logs', {
      signal: ctx.signal, what: 'The logs API',
      // an hour either side: the trace id is selective, and clocks of the logging hosts may drift
      params: { query: `trace_id:${trace.traceID}`, start: Math.floor(sum.start / 1000 - 3600e3), end: Math.ceil((sum.start + sum.duration) / 1000 + 3600e3), limit: 500, direction: 'forward' },
    });
    const logs = body.logs || [];
    if (!logs.length) {
      replace(box, title, empty('No log records carry this trace id. Logs link to traces when the application logs with the trace context (OpenTelemetry log bridge, or trace_id in the MDC).'));
      return;
    }
    replace(box, h('h2', null, `Logs of this trace (${body.total != null ? body.total : logs.length})`),
      logTable(logs, ctx, { onSpan: (spanId) => waterfall.selectSpan(spanId) }));
  } catch (e) {
    if (e.name === 'AbortError') return;
    replace(box, title, errorBox(e, 'Loading the logs of this trace'));
  }
}
