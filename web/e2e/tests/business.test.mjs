// Business messaging (issue 15) as a customer sees it: a support account's profile says it
// provides support, whether it is open now or when it opens, and offers a big Message button.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  BASE, apiCall, apiUser, box, gone, launch, message, person, portrait, see, shot, signUp, until, upload,
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
