// Avatars: a person picks a photo in Settings; it shows, square and sharp, wherever their
// initial was (the rail, the inbox, a conversation, their profile), for them and for others;
// removing it brings the initial back; a file that is not an image says why beside the
// button. And a profile on screen follows along when its person follows you.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  BASE, apiCall, apiUser, box, follow, launch, person, portrait, see, setPhoto, shot, signUp, until,
} from '../lib.mjs';

const SIZES = [
  { label: 'phone', viewport: { width: 390, height: 844 } },
  { label: 'desktop', viewport: { width: 1280, height: 820 } },
];

/** The avatar picture in `scope` once it has loaded: its box and the file it was drawn from. */
async function drawnAvatar(page, scope) {
  const img = page.locator(`${scope} .avatar img`).first();
  await see(img);
  return until(() => img.evaluate((el) => el.complete && el.naturalWidth > 0 && {
    width: el.getBoundingClientRect().width,
    height: el.getBoundingClientRect().height,
    natural: [el.naturalWidth, el.naturalHeight],
    source: el.currentSrc,
    circle: getComputedStyle(el.parentElement).borderRadius,
  }), `the avatar in ${scope} to load`);
}

describe('avatars', () => {
  let browser;
  let ada;
  let friend;

  before(async () => {
    browser = await launch();
    ada = await person(browser, 'ada');
    await signUp(ada);
    friend = await apiUser('friend');
    await apiCall(friend.token, 'PATCH', '/me', { name: 'Fred Friend' });
    await apiCall(friend.token, 'PUT', `/me/following/${ada.id}`);
  });

  after(async () => {
    await browser?.close();
  });

  it('sets a photo in Settings and shows it square wherever the initial was', async () => {
    const { page } = ada;
    await page.goto(`${BASE}/settings`);
    await see(page.getByRole('heading', { name: 'Profile photo' }));
    // No picture yet: the initial, and no image.
    assert.equal(await page.locator('.photo-row .avatar img').count(), 0);
    assert.equal((await page.locator('.photo-row .avatar').innerText()).trim(), 'A');
    // A landscape photo: its middle square is used, never squashed.
    await setPhoto(ada, await portrait(page, 1200, 600));
    const large = await drawnAvatar(page, '.photo-row');
    assert.deepEqual([large.width, large.height], [96, 96], JSON.stringify(large));
    assert.equal(large.natural[0], large.natural[1], `square: ${JSON.stringify(large)}`);
    assert.ok(large.natural[0] >= 96, `sharp enough for its box: ${JSON.stringify(large)}`);
    assert.equal(large.circle, '50%');
    // The rail's card changed at once, without a reload.
    const rail = await drawnAvatar(page, '.rail .me');
    assert.deepEqual([rail.width, rail.height], [32, 32], JSON.stringify(rail));
    assert.equal(ada.errors.length, 0, ada.errors.join('\n'));
  });

  it('shows the photo to others, in their inbox and on the profile', async () => {
    const other = await person(browser, 'olga');
    const { page } = other;
    await signUp(other);
    // Olga follows Ada, so Ada's message reaches her primary inbox.
    await follow(other, ada);
    await ada.page.goto(`${BASE}/messages/compose?recipient_id=${other.id}`);
    const composer = ada.page.getByRole('textbox', { name: 'Message text' });
    await composer.fill('Hello Olga');
    await composer.press('Enter');
    await page.goto(`${BASE}/messages`);
    await see(page.locator('.conv-item', { hasText: 'Hello Olga' }));
    const row = await drawnAvatar(page, '.conv-item');
    assert.deepEqual([row.width, row.height], [40, 40], JSON.stringify(row));
    await page.goto(`${BASE}/${ada.screenName}`);
    const profile = await drawnAvatar(page, '.profile-top');
    // 96 px with a 4 px ring of the page's colour round it.
    assert.deepEqual([profile.width, profile.height], [88, 88], JSON.stringify(profile));
    assert.match(profile.source, /size=(96|200)$/);
    await other.context.close();
  });

  it('says why beside the button when the file is not an image, and keeps the photo', async () => {
    const { page } = ada;
    await page.goto(`${BASE}/settings`);
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Change photo' }).click();
    await (await chooser).setFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('these are not pixels') });
    const error = page.locator('#set-photo-error');
    await see(error);
    const text = await error.innerText();
    assert.ok(!/^media:/.test(text) && text.length > 10, `a plain reason: ${text}`);
    const [button, shown] = [await box(page, '.photo-actions button'), await box(page, '#set-photo-error')];
    assert.ok(shown.top >= button.bottom - 1 && shown.top - button.bottom < 60, `beside the button: ${JSON.stringify({ button, shown })}`);
    // The photo stayed, and the buttons work again.
    await drawnAvatar(page, '.photo-row');
    assert.equal(await page.getByRole('button', { name: 'Change photo' }).isEnabled(), true);
  });

  for (const { label, viewport } of SIZES) {
    for (const scheme of ['light', 'dark']) {
      it(`fits the photo controls at ${label} width, ${scheme}`, async () => {
        const { page } = ada;
        await page.setViewportSize(viewport);
        await page.emulateMedia({ colorScheme: scheme });
        await page.goto(`${BASE}/settings`);
        await drawnAvatar(page, '.photo-row');
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width <= viewport.width, `the page is ${width} px wide`);
        for (const selector of ['.photo-row .avatar', '.photo-actions button.danger']) {
          const b = await box(page, selector);
          assert.ok(b && b.left >= 0 && b.right <= viewport.width, `${selector}: ${JSON.stringify(b)}`);
        }
        await shot(page, label === 'desktop' && scheme === 'light' ? 'settings-photo' : `layout/settings-photo-${label}-${scheme}`);
      });
    }
  }

  it('removes the photo, and the initial is back everywhere', async () => {
    const { page } = ada;
    await page.setViewportSize({ width: 1280, height: 820 });
    await page.goto(`${BASE}/settings`);
    await page.getByRole('button', { name: 'Remove photo' }).click();
    await see(page.getByRole('button', { name: 'Upload photo' }));
    assert.equal(await page.locator('.photo-row .avatar img').count(), 0);
    await until(async () => (await page.locator('.rail .me .avatar img').count()) === 0, 'the rail to drop the photo');
    assert.equal((await page.locator('.rail .me .avatar').innerText()).trim(), 'A');
    assert.equal(ada.errors.length, 0, ada.errors.join('\n'));
  });

  it('updates a profile on screen when its person follows you', async () => {
    const { page } = ada;
    await page.goto(`${BASE}/${friend.screenName}`);
    await see(page.getByRole('heading', { name: 'Fred Friend' }));
    await see(page.getByText('Follows you'));
    await apiCall(friend.token, 'DELETE', `/me/following/${ada.id}`);
    await until(async () => (await page.getByText('Follows you').count()) === 0, '“Follows you” to go');
    await apiCall(friend.token, 'PUT', `/me/following/${ada.id}`);
    await see(page.getByText('Follows you'));
    assert.equal(ada.errors.length, 0, ada.errors.join('\n'));
  });
});
