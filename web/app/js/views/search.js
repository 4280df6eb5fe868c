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

/** Finds the query's words where a word starts, as the server's prefix match does. */
function matcher(query) {
  // Longest first, so "new newsletter" marks all of "newsletter", not its "new".
  const words = query.trim().split(/\s+/).filter(Boolean).sort((a, b) => b.length - a.length)
    .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(?:${words.join('|')})`, 'giu');
  return {
    /** The index of the first match in `text`, or -1. */
    first: (text) => text.search(pattern),
    /** `text` as strings and <mark> elements around each match. */
    parts(text) {
      const out = [];
      let at = 0;
      for (const found of text.matchAll(pattern)) {
        out.push(text.slice(at, found.index), h('mark', {}, found[0]));
        at = found.index + found[0].length;
      }
      out.push(text.slice(at));
      return out;
    },
  };
}

/** A long message starts shortly before its first match, at a word if one starts there, so
 * the match shows within the result's two lines. */
function excerpt(text, first) {
  const i = first(text);
  if (i <= LEAD) return text;
  const space = text.indexOf(' ', i - LEAD);
  return `…${text.slice(space >= 0 && space < i ? space + 1 : i - LEAD)}`;
}
