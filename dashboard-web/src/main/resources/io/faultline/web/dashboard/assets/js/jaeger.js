// Copyright The Faultline Authors. SPDX-License-Identifier: Apache-2.0
// Reading Jaeger's trace JSON: span tree, summary, tags.

export function tag(span, key) {
  const t = (span.tags || []).find((x) => x.key === key);
  return t ? t.value : undefined;
}

export const isError = (span) => {
  const e = tag(span, 'error');
  return e === true || e === 'true' || tag(span, 'otel.status_code') === 'ERROR';
};

const parentOf = (span) => {
  const ref = (span.references || []).find((r) => r.refType === 'CHILD_OF') || (span.references || [])[0];
  return ref ? ref.spanID : null;
};

/** Summary of one trace for lists: root service and operation, start, duration, errors. */
export function summarize(trace) {
  const spans = trace.spans || [];
  const ids = new Set(spans.map((s) => s.spanID));
  const roots = spans.filter((s) => !parentOf(s) || !ids.has(parentOf(s))).sort((a, b) => a.startTime - b.startTime);
  const root = roots[0] || spans[0];
  const start = Math.min(...spans.map((s) => s.startTime));
  const end = Math.max(...spans.map((s) => s.startTime + s.duration));
  const services = new Map();
  for (const s of spans) {
    const svc = serviceOf(trace, s);
    services.set(svc, (services.get(svc) || 0) + 1);
  }
  return {
    traceID: trace.traceID, root, rootService: root ? serviceOf(trace, root) : '?', rootName: root ? root.operationName : '?',
    start, duration: end - start, spanCount: spans.length, errors: spans.filter(isError).length, services,
  };
}

export function serviceOf(trace, span) {
  const p = trace.processes && trace.processes[span.processID];
  return p ? p.serviceName : '?';
}

/**
 * The span tree in display order: [{span, depth, children, parent}]; spans whose parent is missing
 * from the trace become roots.
 */
export function tree(trace) {
  const nodes = new Map(trace.spans.map((s) => [s.spanID, { span: s, children: [], depth: 0, parent: null }]));
  const roots = [];
  for (const n of nodes.values()) {
    const p = parentOf(n.span);
    const parent = p && p !== n.span.spanID ? nodes.get(p) : null;
    if (parent) { n.parent = parent; parent.children.push(n); } else roots.push(n);
  }
  const order = [];
  const byStart = (a, b) => a.span.startTime - b.span.startTime;
  const visit = (n, depth) => {
    n.depth = depth;
    order.push(n);
    n.children.sort(byStart).forEach((c) => visit(c, depth + 1));
  };
  roots.sort(byStart).forEach((r) => visit(r, 0));
  return { order, roots, nodes };
}

/**
 * The critical path, as Jaeger computes it: from each span's end walk back through the child that
 * finished last before the cursor; returns Map(spanID -> [[startUs, endUs]...]) of the segments
 * during which that span was the one blocking the request.
 */
export function criticalPath(roots) {
  const segs = new Map();
  const add = (n, a, b) => {
    if (b <= a) return;
    if (!segs.has(n.span.spanID)) segs.set(n.span.spanID, []);
    segs.get(n.span.spanID).push([a, b]);
  };
  const walk = (n, until) => {
    const start = n.span.startTime;
    let cursor = Math.min(until, start + n.span.duration);
    const kids = [...n.children].sort((a, b) => (b.span.startTime + b.span.duration) - (a.span.startTime + a.span.duration));
    for (const c of kids) {
      if (c.span.startTime >= cursor) continue;
      const cEnd = Math.min(c.span.startTime + c.span.duration, cursor);
      add(n, cEnd, cursor);
      walk(c, cEnd);
      cursor = Math.max(start, c.span.startTime);
      if (cursor <= start) break;
    }
    add(n, start, cursor);
  };
  for (const r of roots) walk(r, r.span.startTime + r.span.duration);
  return segs;
}
