// Copyright The Faultline Authors. SPDX-License-Identifier: Apache-2.0
// Time ranges as they appear in the URL: "now-1h".."now" (relative) or epoch milliseconds (absolute).

export const QUICK = [
  ['now-5m', 'Last 5 minutes'], ['now-15m', 'Last 15 minutes'], ['now-30m', 'Last 30 minutes'],
  ['now-1h', 'Last 1 hour'], ['now-3h', 'Last 3 hours'], ['now-6h', 'Last 6 hours'],
  ['now-12h', 'Last 12 hours'], ['now-24h', 'Last 24 hours'], ['now-2d', 'Last 2 days'],
  ['now-7d', 'Last 7 days'],
];
export const DEFAULT_FROM = 'now-1h';

const UNITS = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 };

/** Parses one end of a range; throws with a readable message on nonsense. */
export function parsePoint(text, now = Date.now()) {
  const t = String(text || '').trim();
  if (t === 'now') return now;
  const rel = /^now-(\d+)([smhdw])$/.exec(t);
  if (rel) return now - Number(rel[1]) * UNITS[rel[2]];
  if (/^\d{10,14}$/.test(t)) return Number(t);
  const d = Date.parse(t);
  if (!isNaN(d)) return d;
  throw new Error(`"${t}" is not a time: use now, now-15m, now-2h, now-7d, or a date and time`);
}

/** {from, to} strings to {start, end} ms. */
export function resolve(from, to, now = Date.now()) {
  const start = parsePoint(from || DEFAULT_FROM, now);
  const end = parsePoint(to || 'now', now);
  if (start >= end) throw new Error('the start of the time range must be before its end');
  return { start, end, from: from || DEFAULT_FROM, to: to || 'now' };
}

export function label(from, to) {
  const q = QUICK.find(([f]) => f === from);
  if (q && (!to || to === 'now')) return q[1];
  const at = (x) => { try { return new Date(parsePoint(x)); } catch (e) { return null; } };
  const a = at(from), b = at(to || 'now');
  if (!a || !b) return `${from} to ${to || 'now'}`;
  const day = { month: 'short', day: 'numeric' }, time = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
  const left = from.startsWith('now') ? from : `${a.toLocaleDateString(undefined, day)} ${a.toLocaleTimeString(undefined, time)}`;
  const sameDay = a.toDateString() === b.toDateString();
  const right = !to || to.startsWith('now') ? (to || 'now') : `${sameDay && !from.startsWith('now') ? '' : b.toLocaleDateString(undefined, day) + ' '}${b.toLocaleTimeString(undefined, time)}`;
  return `${left} – ${right}`;
}

/** A "nice" step in seconds that gives about `points` points over the range. */
export function stepFor(range, points = 120) {
  const raw = (range.end - range.start) / 1000 / points;
  const nice = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400];
  return nice.find((n) => n >= raw) || 86400;
}

/** Seconds as a PromQL duration: 300 -> "5m". */
export function promDuration(sec) {
  sec = Math.max(1, Math.round(sec));
  if (sec % 86400 === 0) return `${sec / 86400}d`;
  if (sec % 3600 === 0) return `${sec / 3600}h`;
  if (sec % 60 === 0) return `${sec / 60}m`;
  return `${sec}s`;
}

/** For an <input type="datetime-local">. */
export function toLocalInput(ms) {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 19);
}
