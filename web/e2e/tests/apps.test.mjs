// Apps (issue 17) as people see them: a developer makes an app and sees its secrets once; a
// person authorizes an app on the consent page (OAuth 1.0a with a callback and with a PIN,
// OAuth 2.0 with PKCE), sees it among their connected apps and revokes it, after which its
// tokens get 401 on both the v1.1 and the v2 API.

import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { BASE, apiCall, apiUser, gone, launch, person, see, signUp, until, shootAll } from '../lib.mjs';

// OAuth 1.0a as a client signs (RFC 5849), enough for the test to play the app.
const enc = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function oauthHeader(method, url, params, keys) {
  const oauth = {
    oauth_consumer_key: keys.key,
    oauth_nonce: randomBytes(16).toString('hex'),
    oauth_signature_method: 'HMAC-SHA1',
    oauth_timestamp: String(Math.floor(Date.now() / 1000)),
    oauth_version: '1.0',
    ...(keys.token ? { oauth_token: keys.token } : {}),
  };
  const pairs = [...Object.entries(params), ...Object.entries(oauth)].map(([k, v]) => [enc(k), enc(v)])
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1));
  const base = [method, enc(url), enc(pairs.map(([k, v]) => `${k}=${v}`).join('&'))].join('&');
  const signature = createHmac('sha1', `${enc(keys.secret)}&${enc(keys.tokenSecret || '')}`).update(base).digest('base64');
  return `OAuth ${Object.entries({ ...oauth, oauth_signature: signature }).map(([k, v]) => `${k}="${enc(v)}"`).join(', ')}`;
}

