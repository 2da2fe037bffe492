// Copyright The Faultline Authors. SPDX-License-Identifier: Apache-2.0
// PromQL for rate, errors and duration (RED) from the span metrics that Faultline derives from
// traces, named as Grafana Tempo's metrics generator names them.
import { promDuration } from './time.js';

export const CALLS = 'traces_spanmetrics_calls_total';
export const LATENCY = 'traces_spanmetrics_latency_bucket';
// Requests a service serves: server and consumer spans.
export const ENTRY = 'span_kind=~"SPAN_KIND_SERVER|SPAN_KIND_CONSUMER"';
const ERROR = 'status_code="STATUS_CODE_ERROR"';

export const sel = (extra) => [ENTRY, extra].filter(Boolean).join(', ');
export const esc = (v) => String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"');

/** Rate window: the step, but never under a minute, so sparse series still have two samples. */
export const windowFor = (stepSec) => promDuration(Math.max(60, stepSec));

export function rate(by, win, extra) {
  return `sum by (${by}) (rate(${CALLS}{${sel(extra)}}[${win}]))`;
}

export function errorRatio(by, win, extra) {
  const all = rate(by, win, extra);
  const errs = `sum by (${by}) (rate(${CALLS}{${sel([extra, ERROR].filter(Boolean).join(', '))}}[${win}]))`;
  // "or ... * 0" keeps services without any error at 0 instead of dropping them.
  return `(${errs} or ${all} * 0) / ${all}`;
}

export function quantile(q, by, win, extra) {
  return `histogram_quantile(${q}, sum by (${by}, le) (rate(${LATENCY}{${sel(extra)}}[${win}])))`;
}

/** Instant vector result to Map(labelValue -> number). */
export function byLabel(result, label) {
  const m = new Map();
  for (const r of result || []) m.set(r.metric[label] || '', Number(r.value[1]));
  return m;
}

/** Range result to Map(labelValue -> [[sec, v]...]). */
export function seriesByLabel(result, label) {
  const m = new Map();
  for (const r of result || []) m.set(r.metric[label] || '', r.values.map(([t, v]) => [Number(t), Number(v)]));
  return m;
}
