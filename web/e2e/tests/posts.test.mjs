// Public posts (issue 16) in the web app: a person mentions a brand in a post; the brand's
// agent answers with Reply privately and the two continue in DMs, the post quoted; someone
// who doesn't take the brand's messages gets a public reply with "Send a private message".

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { BASE, box, follow, launch, message, person, photo, see, send, shot, signUp, until } from '../lib.mjs';

describe('posts and Switch to DM', () => {
  let browser;
  let brand;
  let customer;
  let stranger;

  const call = (p, method, path, body) => p.page.evaluate(async ([m, u, b]) => {
    const { api } = await import('/assets/js/api.js');
    return api(m, u, b ?? undefined);
  }, [method, path, body ?? null]);

  before(async () => {
    browser = await launch();
    brand = await person(browser, 'acmecare');
    customer = await person(browser, 'erin');
    stranger = await person(browser, 'frank');
    for (const p of [brand, customer, stranger]) await signUp(p);
    await call(brand, 'PATCH', '/me', { name: 'Acme Care' });
    await call(brand, 'PUT', '/me/support', { enabled: true, hours: null, away_message: null });
  });

  after(async () => {
    await browser?.close();
  });

  it('moves a mention to DMs with Reply privately, the post quoted on both sides', async () => {
    await follow(customer, brand);
    const { page } = customer;
    await page.getByRole('button', { name: 'Post' }).click();
    const composer = page.getByRole('dialog', { name: 'New post' });
    await composer.getByLabel('What’s happening?').fill(`@${brand.screenName} my parcel hasn’t arrived and tracking says nothing`);
    await composer.getByRole('button', { name: 'Post', exact: true }).click();
    await see(page.getByText('Posted'));

    const agent = brand.page;
    await agent.getByRole('link', { name: 'Mentions' }).click();
    const mention = agent.getByRole('article', { name: 'Post by Erin' });
    await see(mention.getByText('my parcel hasn’t arrived'));
    for (const [viewport, scheme, name] of [
      [{ width: 1280, height: 820 }, 'light', 'posts-mentions'],
      [{ width: 390, height: 844 }, 'dark', 'layout/posts-mentions-phone-dark'],
    ]) {
      await agent.setViewportSize(viewport);
      await agent.emulateMedia({ colorScheme: scheme });
      const b = await box(agent, '.post');
      assert.ok(b.left >= 0 && b.right <= viewport.width, `the post fits: ${JSON.stringify(b)}`);
      await shot(agent, name);
    }
    await agent.setViewportSize({ width: 1280, height: 820 });
    await agent.emulateMedia({ colorScheme: 'light' });
    await mention.getByRole('button', { name: 'Reply privately' }).click();
    await see(agent.locator('.about-post .post', { hasText: 'my parcel hasn’t arrived' }));
    await send(agent, 'So sorry, Erin! What is your order number?');
    const sent = message(agent, 'So sorry, Erin! What is your order number?');
    await see(sent.locator('.quoted-post', { hasText: 'my parcel hasn’t arrived' }));
    // The conversation exists now, and its menu opens at the first tap (it once did nothing
    // until the conversation had loaded).
    await agent.getByRole('button', { name: 'Conversation options' }).click();
    await see(agent.getByRole('menuitem', { name: 'Ask for feedback' }));
    await agent.keyboard.press('Escape');

    await page.goto(`${BASE}/messages`);
    await page.getByRole('link', { name: /Acme Care/ }).first().click();
    const received = message(page, 'So sorry, Erin! What is your order number?');
    await see(received.locator('.quoted-post', { hasText: 'my parcel hasn’t arrived' }));
    for (const [viewport, scheme, name] of [
      [{ width: 390, height: 844 }, 'dark', 'posts-switch-to-dm-phone'],
      [{ width: 1280, height: 820 }, 'light', 'layout/posts-switch-to-dm-desktop'],
    ]) {
      await page.setViewportSize(viewport);
      await page.emulateMedia({ colorScheme: scheme });
      const b = await box(page, '.quoted-post');
      assert.ok(b.left >= 0 && b.right <= viewport.width, `the quote fits: ${JSON.stringify(b)}`);
      await shot(page, name);
    }
    await send(page, 'It’s 4417-2290');
    await see(message(agent, 'It’s 4417-2290'));
    const [{ id: conversation }] = (await call(brand, 'GET', '/conversations')).conversations;
    const { events } = await call(brand, 'GET', `/conversations/${conversation}/events?limit=5`);
    assert.equal(events[1].initiated_via.post_id, (await call(customer, 'GET', `/users/${customer.id}/posts`)).posts[0].id);
    for (const p of [brand, customer]) assert.equal(p.errors.length, 0, p.errors.join('\n'));
  });

  it('opens a DM on the welcome message of the card button tapped, and counts it', async () => {
    // The brand's card: a photo, a headline, two buttons on two welcome messages.
    const bytes = [...await photo(brand.page, 1200, 800)];
    const media = await brand.page.evaluate(async (data) => {
      const { api } = await import('/assets/js/api.js');
      const form = new FormData();
      form.append('media', new Blob([new Uint8Array(data)], { type: 'image/jpeg' }), 'card.jpg');
      return api('POST', '/media?media_category=dm_image&shared=true', form);
    }, bytes);
    const margarita = await call(brand, 'POST', '/welcome_messages', { name: 'Margarita', message_data: { text: 'A classic! Salt on the rim?' } });
    const paloma = await call(brand, 'POST', '/welcome_messages', { name: 'Paloma', message_data: { text: 'Grapefruit and tequila. Sweet or sharp?',
      quick_reply: { type: 'options', options: [{ label: 'Sweet', metadata: 'sweet' }, { label: 'Sharp', metadata: 'sharp' }] } } });
    const card = await call(brand, 'POST', '/dm_cards', { name: 'Summer', media_id: media.id, headline: 'Find your summer cocktail',
      buttons: [{ label: 'Margarita', welcome_message_id: margarita.id }, { label: 'Paloma', welcome_message_id: paloma.id }] });
    await call(brand, 'POST', '/posts', { text: 'Which one are you? Tap to chat with our bartender.', card_id: card.id });

    const { page } = customer;
    await page.goto(`${BASE}/${brand.screenName}`);
    const shown = page.locator('.dm-card', { hasText: 'Find your summer cocktail' });
    // (The profile may draw twice as what it knows of the account arrives, replacing the
    // image the check holds: a check on a replaced one counts as not loaded yet.)
    await until(() => shown.locator('img').evaluate((i) => i.complete && i.naturalWidth > 0).catch(() => false), 'the card’s photo to load');
    for (const [viewport, scheme, name] of [
      [{ width: 1280, height: 820 }, 'light', 'posts-dm-card'],
      [{ width: 390, height: 844 }, 'dark', 'layout/posts-dm-card-phone-dark'],
    ]) {
      await page.setViewportSize(viewport);
      await page.emulateMedia({ colorScheme: scheme });
      await shown.scrollIntoViewIfNeeded();
      const b = await box(page, '.dm-card');
      assert.ok(b.left >= 0 && b.right <= viewport.width, `the card fits: ${JSON.stringify(b)}`);
      await shot(page, name);
    }
    await page.setViewportSize({ width: 1280, height: 820 });
    await page.emulateMedia({ colorScheme: 'light' });
    await shown.getByRole('link', { name: 'Paloma' }).click();
    // Its own welcome message, not the other button's.
    const welcome = page.getByRole('list', { name: 'Welcome message from Acme Care' });
    await see(welcome.getByText('Grapefruit and tequila'));
    await welcome.getByRole('button', { name: 'Sharp' }).click();
    await see(message(page, 'Sharp'));
    const stats = await call(brand, 'GET', `/dm_cards/${card.id}`);
    assert.deepEqual(stats.stats, { impressions: 1, conversations: 1, clicks: [0, 1] });
    assert.equal(customer.errors.length, 0, customer.errors.join('\n'));
  });

  it('takes a CSAT survey answered with the keyboard, and counts it in the results', async () => {
    const survey = await call(brand, 'POST', '/feedback_requests', {
      type: 'csat', recipient_id: customer.id, display: 'stars', privacy_url: 'https://acme.example/privacy', external_id: 'ORDER-4417',
    });
    const { page } = customer;
    await page.goto(`${BASE}/messages/${survey.conversation_id}`);
    const card = page.getByRole('group', { name: 'How satisfied are you with the help you got today?' });
    await see(card);
    for (const [viewport, scheme, name] of [
      [{ width: 390, height: 844 }, 'dark', 'posts-survey-phone'],
      [{ width: 1280, height: 820 }, 'light', 'layout/posts-survey-desktop'],
    ]) {
      await page.setViewportSize(viewport);
      await page.emulateMedia({ colorScheme: scheme });
      await card.scrollIntoViewIfNeeded();
      const b = await box(page, '.survey');
      assert.ok(b.left >= 0 && b.right <= viewport.width, `the survey fits: ${JSON.stringify(b)}`);
      await shot(page, name);
    }
    await card.getByRole('button', { name: '4 out of 5' }).focus();
    await page.keyboard.press('Enter');
    await page.keyboard.type('Fast, thanks');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await see(page.getByText('You answered ★★★★☆ (4/5). Thank you!'));
    const results = await call(brand, 'GET', '/feedback/results?type=csat&external_id=ORDER-4417');
    assert.deepEqual([results.responses, results.distribution, results.csat], [1, { 4: 1 }, 100]);
    const answered = await call(brand, 'GET', `/feedback_requests/${survey.id}`);
    assert.equal(answered.response.text, 'Fast, thanks');

    // The brand sees it in its insights, drawn, and can take the numbers away.
    const agent = brand.page;
    await agent.goto(`${BASE}/i/insights`);
    await see(agent.locator('.tile', { hasText: 'CSAT' }).getByText('100%'));
    // Counts read as words do: one click, not "1 clicks".
    await see(agent.locator('.tile', { hasText: 'Card click-through' }).getByText(/^1\u00a0click · \d+\u00a0seen · 1\u00a0conversation$/));
    // A source nobody started from draws an empty track.
    assert.equal(await agent.locator('.bars li', { hasText: 'DM link' }).locator('.bar').count(), 0);
    await see(agent.locator('.bars li', { hasText: 'Switch to DM' }));
    await see(agent.locator('.columns li', { hasText: '100%' }));
    for (const [viewport, scheme, name] of [
      [{ width: 1280, height: 900 }, 'light', 'insights'],
      [{ width: 1280, height: 900 }, 'dark', 'layout/insights-dark'],
      [{ width: 390, height: 844 }, 'light', 'layout/insights-phone'],
      [{ width: 390, height: 844 }, 'dark', 'layout/insights-phone-dark'],
    ]) {
      await agent.setViewportSize(viewport);
      await agent.emulateMedia({ colorScheme: scheme });
      for (const selector of ['.tiles', '.bars', '.columns']) {
        const b = await box(agent, selector);
        assert.ok(b && b.left >= 0 && b.right <= viewport.width, `${selector} fits: ${JSON.stringify(b)}`);
      }
      await shot(agent, name);
    }
    await agent.setViewportSize({ width: 1280, height: 820 });
    await agent.emulateMedia({ colorScheme: 'light' });
    const [download] = await Promise.all([agent.waitForEvent('download'), agent.getByRole('button', { name: 'Download CSV' }).click()]);
    const csv = readFileSync(await download.path(), 'utf8');
    assert.match(csv, /"csat","100"/);
    assert.match(csv, /"started_switch_to_dm","1"/);
    assert.equal(brand.errors.length, 0, brand.errors.join('\n'));
    assert.equal(customer.errors.length, 0, customer.errors.join('\n'));
  });

  it('offers a public reply with “Send a private message” to someone who doesn’t take the brand’s messages', async () => {
    const { page } = stranger;
    await page.getByRole('button', { name: 'Post' }).click();
    const composer = page.getByRole('dialog', { name: 'New post' });
    await composer.getByLabel('What’s happening?').fill(`@${brand.screenName} do you ship to Norway?`);
    await composer.getByRole('button', { name: 'Post', exact: true }).click();
    await see(page.getByText('Posted'));

    const agent = brand.page;
    await agent.goto(`${BASE}/i/mentions`);
    const mention = agent.getByRole('article', { name: 'Post by Frank' });
    await mention.getByRole('button', { name: 'Reply privately' }).click();
    const ask = agent.getByRole('dialog', { name: 'Frank doesn’t take your messages' });
    await ask.getByRole('button', { name: 'Reply with the button' }).click();
    const reply = agent.getByRole('dialog', { name: 'Reply to Frank' });
    assert.equal(await reply.getByLabel(/Send a private message/).isChecked(), true);
    await reply.getByLabel('Your reply').pressSequentially('We do! Message us and we’ll sort it out.');
    await reply.getByRole('button', { name: 'Reply', exact: true }).click();
    await see(agent.getByText('Reply posted'));

    await page.goto(`${BASE}/i/mentions`);
    const answer = page.getByRole('article', { name: 'Post by Acme Care' });
    await see(answer.getByText('We do!'));
    // The thread: the question's page lists the answer under it.
    await answer.getByRole('link', { name: 'Replying to a post' }).click();
    await see(page.getByRole('article', { name: 'Post by Frank' }).getByText('do you ship to Norway?'));
    await see(page.locator('.replies').getByText('We do!'));
    await page.goto(`${BASE}/i/mentions`);
    await shot(page, 'posts-dm-button');
    await answer.getByRole('link', { name: 'Send a private message' }).click();
    await see(page.getByRole('textbox', { name: 'Message text' }));
    await send(page, 'Hi! Shipping to Oslo, please.');
    const inbox = await call(brand, 'GET', '/conversations');
    assert.ok(inbox.conversations.some((c) => c.last_message?.text === 'Hi! Shipping to Oslo, please.'), 'the brand has it');
    for (const p of [brand, stranger]) assert.equal(p.errors.length, 0, p.errors.join('\n'));
  });
});
