// Keyboard and screen-reader basics on the main screens: every control has a name, Tab
// reaches the controls that matter, focus is visible, menus work from the keyboard.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BASE, follow, launch, message, person, see, send, shot, signUp } from '../lib.mjs';

/** Visible controls without an accessible name (label, aria-label, text, title or alt). */
function unnamedControls(page) {
  return page.evaluate(() => {
    const named = (el) => {
      const byIds = (el.getAttribute('aria-labelledby') || '').split(' ').filter(Boolean)
        .map((id) => document.getElementById(id)?.textContent || '').join('');
      const labels = [...(el.labels || [])].map((l) => l.textContent).join('');
      const alt = [...el.querySelectorAll('img[alt], [role="img"][aria-label]')].map((i) => i.getAttribute('alt') || i.getAttribute('aria-label')).join('');
      return [el.getAttribute('aria-label'), byIds, labels, el.textContent, el.getAttribute('title'), el.getAttribute('placeholder'), alt]
        .some((s) => s && s.trim());
    };
    const controls = document.querySelectorAll('button, a[href], input:not([type="hidden"]), textarea, select, [role="tab"], [role="menuitem"]');
    return [...controls]
      .filter((el) => el.offsetParent !== null && !el.closest('[aria-hidden="true"]'))
      .filter((el) => !named(el))
      .map((el) => el.outerHTML.slice(0, 120));
  });
}

/**
 * The focused control, read in one step: its name, the text of the message it belongs to, and
 * whether it has a menu open. (A locator finds its element and evaluates on it in two steps, and
 * a message arriving between them renders a new row, leaving the locator a detached copy.)
 */
function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    return {
      name: el.getAttribute('aria-label') || el.textContent.trim(),
      message: el.closest('.msg')?.querySelector('.bubble')?.textContent.trim() ?? null,
      expanded: el.getAttribute('aria-expanded'),
    };
  });
}

describe('accessibility', () => {
  let browser;
  let henry;
  let iris;

  before(async () => {
    browser = await launch();
    henry = await person(browser, 'henry');
    iris = await person(browser, 'iris');
    await signUp(henry);
    await signUp(iris);
    await follow(iris, henry);
    await henry.page.goto(`${BASE}/messages/compose?recipient_id=${iris.id}`);
    await send(henry.page, 'Can you read this with a keyboard?');
  });

  after(async () => {
    await browser?.close();
  });

  it('names every control on the main screens', async () => {
    const page = henry.page;
    const screens = [
      ['conversation', async () => {}],
      ['profile', async () => { await page.goto(`${BASE}/${iris.screenName}`); await see(page.getByRole('button', { name: 'Following' }).or(page.getByRole('button', { name: 'Follow', exact: true }))); }],
      ['settings', async () => { await page.goto(`${BASE}/settings`); await see(page.getByRole('heading', { name: 'Direct messages' })); }],
      ['new message', async () => {
        await page.goto(`${BASE}/messages`);
        await page.getByRole('button', { name: 'New message' }).first().click();
        await page.getByRole('searchbox', { name: 'Search people' }).fill(iris.screenName);
        await see(page.getByRole('button', { name: new RegExp(`@${iris.screenName}`) }));
      }],
    ];
    for (const [name, open] of screens) {
      await open();
      assert.deepEqual(await unnamedControls(page), [], `unnamed controls on ${name}`);
      if (name === 'profile') await shot(page, 'profile');
    }
    await page.keyboard.press('Escape');
  });

  it('reaches the conversation’s controls with Tab, with visible focus', async () => {
    const page = iris.page;
    await page.goto(`${BASE}/messages`);
    await page.getByRole('link', { name: new RegExp(henry.name) }).click();
    await see(message(page, 'Can you read this with a keyboard?'));
    await page.locator('body').focus();
    const reached = new Set();
    const unringed = [];
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const el = document.activeElement;
        // A ring on the control, or on the field around it (the composer's box).
        const ring = (node) => {
          const style = getComputedStyle(node);
          return style.boxShadow !== 'none' || style.outlineStyle !== 'none';
        };
        return {
          name: el.getAttribute('aria-label') || el.textContent.trim().slice(0, 40),
          visible: el === document.body || ring(el) || ring(el.parentElement),
        };
      });
      reached.add(focused.name);
      if (!focused.visible) unringed.push(focused.name);
    }
    for (const name of ['Messages', 'New message', 'Primary', 'React', 'Reply', 'More actions', 'Add emoji', 'Message text']) {
      assert.ok(reached.has(name), `Tab reaches “${name}” (reached: ${[...reached].join(' | ')})`);
    }
    assert.deepEqual(unringed, [], 'every focused control shows a focus ring');
  });

  it('opens and leaves a message menu with the keyboard', async () => {
    const page = iris.page;
    const text = 'Can you read this with a keyboard?';
    await message(page, text).getByRole('button', { name: 'More actions' }).focus();
    await page.keyboard.press('Enter');
    await see(page.getByRole('menuitem', { name: 'Reply' }));
    assert.equal((await focused(page)).name, 'Reply', 'focus moves into the menu');
    await page.keyboard.press('ArrowDown');
    assert.equal((await focused(page)).name, 'Copy text');
    await page.keyboard.press('Escape');
    assert.equal(await page.getByRole('menu').count(), 0, 'Escape closes the menu');
    assert.deepEqual(await focused(page), { name: 'More actions', message: text, expanded: 'false' }, 'focus returns to the button');
  });

  it('keeps keyboard focus, and an open menu’s way back, when a message arrives', async () => {
    const page = iris.page;
    const text = 'Can you read this with a keyboard?';
    await message(page, text).getByRole('button', { name: 'More actions' }).focus();
    await page.keyboard.press('Enter');
    await see(page.getByRole('menuitem', { name: 'Reply' }));
    // Each arrival renders the timeline again, replacing the button the menu belongs to.
    await henry.page.goto(`${BASE}/messages/compose?recipient_id=${iris.id}`);
    await send(henry.page, 'This arrives while a menu is open');
    await see(message(page, 'This arrives while a menu is open'));
    await page.keyboard.press('Escape');
    assert.equal(await page.getByRole('menu').count(), 0, 'Escape closes the menu');
    const button = { name: 'More actions', message: text, expanded: 'false' };
    assert.deepEqual(await focused(page), button, 'focus returns to the button');
    await send(henry.page, 'And this one while the button has focus');
    await see(message(page, 'And this one while the button has focus'));
    assert.deepEqual(await focused(page), button, 'focus stays on the button');
  });

  it('logged no errors', () => {
    assert.deepEqual(henry.errors, []);
    assert.deepEqual(iris.errors, []);
  });
});
