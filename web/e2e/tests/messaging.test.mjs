// Two people in two browser contexts: sign up, follow, message each other live, and use every
// message action. Steps build on each other, as a real conversation does.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  BASE, bubbles, count, follow, gone, launch, live, message, messageAction, person, portrait, see, send, setPhoto, shot, signUp,
  until,
} from '../lib.mjs';

describe('two people messaging', () => {
  let browser;
  let alice;
  let bob;

  before(async () => {
    browser = await launch();
    alice = await person(browser, 'alice');
    bob = await person(browser, 'bob');
  });

  after(async () => {
    await browser?.close();
  });

  it('signs up both people', async () => {
    await signUp(alice);
    await shot(alice.page, 'inbox-empty');
    await signUp(bob);
    // Bob has a photo; Alice has her initial.
    await setPhoto(bob, await portrait(bob.page, 900, 600, 150));
  });

  it('follows, then messages from the profile and the message arrives live', async () => {
    // Bob accepts messages from people he follows (the default), so he follows Alice.
    await follow(bob, alice);
    await bob.page.goto(`${BASE}/messages`);
    await live(bob.page);

    await alice.page.goto(`${BASE}/${bob.screenName}`);
    await see(alice.page.getByText(`@${bob.screenName}`));
    await alice.page.getByRole('link', { name: `Message ${bob.name}` }).click();
    await send(alice.page, 'Hello Bob');
    await until(() => alice.page.url().includes('/messages/') && !alice.page.url().includes('compose'), 'the conversation address');

    // No reload: the inbox updates from the stream, with an unread badge.
    const row = bob.page.getByRole('link', { name: new RegExp(`^${alice.name}, 1 unread`) });
    await see(row);
    await row.click();
    await see(message(bob.page, 'Hello Bob'));
    await send(bob.page, 'Hi Alice!');
    await see(message(alice.page, 'Hi Alice!'));
  });

  it('shows read receipts and the typing indicator', async () => {
    await see(alice.page.locator('.msg.mine .seen', { hasText: 'Seen' }));
    await bob.page.getByRole('textbox', { name: 'Message text' }).pressSequentially('typing…', { delay: 20 });
    await see(alice.page.getByText(`${bob.name} is typing`));
    await bob.page.getByRole('textbox', { name: 'Message text' }).fill('');
  });

  it('sends on Enter and inserts a newline on Shift+Enter', async () => {
    const box = alice.page.getByRole('textbox', { name: 'Message text' });
    await box.click();
    await box.pressSequentially('line one');
    await box.press('Shift+Enter');
    await box.pressSequentially('line two');
    assert.equal(await box.inputValue(), 'line one\nline two', 'Shift+Enter adds a line and does not send');
    await box.press('Enter');
    await see(message(bob.page, 'line two'));
    const text = await message(bob.page, 'line two').locator('.bubble').innerText();
    assert.equal(text, 'line one\nline two');
    // (Bob's copy can arrive over his stream before Alice's send has returned.)
    await until(async () => (await box.inputValue()) === '', 'the composer to empty after sending');
  });

  it('reacts, and the other side sees the reaction live', async () => {
    const m = message(bob.page, 'Hello Bob');
    await m.hover();
    await m.getByRole('button', { name: 'React' }).click();
    await bob.page.getByRole('button', { name: 'React with ❤️' }).click();
    const chip = message(alice.page, 'Hello Bob').locator('.reaction', { hasText: '❤️' });
    await see(chip);
    assert.match(await chip.innerText(), /1/);
    // Tapping one's own reaction takes it back.
    await message(bob.page, 'Hello Bob').locator('.reaction', { hasText: '❤️' }).click();
    await gone(chip);
  });

  it('replies to a specific message', async () => {
    const m = message(bob.page, 'Hello Bob');
    await m.hover();
    await m.getByRole('button', { name: 'Reply' }).click();
    await see(bob.page.getByText(`Replying to ${alice.name}:`));
    await send(bob.page, 'This is my reply');
    const reply = message(alice.page, 'This is my reply');
    await see(reply);
    assert.match(await reply.locator('.quote').innerText(), /Hello Bob/);
  });

  it('edits a message, and the other side sees the new text', async () => {
    await send(alice.page, 'Lunch at noon?');
    await see(message(bob.page, 'Lunch at noon?'));
    await messageAction(alice.page, 'Lunch at noon?', 'Edit');
    const box = alice.page.getByRole('textbox', { name: 'Message text' });
    assert.equal(await box.inputValue(), 'Lunch at noon?');
    await box.fill('Lunch at one?');
    await box.press('Enter');
    const edited = message(bob.page, 'Lunch at one?');
    await see(edited);
    assert.match(await edited.locator('.meta').innerText(), /Edited/);
    await gone(message(bob.page, 'Lunch at noon?'));
    await shot(alice.page, 'conversation');
  });

  it('deletes for everyone and for oneself', async () => {
    await send(alice.page, 'Oops, wrong chat');
    await see(message(bob.page, 'Oops, wrong chat'));
    await messageAction(alice.page, 'Oops, wrong chat', 'Delete for everyone');
    await alice.page.getByRole('dialog').getByRole('button', { name: 'Delete for everyone' }).click();
    await gone(message(bob.page, 'Oops, wrong chat'));
    await see(bob.page.locator('.bubble.deleted', { hasText: 'This message was deleted' }));

    await messageAction(bob.page, 'Lunch at one?', 'Delete for you');
    await bob.page.getByRole('dialog').getByRole('button', { name: 'Delete for you' }).click();
    await gone(message(bob.page, 'Lunch at one?'));
    await bob.page.reload();
    await see(message(bob.page, 'Hi Alice!'));
    assert.equal(await message(bob.page, 'Lunch at one?').count(), 0, 'deleted for Bob, also after a reload');
    assert.equal(await message(alice.page, 'Lunch at one?').count(), 1, 'Alice still has it');
  });

  it('keeps the draft when a send fails, and Retry sends it once', async () => {
    const box = alice.page.getByRole('textbox', { name: 'Message text' });
    await alice.context.setOffline(true);
    await box.fill('Sent after all');
    await box.press('Enter');
    await see(alice.page.getByRole('alert').filter({ hasText: 'Not sent' }));
    assert.equal(await box.inputValue(), 'Sent after all', 'the draft survives the failure');
    await alice.context.setOffline(false);
    await alice.page.getByRole('button', { name: 'Retry' }).click();
    await see(message(bob.page, 'Sent after all'));
    await gone(alice.page.getByRole('alert').filter({ hasText: 'Not sent' }));
    await until(async () => (await box.inputValue()) === '', 'the composer to empty after the retry');
    await count(message(alice.page, 'Sent after all'), 1, 'the retried message, once');
    await live(alice.page);
  });

  it('catches up after a dropped stream, with nothing missed or repeated', async () => {
    await bob.page.evaluate(() => window.postern.stream.hold());
    await until(() => bob.page.evaluate(() => window.postern.stream.state === 'reconnecting'), 'the stream to drop');
    await send(alice.page, 'While you were away 1');
    await send(alice.page, 'While you were away 2');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await message(bob.page, 'While you were away').count(), 0, 'nothing arrives while disconnected');
    await bob.page.evaluate(() => window.postern.stream.release());
    await live(bob.page);
    await see(message(bob.page, 'While you were away 2'));
    await count(message(bob.page, 'While you were away 1'), 1, 'the first missed message, once');
    await count(message(bob.page, 'While you were away 2'), 1, 'the second missed message, once');
  });

  it('loads older history when scrolling up', async () => {
    // 60 more messages through the API (the app's own session), then reopen the conversation.
    const conversation = new URL(alice.page.url()).pathname.split('/').pop();
    await alice.page.evaluate(async (id) => {
      const { post } = await import('/assets/js/api.js');
      for (let i = 1; i <= 60; i++) await post(`/conversations/${id}/messages`, { text: `Backlog ${i}` });
    }, conversation);
    await bob.page.goto(`${BASE}/messages/${conversation}`);
    await see(message(bob.page, 'Backlog 60'));
    assert.equal(await message(bob.page, 'Hello Bob').count(), 0, 'the first page holds only the newest 50');
    await until(async () => {
      await bob.page.locator('.timeline').evaluate((t) => { t.scrollTop = 0; t.dispatchEvent(new Event('scroll')); });
      return (await message(bob.page, 'Hello Bob').count()) === 1;
    }, 'the oldest message after scrolling up');
    // The text as written, not as drawn: rows far from the viewport are not drawn.
    const texts = await bubbles(bob.page).allTextContents();
    assert.equal(new Set(texts).size, texts.length, 'no message shows twice');
  });

  it('finds a message by search and opens its conversation at it', async () => {
    const page = alice.page;
    await send(page, 'See you at Café Zoë?');
    await page.goto(`${BASE}/messages`);
    const field = page.getByRole('searchbox', { name: 'Search Direct Messages' });
    await field.fill('hello bo');
    // Every word must match, as the start of a word.
    const results = page.getByRole('list', { name: 'Messages matching “hello bo”' });
    const hit = results.getByRole('link', { name: /Hello Bob/ });
    await see(hit);
    assert.equal(await results.getByRole('link').count(), 1);
    assert.deepEqual(await hit.locator('mark').allInnerTexts(), ['Hello', 'Bo']);
    assert.equal(await page.getByRole('tablist', { name: 'Inbox' }).isVisible(), false, 'results replace the inbox');
    await shot(page, 'search');
    // “Hello Bob” is older than the conversation's first page: it loads back to it.
    await hit.click();
    const found = message(page, 'Hello Bob');
    await see(found);
    await until(() => found.evaluate((el) => {
      const r = el.getBoundingClientRect();
      const view = el.closest('.timeline').getBoundingClientRect();
      return r.top >= view.top && r.bottom <= view.bottom;
    }), 'the found message scrolled into view');
    await see(results);
    // Escape clears the search and brings the inbox back.
    await field.press('Escape');
    await see(page.getByRole('tab', { name: /Primary/ }));
    await field.fill('zebra');
    await see(page.getByText('No messages match “zebra”.'));
    // Accents do not matter, as in the server's index.
    await field.fill('cafe zoe');
    const accented = page.getByRole('list', { name: 'Messages matching “cafe zoe”' }).getByRole('link');
    await see(accented);
    assert.deepEqual(await accented.locator('mark').allInnerTexts(), ['Café', 'Zoë']);
    // Sixty matches come twenty at a time; the keyboard stays on “Show more results”, then
    // moves to the results when there are no more.
    await field.fill('backlog');
    const backlog = page.getByRole('list', { name: 'Messages matching “backlog”' }).getByRole('link');
    await see(page.getByText('20 messages shown, more below'));
    const more = page.getByRole('button', { name: 'Show more results' });
    await more.focus();
    await page.keyboard.press('Enter');
    await see(page.getByText('40 messages shown, more below'));
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Show more results');
    while (await more.isVisible()) await page.keyboard.press('Enter');
    await see(page.getByText('60 messages found'));
    assert.equal(await backlog.count(), 60);
    assert.equal(await page.evaluate(() => document.activeElement.closest('.search-results') !== null), true, 'focus moved to a result');
    await field.press('Escape');
    // A link to a message this person cannot see says so, after looking back to the start.
    await page.goto(`${BASE}${new URL(page.url()).pathname}?message=1`);
    await see(page.getByText('That message is no longer available.'));
  });

  it('inserts emoji from the picker and counts characters near the limit', async () => {
    const box = alice.page.getByRole('textbox', { name: 'Message text' });
    await box.fill('Party ');
    await alice.page.getByRole('button', { name: 'Add emoji' }).click();
    await alice.page.getByRole('searchbox', { name: 'Search emoji' }).fill('party');
    await alice.page.getByRole('button', { name: 'party', exact: true }).click();
    await alice.page.keyboard.press('Escape');
    assert.equal(await box.inputValue(), 'Party 🥳');
    await box.press('Enter');
    await see(message(bob.page, 'Party 🥳'));

    // The limit is the server's (the suite's server sets one other than the default).
    const { message_text_chars: max } = await (await fetch(`${BASE}/api/v1/limits`)).json();
    await box.fill('x'.repeat(max - 10));
    await see(alice.page.getByText('10 characters left'));
    await box.fill('x'.repeat(max + 1));
    await see(alice.page.getByText('1 character over the limit'));
    assert.equal(await alice.page.getByRole('button', { name: 'Send', exact: true }).isDisabled(), true, 'too long to send');
    await box.fill('');
  });

  it('attaches a photo with the file picker and both sides see it', async () => {
    const picker = alice.page.waitForEvent('filechooser');
    await alice.page.getByRole('button', { name: 'Add photo, GIF or video' }).click();
    await (await picker).setFiles(fileURLToPath(new URL('../../../crates/server/tests/fixtures/gps.jpg', import.meta.url)));
    await see(alice.page.locator('.attachment', { hasText: 'gps.jpg' }));
    const box = alice.page.getByRole('textbox', { name: 'Message text' });
    await box.fill('A photo');
    await until(() => alice.page.getByRole('button', { name: 'Send', exact: true }).isEnabled(), 'the upload to finish');
    await box.press('Enter');
    const photo = message(bob.page, 'A photo').locator('img');
    await see(photo);
    // Bob was reading back through history: photos load as they come into view.
    await photo.scrollIntoViewIfNeeded();
    await until(() => photo.evaluate((img) => img.complete && img.naturalWidth > 0), 'the photo to load for Bob');
  });

  it('attaches a GIF dropped on the composer', async () => {
    // A real drop event carrying a real file, as the browser makes one from a drag.
    const gif = 'R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==';
    await alice.page.locator('.composer').evaluate((composer, data) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], 'dot.gif', { type: 'image/gif' }));
      composer.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      composer.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, gif);
    await see(alice.page.locator('.attachment', { hasText: 'dot.gif' }));
    const send = alice.page.getByRole('button', { name: 'Send', exact: true });
    await until(() => send.isEnabled(), 'the GIF upload to finish');
    await send.click();
    await see(bob.page.locator('.timeline .msg img[alt="GIF"]'));
  });

  it('attaches a video larger than one part, uploaded in parts of the server’s size', async () => {
    // The suite's server takes parts of a few kilobytes, so this small clip goes in several.
    const { media_part_bytes: part } = await (await fetch(`${BASE}/api/v1/limits`)).json();
    const clip = fileURLToPath(new URL('../../../crates/server/tests/fixtures/clip.mp4', import.meta.url));
    assert.ok(statSync(clip).size > part, 'the clip needs more than one part');
    const parts = [];
    alice.page.on('request', (r) => { if (/\/media\/uploads\/\d+\/parts\//.test(r.url())) parts.push(r.url()); });
    const picker = alice.page.waitForEvent('filechooser');
    await alice.page.getByRole('button', { name: 'Add photo, GIF or video' }).click();
    await (await picker).setFiles(clip);
    const box = alice.page.getByRole('textbox', { name: 'Message text' });
    await box.fill('A clip');
    await until(() => alice.page.getByRole('button', { name: 'Send', exact: true }).isEnabled(), 'the upload to finish');
    assert.equal(parts.length, Math.ceil(statSync(clip).size / part));
    await box.press('Enter');
    await see(message(bob.page, 'A clip').locator('video'));
  });

  it('reports a message', async () => {
    await messageAction(bob.page, 'Party 🥳', 'Report message');
    const dialog = bob.page.getByRole('dialog', { name: 'Report message' });
    await dialog.getByRole('radio', { name: 'It’s spam' }).check();
    await dialog.getByRole('button', { name: 'Report' }).click();
    await see(bob.page.getByText('Thanks. Your report was sent.'));
  });

  it('logged no errors in either page', () => {
    assert.deepEqual(alice.errors.filter((e) => !e.includes('ERR_INTERNET_DISCONNECTED')), []);
    assert.deepEqual(bob.errors, []);
  });
});
