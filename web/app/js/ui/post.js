// A public post as a card: its author, when, what it answers, its text with entities, its
// photo, its "Send a private message" button, and (for others' posts) Reply and Reply
// privately. Drawn from the post and its author; the actions are the caller's.

import { get, q } from '../api.js';
import { app, avatar, remember } from '../app.js';
import { fullTime, h, icon, shortTime } from '../dom.js';
import { richText } from './text.js';

/** The author, from the store or the server. */
export async function authorOf(post) {
  return app.users.get(post.author_id) || remember(await get(`/users/${q(post.author_id)}`));
}

/**
 * A DM card: its photo (or video's poster), headline, and a button per welcome message, each
 * through its counting link into a conversation with the card's owner.
 */
function cardElement(card) {
  const media = card.media;
  return h('div', { class: 'dm-card' },
    media && h('img', {
      src: media.thumbnail_url || media.url, alt: '', width: media.width, height: media.height, loading: 'lazy',
    }),
    h('p', { class: 'dm-card-headline' }, card.headline),
    h('div', { class: 'dm-card-buttons' },
      card.buttons.map((b) => h('a', { class: 'btn', href: b.url, dataset: { page: 'true' } }, b.label))));
}

/**
 * `author`: the post's author. `actions`: `{ onReply, onReplyPrivately }`, either left out
 * for none. `compact`: quoted inside a message (no actions, smaller).
 */
export function postElement(post, author, { onReply, onReplyPrivately, compact = false } = {}) {
  const mine = post.author_id === app.me.id;
  const name = author?.name || 'Someone';
  const link = `/i/posts/${post.id}`;
  return h('article', { class: `post ${compact ? 'compact' : ''}`, 'aria-label': `Post by ${name}` },
    avatar(author, compact ? 'small' : ''),
    h('div', { class: 'post-body' },
      h('div', { class: 'post-head' },
        h('a', { class: 'who', href: `/${author?.screen_name || ''}` }, h('strong', {}, name), h('small', {}, `@${author?.screen_name || ''}`)),
        h('a', { class: 'when', href: link, title: fullTime(post.created_at) }, shortTime(post.created_at))),
      post.reply_to_id && h('a', { class: 'replying muted', href: `/i/posts/${post.reply_to_id}` }, 'Replying to a post'),
      post.text && h('p', { class: 'post-text' }, ...richText(post.text, post.entities)),
      post.media && h('img', {
        class: 'post-media', src: post.media.thumbnail_url || post.media.url, alt: 'Photo',
        width: post.media.width, height: post.media.height, loading: 'lazy',
      }),
      post.card && cardElement(post.card),
      post.dm_button && h('a', { class: 'btn accent dm-button', href: post.dm_button.url }, icon('mail'), 'Send a private message'),
      !compact && !mine && (onReply || onReplyPrivately) && h('div', { class: 'post-actions' },
        onReply && h('button', { class: 'btn', type: 'button', onclick: () => onReply(post, author) }, icon('reply'), 'Reply'),
        onReplyPrivately && h('button', { class: 'btn', type: 'button', onclick: () => onReplyPrivately(post, author) }, icon('mail'), 'Reply privately'))));
}
