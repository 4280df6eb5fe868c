// Message text with its server-side entities: mentions link to profiles, URLs open in a new
// tab. Indices count Unicode scalar values, which is how Array.from splits a string.

import { h } from '../dom.js';

export function richText(text, entities) {
  const chars = Array.from(text);
  const spans = [];
  for (const m of entities?.mentions || []) {
    if (m.user_id) spans.push({ indices: m.indices, node: (t) => h('a', { href: `/${m.screen_name}` }, t) });
  }
  for (const u of entities?.urls || []) {
    if (/^https?:\/\//i.test(u.expanded_url)) {
      spans.push({
        indices: u.indices,
        node: () => h('a', { href: u.expanded_url, target: '_blank', rel: 'noopener noreferrer nofollow' }, u.display_url),
      });
    }
  }
  spans.sort((a, b) => a.indices[0] - b.indices[0]);
  const out = [];
  let at = 0;
  for (const { indices: [start, end], node } of spans) {
    if (start < at || end > chars.length) continue;
    out.push(chars.slice(at, start).join(''));
    out.push(node(chars.slice(start, end).join('')));
    at = end;
  }
  out.push(chars.slice(at).join(''));
  return out;
}

/** One line for the inbox or a reply quote. */
export function snippet(message) {
  if (message.deleted) return 'This message was deleted';
  const text = message.text.replace(/\s+/g, ' ').trim();
  if (text) return text;
  if (message.media) return message.media.category === 'dm_video' ? 'Sent a video' : message.media.category === 'dm_gif' ? 'Sent a GIF' : 'Sent a photo';
  return '';
}
