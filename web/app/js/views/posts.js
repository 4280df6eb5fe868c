// Posts in the app: a profile's posts, your mentions (/i/mentions), one post with its replies
// (/i/posts/{id}), and answering a post publicly or privately ("Switch to DM").

import { get, q } from '../api.js';
import { app, remember } from '../app.js';
import { h } from '../dom.js';
import { confirmDialog } from '../ui/dialog.js';
import { authorOf, postElement } from '../ui/post.js';
import { openPostComposer } from './post-composer.js';

/** Answers `post` publicly. */
export async function replyPublicly(post, author) {
  await openPostComposer({ replyTo: { post, author }, text: `@${author.screen_name} ` });
}

/**
 * Moves the conversation about `post` to DMs with its author, quoting the post; where they
 * don't take your messages, offers a public reply with a button to message you instead.
 */
export async function replyPrivately(post, author) {
  const permission = await get(`/users/${q(author.id)}/dm_permission`).catch(() => ({ allowed: true }));
  if (permission.allowed) {
    app.navigate(`/messages/compose?recipient_id=${author.id}&post_id=${post.id}`);
    return;
  }
  const ok = await confirmDialog({
    title: `${author.name} doesn’t take your messages`,
    text: 'Reply publicly with a “Send a private message” button instead? They can tap it to write to you.',
    confirm: 'Reply with the button',
  });
  if (ok) await openPostComposer({ replyTo: { post, author }, text: `@${author.screen_name} `, dmButton: true });
}

const actions = { onReply: replyPublicly, onReplyPrivately: replyPrivately };

/** A list of posts that loads more as asked; `path` is the API list. */
function postList(path, empty) {
  const list = h('div', { class: 'post-list', role: 'feed', 'aria-busy': 'true' });
  const more = h('button', { class: 'btn wide', type: 'button', hidden: true, onclick: () => load() }, 'Show more');
  let cursor = null;
  async function load() {
    more.hidden = true;
    list.setAttribute('aria-busy', 'true');
    try {
      const page = await get(`${path}${path.includes('?') ? '&' : '?'}limit=20${cursor ? `&cursor=${q(cursor)}` : ''}`);
      for (const p of page.posts) list.append(postElement(p, await authorOf(p), actions));
      if (!list.childElementCount) list.append(h('p', { class: 'empty' }, empty));
      cursor = page.next_cursor || null;
      more.hidden = !cursor;
    } catch (e) {
      list.append(h('p', { class: 'empty' }, e.message));
    } finally {
      list.removeAttribute('aria-busy');
    }
  }
  load();
  return h('div', {}, list, more);
}

/** The posts under a profile. */
export function profilePosts(user) {
  return h('section', { class: 'profile-posts', 'aria-labelledby': 'profile-posts' },
    h('h2', { id: 'profile-posts' }, 'Posts'),
    postList(`/users/${q(user.id)}/posts`, user.id === app.me.id ? 'You haven’t posted yet.' : 'No posts yet.'));
}

/** /i/mentions: posts that mention or answer you. */
export function mentionsView() {
  document.title = 'Mentions · Postern';
  return {
    el: h('div', { class: 'page' }, h('div', { class: 'page-inner' },
      h('header', { class: 'page-head' }, h('h1', {}, 'Mentions')),
      postList('/me/mentions', 'No one has mentioned you yet.'))),
  };
}

/** /i/posts/{id}: one post, and its replies. */
export function postView(id) {
  const body = h('div', { class: 'page-inner' }, h('p', { class: 'empty', role: 'status' }, 'Loading…'));
  (async () => {
    try {
      const p = await get(`/posts/${q(id)}`);
      const author = await authorOf(p);
      document.title = `${author.name}: “${p.text.slice(0, 40)}” · Postern`;
      body.replaceChildren(h('header', { class: 'page-head' }, h('h1', {}, 'Post')), postElement(p, remember(author), actions),
        h('section', { class: 'replies', 'aria-labelledby': 'post-replies' },
          h('h2', { id: 'post-replies' }, 'Replies'),
          postList(`/posts/${q(id)}/replies`, 'No replies yet.')));
    } catch (e) {
      document.title = 'Post · Postern';
      body.replaceChildren(h('div', { class: 'empty' }, h('h2', {}, e.status === 404 ? 'This post doesn’t exist' : 'Couldn’t load this post'),
        h('p', {}, e.status === 404 ? 'It may have been deleted.' : e.message)));
    }
  })();
  return { el: h('div', { class: 'page' }, body) };
}
