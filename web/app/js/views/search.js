// Message search: the messages of the person's conversations that match a query, newest
// first, each a link that opens its conversation at the message. The server matches every
// word as a prefix ("lun" finds "Lunch"), so the same words are marked in the results.

import { get, q } from '../api.js';
import { app, avatar, remember } from '../app.js';
import { h, shortTime } from '../dom.js';
import { snippet } from '../ui/text.js';
import { conversationPicture, conversationTitle } from './inbox.js';

const PAGE = 20;
/** Characters of context shown before the first match in a long message (results show two
 * lines of about 35 characters each). */
const LEAD = 16;

/** Results for `query`, loading their first page at once. */
export function searchResults(query) {
  const mark = matcher(query);
  const conversations = new Map(); // id -> Promise<conversation | null>
  const list = h('ul', { class: 'conversation-list search-results', 'aria-label': `Messages matching “${query}”` });
  const status = h('p', { class: 'search-status', role: 'status' });
  const moreButton = h('button', { class: 'btn', type: 'button', onclick: () => loading || load() }, 'Show more results');
  const more = h('div', { class: 'list-foot', hidden: true }, moreButton);
  const el = h('div', { class: 'search-panel' }, list, status, more);
  let cursor = null;
  let shown = 0;
  let loading = false;

  // Each result names its conversation; one fetch per conversation, however many results.
  function conversation(id) {
    if (!conversations.has(id)) {
      conversations.set(id, get(`/conversations/${q(id)}`).then((c) => {
        c.participants.forEach(remember);
        return c;
      }, () => null));
    }
    return conversations.get(id);
  }

  async function load() {
    // The button stays while its page loads, marked busy rather than disabled: a disabled
    // button loses keyboard focus.
    loading = true;
    moreButton.setAttribute('aria-disabled', 'true');
    status.textContent = 'Searching…';
    try {
      const params = `q=${q(query)}&limit=${PAGE}${cursor ? `&cursor=${q(cursor)}` : ''}`;
      const page = await get(`/search/messages?${params}`);
      const found = await Promise.all(page.messages.map(async (m) => ({ m, c: await conversation(m.conversation_id) })));
      const items = found.map(({ m, c }) => result(m, c));
      list.append(...items);
      shown += items.length;
      cursor = page.next_cursor || null;
      const counted = `${shown} ${shown === 1 ? 'message' : 'messages'}`;
      status.textContent = !shown ? `No messages match “${query}”.` : cursor ? `${counted} shown, more below` : `${counted} found`;
      // With nothing more to show, the button goes: focus moves to the first new result (or
      // the last one, if the last page came back empty).
      if (!cursor && more.contains(document.activeElement)) (items[0] ?? list.lastElementChild)?.querySelector('a')?.focus();
      more.hidden = !cursor;
    } catch (e) {
      status.textContent = e.message;
    } finally {
      loading = false;
      moreButton.removeAttribute('aria-disabled');
    }
  }

  function result(m, c) {
    const sender = m.sender_id === app.me.id ? app.me : app.users.get(m.sender_id);
    const title = c ? conversationTitle(c) : 'Conversation';
    const who = m.sender_id === app.me.id ? 'You' : sender?.name || 'Someone';
    const text = excerpt(snippet(m), mark.first);
    return h('li', {},
      h('a', {
        class: 'conv-item', href: `/messages/${q(m.conversation_id)}?message=${q(m.id)}`,
        'aria-label': `${who} in ${title}: ${text}`,
      },
      c ? conversationPicture(c) : avatar(sender),
      h('div', { class: 'body' },
        h('div', { class: 'top' },
          h('span', { class: 'name' }, title),
          h('time', { datetime: m.created_at }, shortTime(m.created_at))),
        h('div', { class: 'snippet' }, c?.type === 'group' || m.sender_id === app.me.id ? `${who}: ` : '', ...mark.parts(text)))));
  }

  load();
  return { el };
}

/**
 * Finds the query's words where a word starts, as the server's prefix match does, and as its
 * index compares words: without accents ("cafe" finds "Café").
 */
function matcher(query) {
  // Longest first, so "new newsletter" marks all of "newsletter", not its "new".
  const words = fold(query).folded.trim().split(/\s+/).filter(Boolean).sort((a, b) => b.length - a.length)
    .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  // (A query of nothing but marks folds to no words, and marks nothing.)
  const pattern = words.length ? new RegExp(`(?<![\\p{L}\\p{N}])(?:${words.join('|')})`, 'giu') : /(?!)/g;
  /** Where each match is in `text`: [start, end) pairs. */
  const spans = (text) => {
    const { folded, from } = fold(text);
    return [...folded.matchAll(pattern)].map((m) => [from[m.index], from[m.index + m[0].length]]);
  };
  return {
    /** The index of the first match in `text`, or -1. */
    first: (text) => spans(text)[0]?.[0] ?? -1,
    /** `text` as strings and <mark> elements around each match. */
    parts(text) {
      const out = [];
      let at = 0;
      for (const [start, end] of spans(text)) {
        out.push(text.slice(at, start), h('mark', {}, text.slice(start, end)));
        at = end;
      }
      out.push(text.slice(at));
      return out;
    },
  };
}

/**
 * `text` without its accents and other combining marks, and for each of the result's
 * characters (and its end) the index in `text` it came from: a match in the folded text maps
 * back to the original's characters, accents included.
 */
function fold(text) {
  let folded = '';
  const from = [];
  for (let i = 0; i < text.length;) {
    const ch = String.fromCodePoint(text.codePointAt(i));
    const base = ch.normalize('NFD').replace(/\p{M}/gu, '');
    for (let k = 0; k < base.length; k++) from.push(i);
    folded += base;
    i += ch.length;
  }
  from.push(text.length);
  return { folded, from };
}

/** A long message starts shortly before its first match, at a word if one starts there, so
 * the match shows within the result's two lines. */
function excerpt(text, first) {
  const i = first(text);
  if (i <= LEAD) return text;
  const space = text.indexOf(' ', i - LEAD);
  return `…${text.slice(space >= 0 && space < i ? space + 1 : i - LEAD)}`;
}
