// What a person sees, measured: sizes and positions read from the page's boxes at phone width
// (390 px) and on a desktop, in the light and the dark, with long names and photos of both
// orientations. Screenshots are taken too, but the checks are on the boxes.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  BASE, apiCall, apiUser, box, follow, launch, message, messageAction, person, photo, portrait, see, send, shot, signUp, until,
  upload,
} from '../lib.mjs';

const LONG_NAME = 'Maximiliana Featherstonehaugh-Worthington Support';
const SIZES = [
  { label: 'phone', viewport: { width: 390, height: 844 } },
  { label: 'desktop', viewport: { width: 1280, height: 820 } },
];
const SCHEMES = ['light', 'dark'];

describe('layout', () => {
  let browser;
  let nora;
  let brand;

  before(async () => {
    browser = await launch();
    nora = await person(browser, 'nora');
    await signUp(nora);
    brand = await apiUser('acme');
    await apiCall(brand.token, 'PATCH', '/me', { name: LONG_NAME });
    // The brand's picture is a portrait photo: its middle square shows.
    await apiCall(brand.token, 'PUT', '/me/avatar', { media_id: await upload(brand.token, await portrait(nora.page, 600, 900, 20)) });
    await follow(nora, brand);
    await apiCall(brand.token, 'POST', `/messages/with/${nora.id}`, { text: 'Hello! Here is the view from our office.' });
    for (const [w, h] of [[1200, 600], [600, 1200]]) {
      const mediaId = await upload(brand.token, await photo(nora.page, w, h));
      await apiCall(brand.token, 'POST', `/messages/with/${nora.id}`, { text: `${w}×${h}`, media_id: mediaId });
    }
    const clip = await upload(brand.token, new Uint8Array(readFileSync(new URL('../../../crates/server/tests/fixtures/clip.mp4', import.meta.url))), 'video/mp4');
    await apiCall(brand.token, 'POST', `/messages/with/${nora.id}`, { text: 'A short clip', media_id: clip });
    await nora.page.goto(`${BASE}/messages`);
    await nora.page.getByRole('link', { name: new RegExp(LONG_NAME) }).first().click();
    await send(nora.page, 'Thanks, what a lovely view');
  });

  after(async () => {
    await browser?.close();
  });

  for (const { label, viewport } of SIZES) {
    for (const scheme of SCHEMES) {
      describe(`${label}, ${scheme}`, () => {
        before(async () => {
          await nora.page.setViewportSize(viewport);
          await nora.page.emulateMedia({ colorScheme: scheme });
        });

        it('fits the inbox in the width, with New message and Requests on screen', async () => {
          const { page } = nora;
          await page.goto(`${BASE}/messages`);
          await see(page.getByRole('link', { name: new RegExp(LONG_NAME) }));
          const width = await page.evaluate(() => document.documentElement.scrollWidth);
          assert.ok(width <= viewport.width, `the page is ${width} px wide in a ${viewport.width} px window`);
          for (const selector of ['button[aria-label="New message"]', '#tab-requests', '.conv-item time']) {
            const b = await box(page, selector);
            assert.ok(b && b.left >= 0 && b.right <= viewport.width, `${selector} is off screen: ${JSON.stringify(b)}`);
          }
          await shot(page, `layout/inbox-${label}-${scheme}`);
        });

        it('draws photos at their own shape, from a picture large enough for the box', async () => {
          const { page } = nora;
          await page.goto(`${BASE}/messages`);
          await page.getByRole('link', { name: new RegExp(LONG_NAME) }).first().click();
          // The header is drawn once the conversation has loaded.
          await see(page.locator('.conv-head .title strong', { hasText: LONG_NAME }));
          const name = await box(page, '.conv-head .title strong');
          const menu = await box(page, '.conv-head .title ~ button');
          assert.ok(name.right <= menu.left, `the name runs under the header's button: ${JSON.stringify({ name, menu })}`);
          for (const text of ['1200×600', '600×1200']) {
            const img = message(page, text).locator('.media img');
            await see(img);
            const drawn = await until(() => img.evaluate((el) => el.complete && el.naturalWidth > 0 && {
              ratio: el.getBoundingClientRect().width / el.getBoundingClientRect().height,
              width: el.getBoundingClientRect().width,
              source: el.currentSrc,
              natural: el.naturalWidth,
              fit: getComputedStyle(el).objectFit,
            }), `${text} to load`);
            const [w, h] = text.split('×').map(Number);
            assert.ok(Math.abs(drawn.ratio - w / h) / (w / h) < 0.03, `${text} is drawn at ${drawn.ratio.toFixed(3)}: ${JSON.stringify(drawn)}`);
            const dpr = await page.evaluate(() => window.devicePixelRatio);
            assert.ok(drawn.natural >= Math.min(w, drawn.width * dpr) - 1, `${text} is drawn ${drawn.width} px wide from ${drawn.natural} px: ${drawn.source}`);
          }
          // A video shows a frame of itself before it is played, at its own shape.
          const video = message(page, 'A short clip').locator('video');
          await video.scrollIntoViewIfNeeded();
          const frame = await until(() => video.evaluate((el) => el.readyState >= 2 && {
            ratio: el.getBoundingClientRect().width / el.getBoundingClientRect().height,
            natural: el.videoWidth / el.videoHeight,
            paused: el.paused,
          }), 'a frame of the video to show');
          assert.ok(frame.paused && Math.abs(frame.ratio - frame.natural) / frame.natural < 0.03, `the video: ${JSON.stringify(frame)}`);
          await shot(page, label === 'phone' && scheme === 'light' ? 'phone-photos' : `layout/photos-${label}-${scheme}`);
        });

        it('opens photos in a viewer that works from the keyboard', async () => {
          const { page } = nora;
          await page.goto(`${BASE}/messages`);
          await page.getByRole('link', { name: new RegExp(LONG_NAME) }).first().click();
          const first = message(page, '1200×600').getByRole('link', { name: 'Open the photo' });
          await first.click();
          const viewer = page.getByRole('dialog', { name: 'Photo viewer' });
          await see(viewer);
          const shown = () => until(() => viewer.locator('img').evaluate((el) => el.complete && el.naturalWidth > 0 && {
            src: el.currentSrc,
            ratio: el.getBoundingClientRect().width / el.getBoundingClientRect().height,
            right: el.getBoundingClientRect().right,
          }), 'the photo in the viewer');
          const a = await shown();
          assert.ok(Math.abs(a.ratio - 2) < 0.05 && a.right <= viewport.width, `the viewer draws 1200×600 at ${JSON.stringify(a)}`);
          assert.equal(await viewer.getByText('1 of 2').count(), 1);
          await shot(page, label === 'desktop' && scheme === 'light' ? 'photo-viewer' : `layout/viewer-${label}-${scheme}`);
          await page.keyboard.press('ArrowRight');
          await see(viewer.getByText('2 of 2'));
          const b = await shown();
          assert.ok(b.src !== a.src && Math.abs(b.ratio - 0.5) < 0.05, `the next photo: ${JSON.stringify(b)}`);
          await page.keyboard.press('ArrowLeft');
          await see(viewer.getByText('1 of 2'));
          await page.keyboard.press('Escape');
          await until(async () => (await viewer.count()) === 0, 'the viewer to close');
          assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Open the photo', 'focus goes back to the photo');
        });

        it('shows toasts clear of the composer, and picked people as one-line chips', async () => {
          const { page } = nora;
          await page.goto(`${BASE}/messages`);
          await page.getByRole('link', { name: new RegExp(LONG_NAME) }).first().click();
          await see(page.getByRole('textbox', { name: 'Message text' }));
          for (const item of ['Pin conversation', 'Unpin conversation']) {
            await page.getByRole('button', { name: 'Conversation options' }).click();
            await page.getByRole('menuitem', { name: item }).click();
          }
          const toast = await until(() => box(page, '.toast'), 'a toast');
          const composer = await box(page, '.composer');
          assert.ok(toast.bottom <= composer.top || toast.top >= composer.bottom, `a toast covers the composer: ${JSON.stringify({ toast, composer })}`);
          assert.ok(toast.left >= 0 && toast.right <= viewport.width, `a toast is off screen: ${JSON.stringify(toast)}`);
          await page.goto(`${BASE}/messages`);
          await page.getByRole('button', { name: 'New message' }).first().click();
          await page.getByRole('searchbox', { name: 'Search people' }).fill(brand.screenName);
          await page.getByRole('button', { name: new RegExp(`@${brand.screenName}`) }).click();
          const chip = await until(() => box(page, '.chip'), 'a chip');
          const cross = await box(page, '.chip svg');
          assert.ok(chip.height <= 44 && cross.width <= 16, `the chip is ${chip.height} px tall, its ✕ ${cross.width} px`);
          assert.ok(cross.right <= chip.right && cross.width > 0, `the ✕ is cut off: ${JSON.stringify({ chip, cross })}`);
          await shot(page, `layout/chips-${label}-${scheme}`);
          await page.keyboard.press('Escape');
        });

        it('keeps the reply and edit banners to one line with small icons', async () => {
          const { page } = nora;
          await page.goto(`${BASE}/messages`);
          await page.getByRole('link', { name: new RegExp(LONG_NAME) }).first().click();
          for (const [text, action, cancel] of [
            ['Hello! Here is the view', 'Reply', 'Cancel reply'],
            ['Thanks, what a lovely view', 'Edit', 'Cancel editing'],
          ]) {
            await messageAction(page, text, action);
            await see(page.locator('.composer .banner'));
            const icon = await box(page, '.composer .banner svg');
            assert.ok(icon && icon.width <= 24 && icon.height <= 24, `the ${action} icon is ${JSON.stringify(icon)}`);
            const banner = await box(page, '.composer .banner');
            const line = await box(page, '.composer .banner span');
            assert.ok(banner.height <= 56 && line.height <= 24, `the ${action} banner is ${banner.height} px tall, its text ${line.height} px`);
            const timeline = await box(page, '.timeline');
            assert.ok(timeline.height >= viewport.height * 0.4, `with ${action} open the conversation shows only ${timeline.height} px`);
            // The message being edited, the newest, is still in view above the banner. (A
            // reply to an older message scrolls to that one, so the newest may be out of view.)
            if (action === 'Edit') {
              const newest = await until(async () => {
                const last = await box(page, '.timeline .msg:last-child');
                return last.bottom <= timeline.bottom + 1 && last;
              }, `the newest message to stay in view with ${action} open`, 2000);
              assert.ok(newest.top >= timeline.top, `the newest message is cut off: ${JSON.stringify({ newest, timeline })}`);
            }
            await shot(page, action === 'Reply' && label === 'phone' && scheme === 'dark' ? 'phone-reply' : `layout/${action.toLowerCase()}-${label}-${scheme}`);
            await page.getByRole('button', { name: cancel }).click();
          }
        });
      });
    }
  }

  it('logged nothing unexpected', () => {
    assert.deepEqual(nora.errors, []);
  });
});
