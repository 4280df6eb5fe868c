// A business account's composer extras: which custom profile a message is sent as, and its
// quick replies and buttons. Set in a dialog, summed up above the composer until sent.

import { get } from '../api.js';
import { h, icon } from '../dom.js';
import { modal } from './dialog.js';
import { plainMessage } from './form.js';
import { partsEditor } from './parts-editor.js';

/**
 * `oneToOne()`: whether the conversation is one (quick replies are for those only). Returns
 * `{ tool, strip, body(), sent() }`: the composer's button, the summary above it, what a send
 * adds, and what to do once it is sent (the parts go; the profile stays, as an agent keeps
 * answering as themselves).
 */
export function messageExtras({ oneToOne }) {
  let chosen = { profile: null, parts: {}, saved: null }; // saved: the editor's last value
  let profiles = null;
  const strip = h('div', { class: 'extras-strip', hidden: true });
  const tool = h('button', {
    class: 'icon-btn', type: 'button', 'aria-label': 'Send as, quick replies and buttons',
    title: 'Send as, quick replies and buttons', 'aria-haspopup': 'dialog', onclick: open,
  }, icon('support'));

  function summary() {
    const bits = [];
    if (chosen.profile) bits.push(`As ${chosen.profile.name}`);
    const options = chosen.parts.quick_reply?.options.length || 0;
    const buttons = chosen.parts.ctas?.length || 0;
    if (options) bits.push(`${options} quick ${options === 1 ? 'reply' : 'replies'}`);
    if (buttons) bits.push(`${buttons} button${buttons === 1 ? '' : 's'}`);
    strip.hidden = bits.length === 0;
    strip.replaceChildren(h('span', { class: 'grow' }, bits.join(' · ')),
      h('button', { class: 'btn', type: 'button', onclick: open }, 'Edit'),
      h('button', { class: 'icon-btn', type: 'button', 'aria-label': 'Clear extras', onclick: clear }, icon('close')));
  }

  async function open() {
    profiles ||= (await get('/custom_profiles').catch(() => ({ custom_profiles: [] }))).custom_profiles || [];
    const select = h('select', { class: 'input', id: 'extras-profile' },
      h('option', { value: '' }, 'Your account'),
      profiles.map((p) => h('option', { value: p.id, selected: chosen.profile?.id === p.id }, p.name)));
    const editor = partsEditor(chosen.saved || {});
    if (!oneToOne()) editor.el.querySelector('h3')?.nextElementSibling?.after(h('p', { class: 'hint' }, 'Quick replies work in one-to-one conversations only.'));
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const done = h('button', {
      class: 'btn primary', type: 'button',
      onclick: async () => {
        try {
          const parts = await editor.value();
          chosen = { profile: profiles.find((p) => p.id === select.value) || null, parts, saved: parts };
          summary();
          dialog.close();
        } catch (e) {
          error.textContent = plainMessage(e);
          error.hidden = false;
        }
      },
    }, 'Done');
    const dialog = modal('Send as, quick replies and buttons', [error,
      h('div', { class: 'field' }, h('label', { for: select.id }, 'Send as'), select,
        h('small', { class: 'hint' }, profiles.length ? 'People see the profile’s name and picture on the message.' : 'Make custom profiles in Business settings.')),
      editor.el],
    [h('button', { class: 'btn', type: 'button', onclick: () => dialog.close() }, 'Cancel'), done]);
    select.focus();
  }

  function clear() {
    chosen = { profile: null, parts: {}, saved: null };
    summary();
  }

  return {
    tool,
    strip,
    /** What a send adds to its body. */
    body() {
      return { ...chosen.parts, ...(chosen.profile ? { custom_profile_id: chosen.profile.id } : {}) };
    },
    sent() {
      chosen = { ...chosen, parts: {}, saved: null };
      summary();
    },
  };
}
