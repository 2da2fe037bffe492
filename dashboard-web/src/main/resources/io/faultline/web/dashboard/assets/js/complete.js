// Copyright The Faultline Authors. SPDX-License-Identifier: Apache-2.0
// PromQL completion for a textarea: metric names, label names and functions, keyboard-driven.
import { h } from './dom.js';
import { api } from './api.js';

const FUNCTIONS = ['abs', 'absent', 'absent_over_time', 'avg', 'avg_over_time', 'bottomk', 'ceil', 'changes', 'clamp', 'clamp_max', 'clamp_min',
  'count', 'count_over_time', 'count_values', 'delta', 'deriv', 'exp', 'floor', 'group', 'histogram_quantile', 'holt_winters', 'idelta',
  'increase', 'irate', 'label_join', 'label_replace', 'last_over_time', 'ln', 'log2', 'log10', 'max', 'max_over_time', 'min', 'min_over_time',
  'predict_linear', 'quantile', 'quantile_over_time', 'rate', 'resets', 'round', 'scalar', 'sort', 'sort_desc', 'sqrt', 'stddev',
  'stddev_over_time', 'stdvar', 'sum', 'sum_over_time', 'time', 'timestamp', 'topk', 'vector', 'without', 'by', 'on', 'ignoring',
  'group_left', 'group_right', 'offset'];

let vocabulary = null;

/** Metric and label names from the server, fetched once per page load. */
export function loadVocabulary() {
  if (!vocabulary) {
    vocabulary = Promise.allSettled([api('/api/v1/label/__name__/values'), api('/api/v1/labels')]).then(([m, l]) => ({
      metrics: m.status === 'fulfilled' ? m.value.data || [] : [],
      labels: l.status === 'fulfilled' ? (l.value.data || []).filter((x) => x !== '__name__') : [],
      error: m.status === 'rejected' ? m.reason : null,
    }));
  }
  return vocabulary;
}

/** Adds completion to a textarea; onRun is called for Ctrl/Cmd+Enter. */
export function attachCompletion(textarea, onRun) {
  const list = h('ul', { class: 'complete', role: 'listbox', hidden: true, id: `${textarea.id}-complete` });
  textarea.setAttribute('role', 'combobox');
  textarea.setAttribute('aria-autocomplete', 'list');
  textarea.setAttribute('aria-controls', list.id);
  textarea.setAttribute('aria-expanded', 'false');
  textarea.after(list);
  let items = [], active = 0, word = null;

  const close = () => { list.hidden = true; items = []; textarea.setAttribute('aria-expanded', 'false'); };
  const accept = (i) => {
    const it = items[i];
    if (!it || !word) return;
    const v = textarea.value;
    const insert = it.kind === 'function' && !['by', 'without', 'on', 'ignoring', 'offset', 'group_left', 'group_right'].includes(it.text) ? it.text + '(' : it.text;
    textarea.value = v.slice(0, word.start) + insert + v.slice(word.end);
    const pos = word.start + insert.length;
    textarea.setSelectionRange(pos, pos);
    close();
    textarea.dispatchEvent(new Event('input'));
  };
  const draw = () => {
    list.replaceChildren(...items.map((it, i) => h('li', {
      role: 'option', id: `${list.id}-${i}`, 'aria-selected': String(i === active),
      onmousedown: (e) => { e.preventDefault(); accept(i); },
    }, it.text, h('small', null, it.kind))));
    textarea.setAttribute('aria-activedescendant', items.length ? `${list.id}-${active}` : '');
  };
  const update = async () => {
    const pos = textarea.selectionStart;
    const before = textarea.value.slice(0, pos);
    const m = /[a-zA-Z_:][\w:]*$/.exec(before);
    if (!m || m[0].length < 2) { close(); return; }
    word = { start: pos - m[0].length, end: pos + (/^[\w:]*/.exec(textarea.value.slice(pos))[0].length) };
    const prefix = m[0].toLowerCase();
    const inBraces = before.lastIndexOf('{') > before.lastIndexOf('}');
    const inGrouping = /\b(by|without|on|ignoring)\s*\([^)]*$/.test(before);
    const vocab = await loadVocabulary();
    const pool = inBraces || inGrouping
      ? vocab.labels.map((t) => ({ text: t, kind: 'label' }))
      : [...vocab.metrics.map((t) => ({ text: t, kind: 'metric' })), ...FUNCTIONS.map((t) => ({ text: t, kind: 'function' }))];
    const starts = pool.filter((x) => x.text.toLowerCase().startsWith(prefix) && x.text.toLowerCase() !== prefix);
    const contains = pool.filter((x) => !x.text.toLowerCase().startsWith(prefix) && x.text.toLowerCase().includes(prefix));
    items = [...starts, ...contains].slice(0, 12);
    active = 0;
    if (!items.length || document.activeElement !== textarea) { close(); return; }
    list.hidden = false;
    textarea.setAttribute('aria-expanded', 'true');
    draw();
  };
  textarea.addEventListener('input', (e) => { if (e.isTrusted !== false) update(); });
  textarea.addEventListener('blur', () => setTimeout(close, 100));
  textarea.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') { e.preventDefault(); close(); onRun(); return; }
    if (list.hidden) return;
    if (e.key === 'ArrowDown') { e.preventDefault(); active = (active + 1) % items.length; draw(); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); active = (active - 1 + items.length) % items.length; draw(); }
    else if (e.key === 'Enter' || e.key === 'Tab') { e.preventDefault(); accept(active); }
    else if (e.key === 'Escape') { e.preventDefault(); close(); }
  });
}
