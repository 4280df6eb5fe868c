// Who may write to whom, in the browser: settings, message requests (accept, block), the
// compose deep link (also for someone not yet signed in), groups, and the phone layout.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiCall, apiUser, BASE, follow, launch, live, message, person, see, send, shot, signUp, until } from '../lib.mjs';

describe('requests, deep links and groups', () => {
  let browser;
  let carol;
  let dave;
  let erin;

  before(async () => {
    browser = await launch();
    carol = await person(browser, 'carol');
    dave = await person(browser, 'dave');
    erin = await person(browser, 'erin');
    await signUp(carol);
    await signUp(dave);
    await signUp(erin);
  });

  after(async () => {
    await browser?.close();
  });

  it('opens the account to messages from everyone in Settings', async () => {
    await carol.page.getByRole('link', { name: 'Settings' }).click();
    await carol.page.getByRole('radio', { name: /^Everyone/ }).check();
    await see(carol.page.getByText('Settings saved'));
    await carol.page.reload();
    assert.equal(await carol.page.getByRole('radio', { name: /^Everyone/ }).isChecked(), true, 'saved on the server');
    await shot(carol.page, 'settings');
  });

  it('a compose deep link opens the conversation with the text filled in', async () => {
    await dave.page.goto(`${BASE}/messages/compose?recipient_id=${carol.id}&text=${encodeURIComponent('Hello from a link')}`);
    const box = dave.page.getByRole('textbox', { name: 'Message text' });
    await until(async () => (await box.inputValue()) === 'Hello from a link', 'the composer to be pre-filled');
    await see(dave.page.getByRole('heading', { name: 'Messages' }));
    await box.press('Enter');
    await see(message(dave.page, 'Hello from a link'));
  });

  it('a stranger’s message waits in Requests until accepted', async () => {
    await carol.page.goto(`${BASE}/messages`);
    await live(carol.page);
    const tab = carol.page.getByRole('tab', { name: /Requests/ });
    await until(async () => /1/.test(await tab.innerText()), 'the Requests badge');
    assert.equal(await carol.page.getByRole('link', { name: new RegExp(dave.name) }).count(), 0, 'not in Primary');
    await tab.click();
    await carol.page.getByRole('link', { name: new RegExp(dave.name) }).click();
    await see(message(carol.page, 'Hello from a link'));
    await see(carol.page.getByText(`${dave.name} wants to message you`));
    assert.equal(await carol.page.getByRole('textbox', { name: 'Message text' }).count(), 0, 'no composer before accepting');
    await shot(carol.page, 'request');
    await carol.page.getByRole('button', { name: 'Accept' }).click();
    // Accepted, the conversation is in Primary, and the list beside it shows Primary.
    await until(async () => (await carol.page.getByRole('tab', { name: /Primary/ }).getAttribute('aria-selected')) === 'true', 'the Primary tab after accepting');
    await see(carol.page.getByRole('link', { name: new RegExp(dave.name) }));
    await send(carol.page, 'Welcome, Dave');
    await see(message(dave.page, 'Welcome, Dave'));
  });

  it('blocks a stranger from their request, and they can no longer send', async () => {
    await erin.page.goto(`${BASE}/${carol.screenName}`);
    await erin.page.getByRole('link', { name: `Message ${carol.name}` }).click();
    await send(erin.page, 'Buy cheap followers');
    await carol.page.getByRole('tab', { name: /Requests/ }).click();
    await carol.page.getByRole('link', { name: new RegExp(erin.name) }).click();
    await carol.page.getByRole('button', { name: `Block @${erin.screenName}` }).click();
    await carol.page.getByRole('dialog').getByRole('button', { name: 'Block' }).click();
    await see(carol.page.getByText(`Blocked @${erin.screenName}`));
    await see(carol.page.getByRole('heading', { name: 'No message requests' }));

    const box = erin.page.getByRole('textbox', { name: 'Message text' });
    await box.fill('Hello?');
    await box.press('Enter');
    // The composer gives way to why; nothing offers a Retry that cannot succeed.
    await see(erin.page.getByRole('status').filter({ hasText: `You can’t send messages to @${carol.screenName}` }));
    assert.equal(await erin.page.getByRole('button', { name: 'Retry' }).count(), 0);

    await carol.page.goto(`${BASE}/${erin.screenName}`);
    await see(carol.page.getByRole('button', { name: 'Unblock' }));
  });

  it('sets likely spam aside under Filtered requests', async () => {
    // A new account whose requests go unanswered five times looks like spam to the filter.
    const spammer = await apiUser('spam');
    for (let i = 0; i < 5; i++) {
      const target = await apiUser('target');
      await apiCall(target.token, 'PATCH', '/me/settings', { allow_dms_from: 'everyone' });
      await apiCall(spammer.token, 'POST', `/messages/with/${target.id}`, { text: `Offer ${i}` });
    }
    await apiCall(spammer.token, 'POST', `/messages/with/${carol.id}`, { text: 'Limited offer, click now' });
    await carol.page.goto(`${BASE}/messages/requests`);
    await see(carol.page.getByRole('heading', { name: 'No message requests' }));
    await carol.page.getByRole('link', { name: 'Show filtered requests' }).click();
    await carol.page.getByRole('link', { name: new RegExp(spammer.screenName) }).click();
    await see(message(carol.page, 'Limited offer, click now'));
    await see(carol.page.getByRole('button', { name: 'Accept' }));
    assert.equal(await carol.page.getByRole('tab', { name: /Requests/ }).getAttribute('aria-selected'), 'true');
  });

  // (A link to an account that does not exist says so in place: tests/permissions.test.mjs.)
  it('refuses deep links that cannot work and sends them back to the inbox', async () => {
    for (const [link, refusal] of [
      ['/messages/compose?recipient_id=abc', 'That link names no one: it needs a recipient_id or a screen_name.'],
      ['/messages/compose?screen_name=not%20a%20name', 'That link names no one: it needs a recipient_id or a screen_name.'],
      [`/messages/compose?recipient_id=${dave.id}`, 'That link would message yourself.'],
      [`/messages/compose?screen_name=${dave.screenName}`, 'That link would message yourself.'],
    ]) {
      await dave.page.goto(`${BASE}${link}`);
      await see(dave.page.getByText(refusal));
      await until(() => new URL(dave.page.url()).pathname === '/messages', `the inbox after ${link}`);
    }
  });

  it('after logging in, goes only to a page of this site', async () => {
    const account = await apiUser('hank');
    const hank = await person(browser, 'hank');
    for (const [next, landing] of [['/settings', '/settings'], ['//evil.example/x', '/messages']]) {
      await hank.page.goto(`${BASE}/login?next=${encodeURIComponent(next)}`);
      await hank.page.getByLabel('Username').fill(account.screenName);
      await hank.page.getByLabel('Password').fill('correct horse battery');
      await hank.page.getByRole('button', { name: 'Log in' }).click();
      await until(() => new URL(hank.page.url()).pathname === landing, `${landing} after next=${next}`);
      assert.equal(new URL(hank.page.url()).origin, BASE);
      await hank.page.getByRole('button', { name: 'Log out' }).click();
      await see(hank.page.getByRole('heading', { name: 'Log in to Postern' }));
    }
    assert.deepEqual(hank.errors, []);
    await hank.context.close();
  });

  it('a deep link survives signing up first', async () => {
    const frank = await person(browser, 'frank');
    await frank.page.goto(`${BASE}/messages/compose?recipient_id=${carol.id}&text=Hi%20Carol`);
    await see(frank.page.getByRole('heading', { name: 'Log in to Postern' }));
    await frank.page.getByRole('link', { name: 'Create an account' }).click();
    await frank.page.getByLabel('Username').fill(frank.screenName);
    await frank.page.getByLabel('Password').fill('correct horse battery');
    await frank.page.getByRole('button', { name: 'Create account' }).click();
    const box = frank.page.getByRole('textbox', { name: 'Message text' });
    await until(async () => (await box.count()) === 1 && (await box.inputValue()) === 'Hi Carol', 'the pre-filled composer after signing up');
    await frank.context.close();
  });

  it('starts a named group from New message', async () => {
    await carol.page.goto(`${BASE}/messages`);
    await carol.page.getByRole('button', { name: 'New message' }).first().click();
    const dialog = carol.page.getByRole('dialog', { name: 'New message' });
    await dialog.getByRole('searchbox', { name: 'Search people' }).fill(dave.screenName);
    await dialog.getByRole('button', { name: new RegExp(`@${dave.screenName}`) }).click();
    // Erin is blocked, so the second member is someone new.
    const gina = await person(browser, 'gina');
    await signUp(gina);
    // Gina accepts messages from people she follows; adding her to a group is the same.
    await follow(gina, carol);
    await dialog.getByRole('searchbox', { name: 'Search people' }).fill(gina.screenName);
    await dialog.getByRole('button', { name: new RegExp(`@${gina.screenName}`) }).click();
    await dialog.getByRole('textbox', { name: 'Group name' }).fill('Weekend plans');
    await dialog.getByRole('button', { name: 'Create group' }).click();
    await see(carol.page.locator('.conv-head').getByText('Weekend plans'));
    // Who added whom, from each side, without "You added You".
    await see(carol.page.locator('.system-event', { hasText: `You added ${dave.name} and ${gina.name}` }));
    await send(carol.page, 'Picnic on Saturday?');
    const id = new URL(carol.page.url()).pathname.split('/').pop();
    await dave.page.goto(`${BASE}/messages/${id}`);
    await see(message(dave.page, 'Picnic on Saturday?'));
    await see(dave.page.locator('.system-event', { hasText: `${carol.name} added you and ${gina.name}` }));
    await see(dave.page.locator('.msg .sender', { hasText: carol.name }));
    await gina.context.close();
  });

  it('works at phone width and in dark mode', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark', storageState: await carol.context.storageState() });
    const page = await phone.newPage();
    await page.goto(`${BASE}/messages`);
    await see(page.getByRole('link', { name: new RegExp(dave.name) }).first());
    await shot(page, 'phone-inbox');
    await page.getByRole('link', { name: new RegExp(dave.name) }).first().click();
    await see(message(page, 'Welcome, Dave'));
    assert.equal(await page.locator('.inbox').isVisible(), false, 'one column at phone width');
    await shot(page, 'phone-conversation');
    await page.getByRole('link', { name: 'Back to messages' }).click();
    await see(page.locator('.inbox'));
    await phone.close();
  });

  it('logs out and back in, and the stream is live again', async () => {
    await carol.page.goto(`${BASE}/messages`);
    await carol.page.getByRole('button', { name: 'Log out' }).click();
    await see(carol.page.getByRole('heading', { name: 'Log in to Postern' }));
    await carol.page.goto(`${BASE}/settings`);
    await see(carol.page.getByRole('heading', { name: 'Log in to Postern' }));
    await carol.page.getByLabel('Username').fill(carol.screenName);
    await carol.page.getByLabel('Password').fill('correct horse battery');
    await carol.page.getByRole('button', { name: 'Log in' }).click();
    await see(carol.page.getByRole('heading', { name: 'Direct messages' }));
    await carol.page.goto(`${BASE}/messages`);
    await live(carol.page);
    await carol.page.getByRole('link', { name: new RegExp(dave.name) }).first().click();
    await dave.page.goto(`${BASE}/messages/compose?recipient_id=${carol.id}`);
    await see(message(dave.page, 'Welcome, Dave'));
    await send(dave.page, 'Still there?');
    await see(message(carol.page, 'Still there?'));
  });

  it('logged no errors', () => {
    assert.deepEqual(carol.errors, []);
    assert.deepEqual(dave.errors, []);
    assert.deepEqual(erin.errors, []);
  });
});
