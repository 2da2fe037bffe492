// Copyright The Faultline Authors. SPDX-License-Identifier: Apache-2.0
import { h, replace, errorBox } from '../dom.js';
import { api } from '../api.js';

export const autoRefresh = false;

export function render(ctx) {
  document.body.classList.add('signed-out');
  const token = h('input', { id: 'token', type: 'password', name: 'token', autocomplete: 'current-password', required: true, autofocus: true });
  const msg = h('div', { 'aria-live': 'polite' });
  const notice = ctx.notice ? h('div', { class: 'state unavailable', role: 'status', id: 'signin-notice' }, ctx.notice) : null;
  // after a session ended, say that unsaved editor text is kept (drafts.js, loaded only then)
  if (notice) {
    import('../drafts.js').then(({ draftCount }) => {
      if (draftCount()) notice.append(' Unsaved editor changes are kept in this tab and come back when you return to the editor.');
    }, () => { /* without the module there is nothing to say */ });
  }
  const submit = h('button', { class: 'primary', type: 'submit', id: 'sign-in' }, 'Sign in');
  const form = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      submit.disabled = true;
      replace(msg);
      try {
        const who = await api('/api/session', { method: 'POST', body: { token: token.value.trim() } });
        ctx.signedIn(who);
        document.body.classList.remove('signed-out');
        const next = ctx.params.get('next');
        location.hash = next && next.startsWith('#/') && !next.startsWith('#/signin') ? next : '#/';
      } catch (err) {
        replace(msg, errorBox(err.status === 401 ? new Error(`${err.message}: check the token and try again.`) : err, 'Sign-in'));
        submit.disabled = false;
        token.select();
      }
    },
  },
  h('label', null, 'Access token', token),
  submit,
  msg);
  replace(ctx.root, h('div', { class: 'signin panel' },
    h('h1', null, 'Sign in to Faultline'),
    notice,
    h('p', { class: 'muted small' }, 'Paste an access token. The admin token is printed when the server first starts (or set with FAULTLINE_ADMIN_TOKEN); admins create more tokens for viewers and operators.'),
    form));
  token.focus();
}
