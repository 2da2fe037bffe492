// Copyright The Faultline Authors. SPDX-License-Identifier: Apache-2.0
// Unsaved editor text kept in this tab's sessionStorage, so that an ended session (a 401 sends the
// user to the sign-in page) or a reload does not lose it. One draft per editor key (a chaos
// experiment's id, or "new"); a draft is {text, base, savedAt}, base being the saved text it was
// edited from.

const PREFIX = 'faultline:draft:';

function storage() {
  try { return window.sessionStorage; } catch (e) { return null; } // storage disabled: no drafts
}

/** The draft kept for key, or null. */
export function loadDraft(key) {
  const store = storage();
  if (!store) return null;
  try {
    const d = JSON.parse(store.getItem(PREFIX + key));
    return d && typeof d.text === 'string' ? d : null;
  } catch (e) {
    return null;
  }
}

/** Keeps text as key's draft; text equal to base (nothing unsaved) removes it. */
export function saveDraft(key, text, base) {
  const store = storage();
  if (!store) return;
  if (text === base) { store.removeItem(PREFIX + key); return; }
  try {
    store.setItem(PREFIX + key, JSON.stringify({ text, base, savedAt: Date.now() }));
  } catch (e) { /* over quota: the editor still works, only without a kept draft */ }
}

export function clearDraft(key) {
  const store = storage();
  if (store) store.removeItem(PREFIX + key);
}

/** Drops every draft: an explicit sign-out leaves nothing for the next user of this tab. */
export function clearAllDrafts() {
  const store = storage();
  if (!store) return;
  const keys = [];
  for (let i = 0; i < store.length; i++) if ((store.key(i) || '').startsWith(PREFIX)) keys.push(store.key(i));
  keys.forEach((k) => store.removeItem(k));
}

/** How many drafts this tab keeps (the sign-in page says they are kept). */
export function draftCount() {
  const store = storage();
  if (!store) return 0;
  let n = 0;
  for (let i = 0; i < store.length; i++) if ((store.key(i) || '').startsWith(PREFIX)) n++;
  return n;
}
