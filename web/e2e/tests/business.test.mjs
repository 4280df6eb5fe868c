// Business messaging (issue 15) as a customer sees it: a support account's profile says it
// provides support, whether it is open now or when it opens, and offers a big Message button.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  BASE, apiCall, apiUser, box, gone, launch, message, person, portrait, see, send, shot, signUp, until, upload,
} from '../lib.mjs';

describe('support accounts', () => {
  let browser;
  let customer;
  let brand;

  before(async () => {
    browser = await launch();
    customer = await person(browser, 'cara');
    await signUp(customer);
    brand = await apiUser('acme');
    await apiCall(brand.token, 'PATCH', '/me', { name: 'Acme Support' });
  });

  after(async () => {
    await browser?.close();
  });

  it('shows an always-open support account as open now, with a big Message button', async () => {
    await apiCall(brand.token, 'PUT', '/me/support', { enabled: true, hours: null, away_message: null });
    const { page } = customer;
    await page.goto(`${BASE}/${brand.screenName}`);
    await see(page.getByText('Provides support'));
    await see(page.getByText('Open now', { exact: true }));
    const message = page.getByRole('link', { name: 'Message Acme Support' });
    assert.match(await message.getAttribute('class'), /big/);
    assert.equal(await message.getAttribute('aria-disabled'), null, 'anyone may write to a support account');
    assert.equal(customer.errors.length, 0, customer.errors.join('\n'));
  });

  it('says when a closed account opens, and that one never open is closed', async () => {
    const { page } = customer;
    // Open only on a day that is never today or tomorrow, in the customer's own zone.
    const in3 = new Date(Date.now() + 3 * 86_400_000);
    const day = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][in3.getUTCDay()];
    await apiCall(brand.token, 'PUT', '/me/support', {
      enabled: true, hours: { time_zone: 'UTC', weekly: [{ day, open: '12:00', close: '13:00' }] }, away_message: null,
    });
    await page.goto(`${BASE}/${brand.screenName}`);
    const weekday = in3.toLocaleDateString(undefined, { weekday: 'long' });
    await see(page.locator('.support-hours', { hasText: `Opens ${weekday}` }));
    for (const [viewport, scheme] of [[{ width: 390, height: 844 }, 'dark'], [{ width: 1280, height: 820 }, 'light']]) {
      await page.setViewportSize(viewport);
      await page.emulateMedia({ colorScheme: scheme });
      const line = await box(page, '.support-hours');
      assert.ok(line.right <= viewport.width, `the hours fit: ${JSON.stringify(line)}`);
      await shot(page, `layout/support-profile-${viewport.width}-${scheme}`);
    }
    await apiCall(brand.token, 'PUT', '/me/support', { enabled: true, hours: { time_zone: 'UTC', weekly: [] }, away_message: null });
    await page.reload();
    await see(page.locator('.support-hours', { hasText: 'Closed' }));
    await apiCall(brand.token, 'PUT', '/me/support', { enabled: false });
    await page.reload();
    await see(page.getByRole('heading', { name: 'Acme Support' }));
    assert.equal(await page.getByText('Provides support').count(), 0);
  });

  it('answers as Maria from Support with quick replies and buttons, tapped by keyboard', async () => {
    const { page } = customer;
    await apiCall(brand.token, 'PUT', '/me/support', { enabled: true, hours: null, away_message: null });
    const picture = await upload(brand.token, await portrait(page, 600, 600, 320));
    const maria = await apiCall(brand.token, 'POST', '/custom_profiles', { name: 'Maria Fernanda Featherstonehaugh from Support', media_id: picture });
    await page.evaluate(async (to) => {
      const { post } = await import('/assets/js/api.js');
      await post(`/messages/with/${to}`, { text: 'Hi, my parcel has not arrived' });
    }, brand.id);
    const sent = await apiCall(brand.token, 'POST', `/messages/with/${customer.id}`, {
      text: 'Sorry to hear that! What would you like to do?',
      custom_profile_id: maria.id,
      quick_reply: { type: 'options', options: [
        { label: 'Track my order', description: 'See where it is now', metadata: 'track' },
        { label: 'Get a refund', description: 'Money back in 3 days', metadata: 'refund' },
        { label: 'Talk to a person', description: 'We reply within the hour', metadata: 'human' },
      ] },
      ctas: [
        { type: 'url', label: 'Delivery FAQ', url: 'https://example.com/help/delivery' },
        { type: 'follow', label: 'Follow Acme Support', screen_name: brand.screenName },
      ],
    });
    await page.goto(`${BASE}/messages/${sent.conversation_id}`);
    // The header says the account provides support and is open now.
    await see(page.locator('.conv-head .title small', { hasText: 'Provides support · Open now' }));
    const prompt = message(page, 'What would you like to do?');
    await see(prompt.locator('.sent-as', { hasText: 'Maria Fernanda Featherstonehaugh from Support' }));
    await see(prompt.locator('.sent-as .avatar img'));
    const chips = page.getByRole('group', { name: 'Quick replies' });
    await see(chips);
    assert.equal(await chips.getByRole('button').count(), 3);
    assert.equal(await prompt.getByRole('link', { name: 'Delivery FAQ' }).getAttribute('target'), '_blank');
    for (const [viewport, scheme, name] of [
      [{ width: 390, height: 844 }, 'dark', 'business-customer-phone'],
      [{ width: 390, height: 844 }, 'light', 'layout/business-customer-phone-light'],
      [{ width: 1280, height: 820 }, 'light', 'layout/business-customer-desktop'],
      [{ width: 1280, height: 820 }, 'dark', 'layout/business-customer-desktop-dark'],
    ]) {
      await page.setViewportSize(viewport);
      await page.emulateMedia({ colorScheme: scheme });
      await prompt.scrollIntoViewIfNeeded();
      for (const selector of ['.quick-replies', '.ctas', '.sent-as']) {
        const b = await box(page, `.timeline ${selector}`);
        assert.ok(b && b.left >= 0 && b.right <= viewport.width, `${selector} fits: ${JSON.stringify(b)}`);
      }
      await shot(page, name);
    }
    // By keyboard: focus the second option and press Enter.
    await chips.getByRole('button', { name: /Get a refund/ }).focus();
    await page.keyboard.press('Enter');
    await see(message(page, 'Get a refund'));
    await gone(page.getByRole('group', { name: 'Quick replies' }));
    const { events } = await apiCall(brand.token, 'GET', `/conversations/${sent.conversation_id}/events?limit=1`);
    assert.deepEqual(events[0].quick_reply_response, { type: 'options', metadata: 'refund' });
    assert.equal(events[0].text, 'Get a refund');

    // A button opens its page in a new tab, and the brand sees the click counted.
    const [tab] = await Promise.all([
      customer.context.waitForEvent('page'),
      prompt.getByRole('link', { name: 'Delivery FAQ' }).click(),
    ]);
    await tab.close();
    await until(async () => {
      const history = await apiCall(brand.token, 'GET', `/conversations/${sent.conversation_id}/events?limit=5`);
      return history.events.find((e) => e.id === sent.id)?.ctas[0].clicks === 1;
    }, 'the click to be counted');
    // The follow button goes, counted, to the brand's profile.
    await prompt.getByRole('link', { name: 'Follow Acme Support' }).click();
    await see(page.getByRole('heading', { name: 'Acme Support' }));
    assert.equal(customer.errors.length, 0, customer.errors.join('\n'));
  });
});

