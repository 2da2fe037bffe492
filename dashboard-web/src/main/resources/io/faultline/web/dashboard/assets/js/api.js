// Copyright The Faultline Authors. SPDX-License-Identifier: Apache-2.0
// Every call to the server goes through here: same-origin, session cookie, one error shape.

/** An API failure: HTTP status, the server's own message, and whether the endpoint is missing. */
export class ApiError extends Error {
  constructor(message, status, unavailable = false, body = null) {
    super(message);
    this.status = status;
    this.unavailable = unavailable;
    this.body = body;
  }
}

/** Pulls the human message out of any of our API envelopes (Prometheus, Jaeger, Dropwizard, OTLP). */
export function messageOf(body, fallback) {
  if (!body || typeof body !== 'object') return fallback;
  if (typeof body.error === 'string') return body.errorType ? `${body.errorType}: ${body.error}` : body.error;
  if (Array.isArray(body.errors) && body.errors.length) return body.errors.map((e) => (typeof e === 'string' ? e : e.msg || e.message)).join('; ');
  if (typeof body.message === 'string') return body.message;
  if (body.error && typeof body.error.message === 'string') return body.error.message;
  return fallback;
}

/**
 * GET (or other method) a JSON API. Resolves with the parsed body; rejects with ApiError.
 * A 404 from no matching route, a 501 or a 405 means the endpoint does not exist on this server
 * yet, which pages show as "not available" rather than as a failure.
 */
export async function api(path, { method = 'GET', params, body, contentType, signal, what } = {}) {
  const url = withParams(path, params);
  const headers = { Accept: 'application/json' };
  let payload = body;
  if (body != null && typeof body !== 'string') {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  } else if (body != null) {
    headers['Content-Type'] = contentType || 'text/plain';
  }
  let res;
  try {
    res = await fetch(url, { method, headers, body: payload, credentials: 'same-origin', signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(`cannot reach the Faultline server (${e.message}); is it running?`, 0);
  }
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
  if (res.ok) return json;
  const msg = messageOf(json, text.trim().slice(0, 500) || res.statusText || `HTTP ${res.status}`);
  if (res.status === 401 && !path.endsWith('/api/session')) {
    window.dispatchEvent(new CustomEvent('faultline:unauthorized', { detail: msg }));
  }
  const missingRoute = (res.status === 404 && (msg === 'HTTP 404 Not Found' || !json)) || res.status === 501 || res.status === 405;
  const err = new ApiError(msg, res.status, missingRoute, json);
  err.what = what;
  throw err;
}

export function withParams(path, params) {
  if (!params) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v == null || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => q.append(k, x));
    else q.set(k, v);
  }
  const qs = q.toString();
  return qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path;
}

/** PromQL over a time range: [{metric, values:[[sec, "v"]...]}]. */
export async function promRange(query, range, step, signal) {
  const body = await api('/api/v1/query_range', {
    params: { query, start: range.start / 1000, end: range.end / 1000, step }, signal, what: 'The metrics (PromQL) API',
  });
  return body.data.result;
}

/** PromQL at one instant: [{metric, value:[sec, "v"]}]. */
export async function promInstant(query, timeMs, signal) {
  const body = await api('/api/v1/query', { params: { query, time: timeMs / 1000 }, signal, what: 'The metrics (PromQL) API' });
  return body.data.result;
}

/** Settles every promise; a page shows what succeeded and explains what did not. */
export function settle(promises) {
  return Promise.all(promises.map((p) => p.then((value) => ({ value }), (error) => ({ error }))));
}
