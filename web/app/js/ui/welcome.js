// A welcome message where a conversation with a business starts (SPEC §4.1). It is not a
// message yet: the server records it, as the account's, just before the person's first
// message (sent `initiated_via` it). Until then it is drawn here as the account's message,
// its quick replies tappable and its buttons going straight where they lead.

import { h } from '../dom.js';
import { buttonsElement, quickRepliesElement } from './parts.js';
import { richText } from './text.js';

/** Where a button leads, as the server's counting link would redirect. */
export function buttonTarget(cta) {
  if (cta.type === 'url') return cta.url;
  if (cta.type === 'follow') return `/intent/follow?screen_name=${encodeURIComponent(cta.screen_name)}`;
  const link = new URLSearchParams({ recipient_id: cta.recipient_id });
  if (cta.welcome_message_id) link.set('welcome_message_id', cta.welcome_message_id);
  if (cta.text) link.set('text', cta.text);
  return `/messages/compose?${link}`;
}

/** The welcome message `welcome` of `account`, drawn as its message; `onPick(option)` answers. */
export function welcomeElement(welcome, account, onPick) {
  const data = welcome.message_data;
  const shown = {
    // Sent by no one yet: its options are tappable even in its owner's own preview.
    sender_id: null,
    quick_reply: data.quick_reply && { ...data.quick_reply, open: true },
    ctas: (data.ctas || []).map((c) => ({ ...c, tco_url: buttonTarget(c) })),
  };
  return h('ol', { class: 'timeline-list welcome', 'aria-label': `Welcome message from ${account.name}` },
    h('li', { class: 'msg', 'aria-label': `${account.name}: ${data.text}` },
      h('div', { class: 'row' }, h('div', { class: 'bubble' }, ...richText(data.text || ''))),
      buttonsElement(shown),
      quickRepliesElement(shown, onPick)));
}
