// Copyright The Faultline Authors. SPDX-License-Identifier: Apache-2.0
// Log records as a table, shared by the log explorer and the trace view.
import { h, fmtTime } from './dom.js';

export function sevOf(log) {
  const t = (log.severityText || '').toUpperCase();
  if (t) return t.startsWith('WARN') ? 'WARN' : t.startsWith('ERR') ? 'ERROR' : t;
  const n = log.severityNumber || 0;
  return n >= 21 ? 'FATAL' : n >= 17 ? 'ERROR' : n >= 13 ? 'WARN' : n >= 9 ? 'INFO' : n >= 5 ? 'DEBUG' : n ? 'TRACE' : '';
}

/** Milliseconds of a record's RFC 3339 (nanosecond) timestamp. */
export const logMillis = (log) => (typeof log.timestamp === 'number' ? log.timestamp : Date.parse(log.timestamp));

function details(log) {
  const kv = (obj, prefix) => Object.entries(obj || {}).map(([k, v]) => [h('dt', null, prefix + k), h('dd', null, typeof v === 'string' ? v : JSON.stringify(v))]);
  return h('dl', { class: 'kv' },
    log.traceId ? [h('dt', null, 'trace_id'), h('dd', null, log.traceId)] : null,
    log.spanId ? [h('dt', null, 'span_id'), h('dd', null, log.spanId)] : null,
    kv(log.attributes, 'attributes.'), kv(log.resource, 'resource.'));
}

/** Rows: time, level, service, body (click to expand attributes), trace link. */
export function logRows(logs, ctx, { showService = true, onSpan } = {}) {
  const rows = [];
  for (const log of logs) {
    const sev = sevOf(log);
    const detail = h('tr', { hidden: true, class: 'log-detail' }, h('td', { colspan: 5 }, details(log)));
    const row = h('tr', {
      class: 'clickable log-row', tabindex: 0, 'aria-expanded': 'false',
      onclick: (e) => { if (!e.target.closest('a,button')) toggle(); },
      onkeydown: (e) => { if (e.key === 'Enter' && !e.target.closest('a,button')) toggle(); },
    },
    h('td', { class: 'mono', style: 'white-space: nowrap' }, fmtTime(logMillis(log))),
    h('td', null, h('span', { class: `sev ${sev}` }, sev || '—')),
    showService ? h('td', null, log.service || '') : null,
    h('td', { class: 'logbody' }, log.body == null ? '' : typeof log.body === 'string' ? log.body : JSON.stringify(log.body)),
    h('td', { style: 'white-space: nowrap' },
      log.traceId ? h('a', { class: 'trace-link', href: ctx.href(`trace/${log.traceId}`, log.spanId ? { span: log.spanId } : {}) }, 'trace') : '',
      log.spanId && onSpan ? [' · ', h('button', { type: 'button', class: 'small', onclick: () => onSpan(log.spanId) }, 'span')] : null));
    function toggle() {
      detail.hidden = !detail.hidden;
      row.setAttribute('aria-expanded', String(!detail.hidden));
    }
    rows.push(row, detail);
  }
  return rows;
}

export function logTable(logs, ctx, opts = {}) {
  const showService = opts.showService !== false;
  return h('table', { class: 'logs' },
    h('thead', null, h('tr', null, h('th', null, 'Time'), h('th', null, 'Level'), showService ? h('th', null, 'Service') : null, h('th', null, 'Message'), h('th', null, ''))),
    h('tbody', null, logRows(logs, ctx, opts)));
}
