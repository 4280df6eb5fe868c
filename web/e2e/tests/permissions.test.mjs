// Who may write to whom, shown before anyone types: a person who won't take your messages
// gets no composer but the reason and what would change it; a refused send offers no Retry
// that cannot succeed; a refused group names the person; a link to no one says so.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  BASE, apiCall, apiUser, launch, message, person, see, send, shot, signUp, until,
} from '../lib.mjs';

describe('permissions', () => {
  let browser;
  let pat;
  let failed;

  before(async () => {
    browser = await launch();
    pat = await person(browser, 'pat');
    await signUp(pat);
    // Every answer of 400 or more the app's own requests got, as the console would log it.
    failed = [];
    pat.page.on('response', (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}`); });
  });

  after(async () => {
    await browser?.close();
  });

  it('opens a link to someone who takes your messages with no failed request', async () => {
    const open = await apiUser('open');
    await apiCall(open.token, 'PATCH', '/me/settings', { allow_dms_from: 'everyone' });
    failed.length = 0;
    await pat.page.goto(`${BASE}/messages/compose?recipient_id=${open.id}&text=Hi%20there`);
    const box = pat.page.getByRole('textbox', { name: 'Message text' });
    await see(box);
    assert.equal(await box.inputValue(), 'Hi there');
    assert.deepEqual(failed, [], 'the compose view asked for nothing that is not there');
  });

  it('shows why, and what would allow it, instead of a composer', async () => {
    const closed = await apiUser('closed');
    await pat.page.goto(`${BASE}/messages/compose?recipient_id=${closed.id}`);
    const notice = pat.page.getByRole('status').filter({ hasText: 'accepts messages only from people they follow' });
    await see(notice);
    assert.match(await notice.innerText(), /once they follow you/);
    assert.equal(await pat.page.getByRole('textbox', { name: 'Message text' }).count(), 0, 'no composer to type into');
    await shot(pat.page, 'refusal-before-typing');
    // Once they follow, the composer is there.
    await apiCall(closed.token, 'PUT', `/me/following/${pat.id}`);
    await pat.page.reload();
    await see(pat.page.getByRole('textbox', { name: 'Message text' }));
  });

  it('says so when you blocked them', async () => {
    const blocked = await apiUser('blocked');
    await apiCall(blocked.token, 'PATCH', '/me/settings', { allow_dms_from: 'everyone' });
    await apiCall(blocked.token, 'PUT', `/me/following/${pat.id}`);
    await pat.page.evaluate(async (id) => {
      const { put } = await import('/assets/js/api.js');
      await put(`/me/blocks/${id}`);
    }, blocked.id);
    await pat.page.goto(`${BASE}/messages/compose?recipient_id=${blocked.id}`);
    await see(pat.page.getByRole('status').filter({ hasText: `You blocked @${blocked.screenName}` }));
    assert.equal(await pat.page.getByRole('textbox', { name: 'Message text' }).count(), 0);
  });

  it('offers no Retry for a send the recipient refuses, and shows why', async () => {
    const friend = await apiUser('friend');
    await apiCall(friend.token, 'PUT', `/me/following/${pat.id}`);
    await pat.page.goto(`${BASE}/messages/compose?recipient_id=${friend.id}`);
    await see(pat.page.getByRole('textbox', { name: 'Message text' }));
    await send(pat.page, 'Are you there?');
    // They block Pat while the conversation is open.
    await apiCall(friend.token, 'PUT', `/me/blocks/${pat.id}`);
    const box = pat.page.getByRole('textbox', { name: 'Message text' });
    await box.fill('Hello?');
    await box.press('Enter');
    await see(pat.page.getByRole('status').filter({ hasText: `You can’t send messages to @${friend.screenName}` }));
    assert.equal(await pat.page.getByRole('button', { name: 'Retry' }).count(), 0, 'no Retry that cannot succeed');
    assert.equal(await message(pat.page, 'Hello?').count(), 0);
  });

  it('names who refused a group', async () => {
    const ok = await apiUser('okay');
    const strict = await apiUser('strict');
    await apiCall(ok.token, 'PATCH', '/me/settings', { allow_dms_from: 'everyone' });
    await apiCall(ok.token, 'PATCH', '/me', { name: 'Olive Okay' });
    await apiCall(strict.token, 'PATCH', '/me', { name: 'Dave Dee' });
    await pat.page.goto(`${BASE}/messages`);
    await pat.page.getByRole('button', { name: 'New message' }).first().click();
    const search = pat.page.getByRole('searchbox', { name: 'Search people' });
    for (const u of [ok, strict]) {
      await search.fill(u.screenName);
      await pat.page.getByRole('button', { name: new RegExp(`@${u.screenName}`) }).click();
    }
    await pat.page.getByRole('button', { name: 'Create group' }).click();
    await see(pat.page.getByText(`Dave Dee (@${strict.screenName}) accepts messages only from people they follow.`));
    assert.equal(await pat.page.getByText('Olive Okay (@').count(), 0, 'only who refused is named');
    await pat.page.keyboard.press('Escape');
  });

  it('offers to block the sender after reporting their request', async () => {
    const spammer = await apiUser('spammy');
    await apiCall(spammer.token, 'PATCH', '/me', { name: 'Cheap Followers' });
    // Pat takes messages from anyone; a stranger's arrive as requests.
    await pat.page.evaluate(async () => {
      const { patch } = await import('/assets/js/api.js');
      await patch('/me/settings', { allow_dms_from: 'everyone' });
    });
    await apiCall(spammer.token, 'POST', `/messages/with/${pat.id}`, { text: 'Buy followers now' });
    await pat.page.goto(`${BASE}/messages/requests`);
    await pat.page.getByRole('link', { name: /Cheap Followers/ }).click();
    await pat.page.getByRole('region', { name: 'Message request' }).getByRole('button', { name: 'Report' }).click();
    await pat.page.getByRole('dialog', { name: 'Report conversation' }).getByRole('button', { name: 'Report' }).click();
    const follow = pat.page.getByRole('dialog', { name: `Reported. Block @${spammer.screenName} too?` });
    await see(follow);
    await follow.getByRole('button', { name: 'Block' }).click();
    await see(pat.page.getByRole('heading', { name: 'No message requests' }));
    const relationship = await pat.page.evaluate(async (id) => {
      const { get } = await import('/assets/js/api.js');
      return (await get(`/users/${id}`)).relationship;
    }, spammer.id);
    assert.equal(relationship.blocking, true);
  });

  it('says a link to no one names no one', async () => {
    for (const link of ['recipient_id=4242424242', 'screen_name=nobody_at_all']) {
      await pat.page.goto(`${BASE}/messages/compose?${link}`);
      await see(pat.page.getByRole('heading', { name: 'That account doesn’t exist' }));
      await until(async () => pat.page.url().includes('/messages/compose'), 'the page to stay where the link led');
    }
  });

  it('opens a deep link by screen name, with its text in the composer', async () => {
    const open = await apiUser('byname');
    await apiCall(open.token, 'PATCH', '/me/settings', { allow_dms_from: 'everyone' });
    await pat.page.goto(`${BASE}/messages/compose?screen_name=@${open.screenName}&text=Hello%20by%20name`);
    const box = pat.page.getByRole('textbox', { name: 'Message text' });
    await see(box);
    assert.equal(await box.inputValue(), 'Hello by name');
  });

  it('logged nothing unexpected', () => {
    assert.deepEqual(pat.errors, []);
  });
});
