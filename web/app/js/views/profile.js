// /{screen_name}: a profile with Follow, Message, and (under More) Mute, Block and Report,
// then its posts.
// Message asks the server first (dm_permission) so a closed account says why instead of
// failing on send.

import { get, put, del, q } from '../api.js';
import { app, attempt, avatar, remember } from '../app.js';
import { h, icon, mount, verifiedMark } from '../dom.js';
import { confirmDialog, reportDialog } from '../ui/dialog.js';
import { openMenu } from '../ui/popover.js';
import { supportHours } from '../ui/support.js';
import { profilePosts } from './posts.js';

const RULE_EXPLAINED = {
  blocked: 'You can’t message this account.',
  not_accepting: 'This account only accepts messages from people it follows.',
};

export function profileView(screenName) {
  const body = h('div', { class: 'page-inner' }, h('p', { class: 'empty', role: 'status' }, 'Loading…'));
  const el = h('div', { class: 'page' }, body);
  let user = null;

  async function load() {
    try {
      user = await get(`/users/by/screen_name/${q(screenName)}`);
      const known = app.users.get(user.id);
      remember(user);
      // When the store learned something new, its subscriber below has drawn it already.
      if (app.users.get(user.id) === known) await show();
    } catch (e) {
      body.replaceChildren(h('div', { class: 'empty' },
        h('h2', {}, e.status === 404 ? 'This account doesn’t exist' : 'Couldn’t load this profile'),
        h('p', {}, e.status === 404 ? 'Try searching for another.' : e.message)));
      document.title = 'Profile · Postern';
    }
  }

  /** Draws `user`, asking first whether you may message them (a follow can change it). */
  async function show() {
    const permission = user.id === app.me.id ? null : await get(`/users/${user.id}/dm_permission`).catch(() => null);
    render(permission);
  }

  // They followed you, you followed them on another device, they changed their picture:
  // the store has the person anew, and the profile follows.
  const unsubscribe = app.store.subscribe((change) => {
    if (change.type !== 'person' || !user || change.id !== user.id) return;
    user = change.person;
    show();
  });

  function render(permission) {
    const me = user.id === app.me.id;
    const rel = user.relationship || {};
    const support = Boolean(user.support?.enabled);
    document.title = `${user.name} (@${user.screen_name}) · Postern`;
    const actions = [];
    if (me) {
      actions.push(h('a', { class: 'btn', href: '/settings' }, 'Edit profile'));
    } else if (rel.blocking) {
      actions.push(h('button', { class: 'btn danger', type: 'button', onclick: () => change(() => del(`/me/blocks/${user.id}`), `Unblocked @${user.screen_name}`) }, 'Unblock'));
    } else {
      const more = h('button', {
        class: 'icon-btn', type: 'button', 'aria-label': 'More', title: 'More', 'aria-haspopup': 'menu', 'aria-expanded': 'false',
        onclick: () => openMenu(more, [
          { label: rel.muting ? `Unmute @${user.screen_name}` : `Mute @${user.screen_name}`, run: () => change(() => (rel.muting ? del : put)(`/me/mutes/${user.id}`), rel.muting ? 'Unmuted' : 'Muted') },
          { label: `Block @${user.screen_name}`, danger: true, run: block },
          { label: `Report @${user.screen_name}`, danger: true, run: () => reportDialog('user', user.id, `@${user.screen_name}`) },
        ], { label: 'Profile actions' }),
      }, icon('more'));
      const canMessage = permission?.allowed !== false;
      const message = h('a', {
        class: `btn ${support ? 'accent big' : ''}`, href: `/messages/compose?recipient_id=${user.id}`, 'aria-label': `Message ${user.name}`,
        'aria-disabled': canMessage ? null : 'true', title: canMessage ? null : RULE_EXPLAINED[permission?.rule] || 'You can’t message this account.',
        onclick: (e) => { if (!canMessage) e.preventDefault(); },
      }, icon('mail'), 'Message');
      const follow = h('button', {
        class: `btn ${rel.following ? '' : 'primary'}`, type: 'button', 'aria-pressed': String(Boolean(rel.following)),
        onclick: () => change(() => (rel.following ? del : put)(`/me/following/${user.id}`), rel.following ? `Unfollowed @${user.screen_name}` : `Following @${user.screen_name}`),
      }, rel.following ? 'Following' : 'Follow');
      actions.push(more, message, follow);
    }
    const notice = !me && permission && !permission.allowed
      ? h('p', { class: 'notice' }, RULE_EXPLAINED[permission.rule] || 'You can’t message this account.')
      : !me && permission?.box === 'requests'
        ? h('p', { class: 'notice' }, 'Your message will arrive as a request; they see it once they accept.')
        : null;
    mount(body,
      h('div', { class: 'profile-banner', 'aria-hidden': 'true' }),
      h('div', { class: 'profile-top' }, avatar(user, 'large'), h('div', { class: 'profile-actions' }, actions)),
      h('div', { class: 'profile-info' },
        h('h1', {}, user.name, user.verified && verifiedMark()),
        h('div', {}, h('span', { class: 'handle' }, `@${user.screen_name}`), rel.followed_by && !me && h('span', { class: 'follows-you' }, 'Follows you')),
        support && h('p', { class: 'support-badge' }, icon('support'), 'Provides support'),
        support && h('p', { class: 'support-hours', 'data-open': String(user.support.open_now) }, supportHours(user.support)),
        user.description && h('p', { class: 'bio' }, user.description),
        h('p', { class: 'muted' }, `Joined ${new Date(user.created_at).toLocaleDateString(undefined, { month: 'long', year: 'numeric' })}`)),
      notice,
      !rel.blocked_by && profilePosts(user));
  }

  async function change(action, done) {
    if (await attempt(action, done)) load();
  }

  async function block() {
    const ok = await confirmDialog({ title: `Block @${user.screen_name}?`, text: 'They won’t be able to follow you or message you, and you won’t see their messages. They are not told.', confirm: 'Block', danger: true });
    if (ok) change(() => put(`/me/blocks/${user.id}`), `Blocked @${user.screen_name}`);
  }

  load();
  return { el, destroy: unsubscribe };
}