/** A signed request: `form` as a form body for POST, or the query for GET. */
async function signed(method, path, form, keys) {
  const url = `${BASE}${path}`;
  const query = method === 'GET' && Object.keys(form).length ? `?${new URLSearchParams(form)}` : '';
  const response = await fetch(url + query, {
    method,
    headers: {
      authorization: oauthHeader(method, url, form, keys),
      ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    body: method === 'POST' ? new URLSearchParams(form).toString() : undefined,
  });
  return { status: response.status, text: await response.text() };
}

async function requestToken(keys, callback) {
  const r = await signed('POST', '/oauth/request_token', { oauth_callback: callback }, keys);
  assert.equal(r.status, 200, r.text);
  const form = new URLSearchParams(r.text);
  return { ...keys, token: form.get('oauth_token'), tokenSecret: form.get('oauth_token_secret') };
}

async function bearerGet(token, path) {
  const response = await fetch(`${BASE}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return response.status;
}

describe('apps', () => {
  let browser;
  let carol;
  let developer;
  let made;
  const callback = `${BASE}/messages`;

  before(async () => {
    browser = await launch();
    carol = await person(browser, 'carol');
    carol.name = 'Carolina Montgomery-Fitzgerald';
    await signUp(carol);
    developer = await apiUser('builder');
    made = await apiCall(developer.token, 'POST', '/apps', {
      name: 'Helpdesk Assistant for Teams', callback_urls: [callback], website_url: 'https://helpdesk-assistant.example/about',
    });
  });

  after(async () => {
    await browser?.close();
  });

  it('makes an app and shows its secrets once', async () => {
    const { page } = carol;
    await page.goto(`${BASE}/settings`);
    await page.getByRole('link', { name: 'Your apps' }).click();
    await see(page.getByRole('heading', { name: 'Your apps' }));
    await page.getByRole('textbox', { name: 'Name' }).fill('My support bot with a long name');
    await page.getByLabel('Callback URLs').fill('https://bot.example/oauth/callback/with/a/long/path\nmyapp://done');
    await page.getByRole('button', { name: 'Create app' }).click();
    const dialog = page.getByRole('dialog', { name: 'My support bot with a long name is ready' });
    await see(dialog);
    const secret = await dialog.locator('dd', { has: page.getByRole('button', { name: 'Copy Consumer secret' }) }).locator('code').textContent();
    assert.ok(secret.length > 30, `a consumer secret: ${secret}`);
    await shootAll(page, 'apps/secrets');
    await dialog.getByRole('button', { name: 'Done' }).click();
    // The dialog leaves the page on its close event, a moment after the click.
    await gone(dialog);
    await see(page.getByRole('listitem').filter({ hasText: 'My support bot with a long name' }));
    assert.equal(await page.getByText(secret).count(), 0, 'the secret is not on the page after the dialog');
    await shootAll(page, 'apps/developer-apps');
    // A refusal stands beside its field.
    await page.getByRole('textbox', { name: 'Name' }).fill('x');
    await page.getByLabel('Callback URLs').fill('not a url');
    await page.getByRole('button', { name: 'Create app' }).click();
    await see(page.locator('.field-error', { hasText: /absolute URL/ }));
    assert.equal(carol.errors.length, 0, carol.errors.join('\n'));
  });

  it('authorizes an app by OAuth 1.0a and OAuth 2.0, and revoking ends both', async () => {
    const { page } = carol;
    const keys = { key: made.consumer_key, secret: made.consumer_secret };

    // OAuth 1.0a: Twitter's address leads to the consent page, which goes back to the app.
    const request = await requestToken(keys, callback);
    await page.goto(`${BASE}/oauth/authorize?oauth_token=${enc(request.token)}`);
    await see(page.getByRole('heading', { name: /Helpdesk Assistant for Teams wants to use your account/ }));
    await see(page.getByText('Send and manage your Direct Messages'));
    await see(page.getByText(`@${developer.screenName}`, { exact: false }));
    await shootAll(page, 'apps/consent-oauth1');
    await page.getByRole('button', { name: 'Authorize app' }).click();
    await until(() => new URL(page.url()).searchParams.get('oauth_verifier'), 'the callback with a verifier');
    const back = new URL(page.url()).searchParams;
    assert.equal(back.get('oauth_token'), request.token);
    const exchanged = await signed('POST', '/oauth/access_token', { oauth_verifier: back.get('oauth_verifier') }, request);
    assert.equal(exchanged.status, 200, exchanged.text);
    const access = new URLSearchParams(exchanged.text);
    const v1 = { ...keys, token: access.get('oauth_token'), tokenSecret: access.get('oauth_token_secret') };
    const me = await signed('GET', '/1.1/account/verify_credentials.json', {}, v1);
    assert.equal(me.status, 200, me.text);
    assert.equal(JSON.parse(me.text).screen_name, carol.screenName);

    // OAuth 2.0 with PKCE, at X's own address.
    const verifier = randomBytes(48).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const query = new URLSearchParams({
      response_type: 'code', client_id: made.client_id, redirect_uri: callback, state: 'xyz',
      scope: 'tweet.read users.read dm.read dm.write offline.access', code_challenge: challenge, code_challenge_method: 'S256',
    });
    await page.goto(`${BASE}/i/oauth2/authorize?${query}`);
    await see(page.getByText('Stay connected until you revoke access'));
    await shootAll(page, 'apps/consent-oauth2');
    await page.getByRole('button', { name: 'Authorize app' }).click();
    await until(() => new URL(page.url()).searchParams.get('code'), 'the redirect with a code');
    assert.equal(new URL(page.url()).searchParams.get('state'), 'xyz');
    const tokenResponse = await fetch(`${BASE}/2/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code', code: new URL(page.url()).searchParams.get('code'),
        redirect_uri: callback, code_verifier: verifier, client_id: made.client_id,
      }),
    });
    const tokens = await tokenResponse.json();
    assert.equal(tokenResponse.status, 200, JSON.stringify(tokens));
    assert.equal(await bearerGet(tokens.access_token, '/2/users/me'), 200);

    // Connected apps: one entry, every scope granted; Revoke ends every credential.
    await page.goto(`${BASE}/settings`);
    await page.getByRole('link', { name: 'Connected apps' }).click();
    const row = page.getByRole('listitem').filter({ hasText: 'Helpdesk Assistant for Teams' });
    await see(row);
    await see(row.getByText('Send and manage your Direct Messages'));
    await shootAll(page, 'apps/connected-apps');
    await row.getByRole('button', { name: 'Revoke access for Helpdesk Assistant for Teams' }).click();
    await see(page.getByRole('dialog', { name: 'Revoke Helpdesk Assistant for Teams?' }));
    await shootAll(page, 'apps/revoke-dialog');
    await page.getByRole('button', { name: 'Revoke access', exact: true }).click();
    await see(page.getByText('You haven’t authorized any apps.'));
    const after = await signed('GET', '/1.1/account/verify_credentials.json', {}, v1);
    assert.equal(after.status, 401, after.text);
    assert.equal(await bearerGet(tokens.access_token, '/2/users/me'), 401);
    assert.equal(carol.errors.length, 0, carol.errors.join('\n'));
  });

  it('shows a PIN for an app with nowhere to send you back, and says when a link is bad', async () => {
    const { page } = carol;
    const keys = { key: made.consumer_key, secret: made.consumer_secret };
    const request = await requestToken(keys, 'oob');
    await page.goto(`${BASE}/oauth/authorize?oauth_token=${enc(request.token)}`);
    await page.getByRole('button', { name: 'Authorize app' }).click();
    const pin = await see(page.locator('.consent-pin'));
    const digits = (await pin.textContent()).trim();
    assert.match(digits, /^\d{7}$/);
    await shootAll(page, 'apps/consent-pin');
    const exchanged = await signed('POST', '/oauth/access_token', { oauth_verifier: digits }, request);
    assert.equal(exchanged.status, 200, exchanged.text);

    // Used, or made up: the page says so instead of asking.
    await page.goto(`${BASE}/oauth/authorize?oauth_token=${enc(request.token)}`);
    await see(page.getByRole('heading', { name: 'This authorization link has expired' }));
    await page.goto(`${BASE}/i/oauth2/authorize?response_type=code&client_id=${enc(made.client_id)}&redirect_uri=${enc('https://evil.example/')}&scope=dm.read&state=s&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`);
    await see(page.getByRole('heading', { name: 'This app’s request isn’t valid' }));
    await see(page.getByText(/callback URLs/));
    await shootAll(page, 'apps/consent-invalid');

    // Cancel goes back to the app with access_denied.
    const query = new URLSearchParams({
      response_type: 'code', client_id: made.client_id, redirect_uri: callback, state: 'st',
      scope: 'users.read', code_challenge: 'b'.repeat(43), code_challenge_method: 'plain',
    });
    await page.goto(`${BASE}/i/oauth2/authorize?${query}`);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await until(() => new URL(page.url()).searchParams.get('error'), 'the redirect with an error');
    assert.equal(new URL(page.url()).searchParams.get('error'), 'access_denied');
    assert.equal(carol.errors.length, 0, carol.errors.join('\n'));
  });
});
