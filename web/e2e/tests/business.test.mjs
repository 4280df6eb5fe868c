// Business messaging (issue 15) as a customer sees it: a support account's profile says it
// provides support, whether it is open now or when it opens, and offers a big Message button.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BASE, apiCall, apiUser, box, launch, person, see, shot, signUp } from '../lib.mjs';

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
});