// The whole story in the web app, as two people: the brand sets up support, a welcome message
// and a custom profile in Business settings and copies a DM link; the customer opens it, is
// greeted, answers by keyboard; the brand answers as the profile with a button, which the
// customer clicks and the brand sees counted; outside hours the away message comes once.
describe('business messaging, set up and used in the web app', () => {
  let browser;
  let customer;
  let brand;
  let link;

  /** The native API as `p`'s page calls it (their session). */
  const call = (p, method, path, body) => p.page.evaluate(async ([m, u, b]) => {
    const { api } = await import('/assets/js/api.js');
    return api(m, u, b ?? undefined);
  }, [method, path, body ?? null]);

  before(async () => {
    browser = await launch();
    brand = await person(browser, 'acmehelp');
    customer = await person(browser, 'dana');
    await signUp(brand);
    await signUp(customer);
    await call(brand, 'PATCH', '/me', { name: 'Acme Help' });
  });

  after(async () => {
    await browser?.close();
  });

  it('sets up support, a default welcome message and a custom profile, and builds a DM link', async () => {
    const { page } = brand;
    await page.goto(`${BASE}/settings`);
    await page.getByRole('link', { name: 'Business settings' }).click();
    await see(page.getByRole('heading', { name: 'Business', exact: true }));
    await page.getByLabel('Provide support').check();
    await page.getByLabel('Set hours').check();
    await page.getByLabel('Time zone', { exact: true }).selectOption('UTC');
    for (const day of ['Saturday', 'Sunday']) await page.getByLabel(`Open on ${day}`).check();
    for (const day of ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']) {
      await page.getByLabel(`${day} opens at`).fill('00:00');
      await page.getByLabel(`${day} closes at`).fill('23:59');
    }
    await page.getByLabel('Away message').fill('We are closed right now. We answer from 09:00.');
    await page.getByRole('button', { name: 'Save support settings' }).click();
    await see(page.getByText('Support settings saved'));
    const support = await call(brand, 'GET', '/me/support');
    assert.equal(support.enabled, true);
    assert.equal(support.hours.weekly.length, 7);
    assert.equal(support.away_message.text, 'We are closed right now. We answer from 09:00.');
    await see(page.getByRole('link', { name: 'Business' }));

    // A welcome message with three quick replies and a button, previewed as it is written.
    await page.getByRole('button', { name: 'New welcome message' }).click();
    const dialog = page.getByRole('dialog', { name: 'New welcome message' });
    await dialog.getByLabel('Name', { exact: true }).fill('Default greeting');
    await dialog.getByLabel('Message').fill('Hi! Thanks for reaching out to Acme Help. What can we do for you?');
    for (const [label, description] of [['Track my order', 'Where is my parcel?'], ['Return an item', 'Within 30 days'], ['Talk to a person', '']]) {
      await dialog.getByRole('button', { name: 'Add option' }).click();
      const row = dialog.locator('.edit-list[aria-label="Quick reply options"] li').last();
      await row.getByLabel('Label').fill(label);
      if (description) await row.getByLabel('Description (optional)').fill(description);
    }
    await dialog.getByRole('button', { name: 'Add button' }).click();
    const button = dialog.locator('.edit-list[aria-label="Buttons"] li').last();
    await button.getByLabel('Label').fill('Help centre');
    await button.getByLabel('Web address').fill('https://example.com/help');
    await see(dialog.locator('.welcome-preview .quick-reply', { hasText: 'Talk to a person' }));
    await see(dialog.locator('.welcome-preview .cta', { hasText: 'Help centre' }));
    for (const [viewport, scheme, name] of [
      [{ width: 1280, height: 900 }, 'light', 'business-welcome-editor'],
      [{ width: 390, height: 844 }, 'dark', 'layout/business-welcome-editor-phone-dark'],
    ]) {
      await page.setViewportSize(viewport);
      await page.emulateMedia({ colorScheme: scheme });
      const b = await box(page, 'dialog');
      assert.ok(b.left >= 0 && b.right <= viewport.width, `the editor fits: ${JSON.stringify(b)}`);
      await page.evaluate(() => document.getElementById('toasts').replaceChildren());
      await dialog.locator('.welcome-preview').scrollIntoViewIfNeeded();
      await shot(page, name);
    }
    await page.setViewportSize({ width: 1280, height: 820 });
    // Descriptions go on every option or none: the refusal shows in the editor, and nothing
    // typed is lost.
    await dialog.getByRole('button', { name: 'Create' }).click();
    await see(dialog.locator('.form-error', { hasText: /description/i }));
    await dialog.locator('.edit-list[aria-label="Quick reply options"] li').last().getByLabel('Description (optional)').fill('Someone from our team');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await see(page.getByText('Welcome message created'));
    await page.getByRole('button', { name: 'Make Default greeting the default' }).click();
    await see(page.locator('.biz-row .pill', { hasText: 'Default' }));

    // A custom profile with a picture.
    const profiles = page.locator('form[aria-labelledby="biz-profiles"]');
    await profiles.getByLabel('Name', { exact: true }).fill('Maria from Support');
    await profiles.getByLabel('Picture (optional)').setInputFiles({ name: 'maria.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(await portrait(page, 500, 600, 20)) });
    await page.getByRole('button', { name: 'Add profile' }).click();
    await see(page.getByText('Maria from Support can answer now'));
    await see(page.locator('.biz-row', { hasText: 'Maria from Support' }).locator('.avatar img'));

    // The DM link chooses the welcome message and pre-fills nothing.
    const [greeting] = (await call(brand, 'GET', '/welcome_messages')).welcome_messages;
    await page.getByLabel('Welcome message', { exact: true }).selectOption(greeting.id);
    link = await page.getByLabel('Link', { exact: true }).inputValue();
    assert.match(link, new RegExp(`/messages/compose\\?recipient_id=${brand.id}&welcome_message_id=${greeting.id}&source=deep_link$`));
    await page.evaluate(() => document.getElementById('toasts').replaceChildren());
    for (const [viewport, scheme, name] of [
      [{ width: 1280, height: 820 }, 'light', 'business-settings'],
      [{ width: 1280, height: 820 }, 'dark', 'layout/business-settings-dark'],
      [{ width: 390, height: 844 }, 'dark', 'business-settings-phone'],
      [{ width: 390, height: 844 }, 'light', 'layout/business-settings-phone-light'],
    ]) {
      await page.setViewportSize(viewport);
      await page.emulateMedia({ colorScheme: scheme });
      for (const selector of ['.hours-row', '.biz-row', '#link-out', '.page-inner']) {
        const b = await box(page, selector);
        assert.ok(b && b.left >= 0 && b.right <= viewport.width, `${selector} fits: ${JSON.stringify(b)}`);
      }
      // The top (support and its hours), then the rest (welcome messages, profiles, link).
      for (const [section, part] of [['biz-support', ''], ['biz-welcome', '-more']]) {
        await page.evaluate((id) => document.getElementById(id).closest('.section').scrollIntoView({ block: 'start' }), section);
        await shot(page, `${name}${part}`);
      }
    }
    await page.setViewportSize({ width: 1280, height: 820 });
    await page.emulateMedia({ colorScheme: 'light' });
    assert.equal(brand.errors.length, 0, brand.errors.join('\n'));
  });

  it('greets the customer who opens the link, who answers a quick reply by keyboard', async () => {
    const { page } = customer;
    await page.goto(link);
    const welcome = page.getByRole('list', { name: 'Welcome message from Acme Help' });
    await see(welcome.getByText('What can we do for you?'));
    const chips = welcome.getByRole('group', { name: 'Quick replies' });
    assert.equal(await chips.getByRole('button').count(), 3);
    for (const [viewport, scheme, name] of [
      [{ width: 390, height: 844 }, 'dark', 'business-welcome-phone'],
      [{ width: 1280, height: 820 }, 'light', 'layout/business-welcome-desktop'],
    ]) {
      await page.setViewportSize(viewport);
      await page.emulateMedia({ colorScheme: scheme });
      const b = await box(page, '.timeline-list.welcome .quick-replies');
      assert.ok(b.left >= 0 && b.right <= viewport.width, `the options fit: ${JSON.stringify(b)}`);
      await shot(page, name);
    }
    await chips.getByRole('button', { name: /Return an item/ }).focus();
    await page.keyboard.press('Enter');
    // The conversation now holds the welcome message, as the brand's, then the answer.
    await see(message(page, 'Return an item'));
    await see(page.locator('.timeline-list:not(.welcome) .msg', { hasText: 'What can we do for you?' }));
    await gone(page.getByRole('group', { name: 'Quick replies' }));
    const conversations = await call(customer, 'GET', '/conversations');
    const { events } = await call(customer, 'GET', `/conversations/${conversations.conversations[0].id}/events?limit=5`);
    assert.equal(events[0].text, 'Return an item');
    assert.equal(events[0].initiated_via.welcome_message_id, new URL(link).searchParams.get('welcome_message_id'));
    assert.equal(events[1].sender_id, brand.id, 'the welcome message is the brand’s');
    const insights = await call(brand, 'GET', '/insights');
    assert.equal(insights.conversations_started.by_source.deep_link, 1, 'the brand sees where it came from');
    assert.equal(customer.errors.length, 0, customer.errors.join('\n'));
  });

  it('answers as Maria from Support with a button, whose click the brand sees counted', async () => {
    const { page } = brand;
    await page.goto(`${BASE}/messages`);
    await page.getByRole('link', { name: /Dana/ }).first().click();
    await see(message(page, 'Return an item'));
    await page.getByRole('button', { name: 'Send as, quick replies and buttons' }).click();
    const dialog = page.getByRole('dialog', { name: 'Send as, quick replies and buttons' });
    await dialog.getByLabel('Send as').selectOption({ label: 'Maria from Support' });
    await dialog.getByRole('button', { name: 'Add button' }).click();
    await dialog.getByLabel('Label').fill('Start a return');
    await dialog.getByLabel('Web address').fill('https://example.com/returns');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await see(page.locator('.extras-strip', { hasText: 'As Maria from Support · 1 button' }));
    await shot(page, 'layout/business-composer-extras');
    await send(page, 'Happy to help! Start your return here.');
    await see(page.locator('.extras-strip', { hasText: 'As Maria from Support' }));

    const answer = message(customer.page, 'Happy to help! Start your return here.');
    await see(answer.locator('.sent-as', { hasText: 'Maria from Support' }));
    const [tab] = await Promise.all([
      customer.context.waitForEvent('page'),
      answer.getByRole('link', { name: 'Start a return' }).click(),
    ]);
    await tab.close();
    await page.reload();
    await see(message(page, 'Happy to help! Start your return here.').getByRole('link', { name: 'Start a return, 1 click' }));
    assert.equal(brand.errors.length, 0, brand.errors.join('\n'));
  });

  it('makes a DM card and asks for feedback from the conversation menu', async () => {
    const { page } = brand;
    await page.goto(`${BASE}/i/business`);
    const cards = page.locator('form[aria-labelledby="biz-cards"]');
    await cards.getByLabel('Name', { exact: true }).fill('Summer cocktails');
    await cards.getByLabel('Headline').fill('Find your summer cocktail');
    await cards.getByLabel('Photo or video').setInputFiles({ name: 'card.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(await portrait(page, 900, 600, 40)) });
    await cards.getByLabel('Button 1 label').fill('Ask the bartender');
    await cards.getByRole('button', { name: 'Make card' }).click();
    await see(page.getByText('Card made: attach it to a post'));
    await see(cards.locator('.biz-row', { hasText: 'Summer cocktails' }));
    const [card] = (await call(brand, 'GET', '/dm_cards')).dm_cards;
    assert.equal(card.buttons[0].label, 'Ask the bartender');
    assert.ok(card.media, 'the photo was uploaded to be shared');
    // It goes on a post from the post composer.
    await page.getByRole('button', { name: 'Post' }).click();
    const composer = page.getByRole('dialog', { name: 'New post' });
    await composer.getByLabel('What’s happening?').fill('Summer is here. Which one are you?');
    await composer.getByLabel('DM card').selectOption({ label: 'Summer cocktails: Find your summer cocktail' });
    await composer.getByRole('button', { name: 'Post', exact: true }).click();
    await see(page.getByText('Posted'));
    const { posts } = await call(brand, 'GET', `/users/${brand.id}/posts`);
    assert.equal(posts[0].card.id, card.id);

    await page.goto(`${BASE}/messages`);
    await page.getByRole('link', { name: /Dana/ }).first().click();
    await page.getByRole('button', { name: 'Conversation options' }).click();
    await page.getByRole('menuitem', { name: 'Ask for feedback' }).click();
    const ask = page.getByRole('dialog', { name: 'Ask Dana for feedback' });
    await ask.getByLabel('Privacy policy').fill('https://acme.example/privacy');
    await ask.getByRole('button', { name: 'Send survey' }).click();
    await see(page.getByText('Survey sent'));
    await see(customer.page.getByRole('group', { name: 'How satisfied are you with the help you got today?' }));
    await page.goto(`${BASE}/i/business`);
    await see(page.locator('.survey-result', { hasText: '0 of 1 answered' }));
    await page.evaluate(() => document.getElementById('biz-cards').closest('.section').scrollIntoView({ block: 'start' }));
    await shot(page, 'layout/business-cards-and-feedback');
    assert.equal(brand.errors.length, 0, brand.errors.join('\n'));
  });

  it('sends the away message once while closed', async () => {
    await call(brand, 'PUT', '/me/support', {
      enabled: true, hours: { time_zone: 'UTC', weekly: [] },
      away_message: { text: 'We are closed right now. We answer from 09:00.' },
    });
    const { page } = customer;
    await send(page, 'Are you there?');
    await see(message(page, 'We are closed right now. We answer from 09:00.'));
    await send(page, 'Hello?');
    await page.waitForTimeout(500);
    assert.equal(await message(page, 'We are closed right now. We answer from 09:00.').count(), 1, 'once per closed period');
    assert.equal(customer.errors.length, 0, customer.errors.join('\n'));
  });
});
