// A DM bot's calls, written with twitter-api-v2 as they would be for Twitter, run against
// Postern over TLS. Only the host differs. Then the bot's app signs carol in, as a web app would:
// OAuth 1.0a's three legs (and a PIN), and OAuth 2.0's authorization code with PKCE, a refresh
// and a revocation; carol's answers on the consent page are the calls that page makes. Exits
// non-zero (with the reason) if any call does not behave as it does on Twitter; prints "every
// call behaved" when all of them did.
//
// Environment: POSTERN_BASE (https://host:port), CONSUMER_KEY, CONSUMER_SECRET, ACCESS_TOKEN,
// ACCESS_TOKEN_SECRET (the bot's, for its own app), CLIENT_ID, CLIENT_SECRET (the same app's
// OAuth 2.0 client), CALLBACK_URL (registered on the app), FRIEND_ID (carol: follows the bot, is
// followed by it, and sent it "hi bot"), FRIEND_SESSION (carol's session, for the consent page),
// BLOCKER_ID (blocks the bot), OTHER_ID (dave: follows the bot), PHOTO (a 64×48 PNG),
// NODE_EXTRA_CA_CERTS (the server's certificate). The bot must accept DMs from everyone, as
// Twitter requires of an account with welcome messages.

import { readFile } from 'node:fs/promises';
import {
  ApiResponseError,
  EUploadMimeType,
  TwitterApi,
  TwitterApiPluginResponseOverride,
} from 'twitter-api-v2';

const env = process.env;
const required = [
  'POSTERN_BASE', 'CONSUMER_KEY', 'CONSUMER_SECRET', 'ACCESS_TOKEN', 'ACCESS_TOKEN_SECRET',
  'CLIENT_ID', 'CLIENT_SECRET', 'CALLBACK_URL', 'FRIEND_ID', 'FRIEND_SESSION', 'BLOCKER_ID',
  'OTHER_ID', 'PHOTO',
];
for (const name of required) {
  if (!env[name]) {
    console.error(`twitter-api-v2: ${name} is not set`);
    process.exit(2);
  }
}
const base = env.POSTERN_BASE.replace(/\/+$/, '');
const postern = new URL(base);
const friend = env.FRIEND_ID;
const photoBytes = await readFile(env.PHOTO);

class Misbehaved extends Error {}

function check(condition, what) {
  if (!condition) {
    throw new Misbehaved(what);
  }
}

const show = value => JSON.stringify(value);
const sameSet = (a, b) => show([...a].sort()) === show([...b].sort());

/** Runs `call`, which must be refused with the library's ApiResponseError; returns that error. */
async function refused(call, what) {
  try {
    await call();
  } catch (e) {
    check(e instanceof ApiResponseError, `${what}: not an ApiResponseError: ${e}`);
    return e;
  }
  throw new Misbehaved(`${what}: went through`);
}

// Pointing the library at Postern. The sub-clients' prefixes cover the calls made relative to
// them; this plugin rewrites the absolute URLs the library hard-codes (OAuth, media upload, the
// current user), before the request is signed. The library also decides two things from X's
// host names alone, which a new host would change: bodies for upload.x.com's media/upload.json
// are multipart (`RequestParamHelpers.autoDetectBodyType`), and answers from api.x.com/oauth/
// are a form unless they say JSON (`RequestHandlerHelper.isFormEncodedEndpoint`). The plugin
// keeps both decisions as they are on X.
const twitterHosts = new Set([
  'x.com', 'api.x.com', 'upload.x.com', 'twitter.com', 'api.twitter.com', 'upload.twitter.com',
]);
const formEncodedAnswers = [];
const toPostern = {
  onBeforeRequestConfig({ url, params }) {
    if (twitterHosts.has(url.hostname)) {
      if (url.hostname === 'upload.x.com' && params.forceBodyMode === undefined) {
        params.forceBodyMode = url.pathname === '/1.1/media/upload.json' ? 'form-data' : 'json';
      }
      if (url.href.startsWith('https://api.x.com/oauth/')) {
        params.formEncodedAnswer = true;
      }
      params.url = base + url.pathname + url.search;
    } else if (url.origin !== postern.origin) {
      throw new Misbehaved(`a request would leave Postern: ${url.href}`);
    }
  },
  onAfterRequest({ params, response }) {
    if (params.formEncodedAnswer && typeof response.data === 'string') {
      formEncodedAnswers.push(response.headers['content-type']);
      return new TwitterApiPluginResponseOverride({
        ...response,
        data: Object.fromEntries(new URLSearchParams(response.data)),
      });
    }
  },
};
const settings = { plugins: [toPostern] };

function pointed(client) {
  client.v1.setPrefix(`${base}/1.1/`);
  client.v2.setPrefix(`${base}/2/`);
  return client;
}

/** A call the web app's consent page makes for the person signed in (carol). */
async function asCarol(method, path, body) {
  const response = await fetch(base + path, {
    method,
    headers: {
      authorization: `Bearer ${env.FRIEND_SESSION}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  check(response.ok, `consent page ${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** The person's browser opening `link` (an X address) on Postern. */
async function open(link) {
  const url = new URL(link);
  return await fetch(base + url.pathname + url.search, { redirect: 'manual' });
}

const app = { appKey: env.CONSUMER_KEY, appSecret: env.CONSUMER_SECRET };
const client = pointed(new TwitterApi(
  { ...app, accessToken: env.ACCESS_TOKEN, accessSecret: env.ACCESS_TOKEN_SECRET },
  settings,
));
const v1 = client.v1;
const v2 = client.v2;

async function users() {
  const me = await v1.verifyCredentials();
  check(me.screen_name === 'bot', `verifyCredentials: ${me.screen_name}`);
  check(typeof me.id_str === 'string', `verifyCredentials id_str: ${show(me)}`);
  const current = await client.currentUser();
  check(current.id_str === me.id_str, `currentUser: ${show(current)}`);
  const carol = await v1.user({ user_id: friend });
  check(carol.screen_name === 'carol', `v1 user: ${carol.screen_name}`);
  const both = await v1.users({ user_id: [friend, env.OTHER_ID] });
  check(sameSet(both.map(u => u.screen_name), ['carol', 'dave']), `v1 users: ${show(both)}`);
  return me;
}

async function directMessagesV1(me) {
  // A message with quick replies and a button.
  const sent = await v1.sendDm({
    recipient_id: friend,
    text: 'Hello from a twitter-api-v2 bot #welcome',
    quick_reply: {
      type: 'options',
      options: [
        { label: 'Orders', description: 'Where is my order', metadata: 'orders' },
        { label: 'A person', description: 'Talk to someone', metadata: 'human' },
      ],
    },
    ctas: [{ type: 'web_url', label: 'Help centre', url: 'https://help.example/start' }],
  });
  const event = sent.event;
  check(event?.type === 'message_create', `sendDm: ${show(sent)}`);
  const data = event.message_create.message_data;
  check(data.text === 'Hello from a twitter-api-v2 bot #welcome', `sendDm text: ${show(data)}`);
  check(data.quick_reply.options[1].metadata === 'human', `sendDm quick reply: ${show(data)}`);
  check(data.ctas[0].tco_url.startsWith('https://'), `sendDm tco_url: ${show(data)}`);
  check(data.entities.hashtags[0].text === 'welcome', `sendDm entities: ${show(data)}`);
  check(event.message_create.target.recipient_id === friend, `sendDm recipient: ${show(event)}`);
  check(event.message_create.sender_id === me.id_str, `sendDm sender: ${show(event)}`);
  check(
    typeof event.id === 'string' && typeof event.created_timestamp === 'string',
    `ids as strings: ${show(event)}`,
  );

  await v1.indicateDmTyping(friend);
  for (let i = 0; i < 4; i++) {
    await v1.sendDm({ recipient_id: friend, text: `message ${i}` });
  }

  const shown = await v1.getDmEvent(event.id);
  check(shown.event.id === event.id, `getDmEvent: ${show(shown)}`);
  check(shown.event.message_create.message_data.ctas[0].tco_url, `getDmEvent ctas: ${show(shown)}`);

  // Pagination to the end, two at a time.
  const paged = await v1.listDmEvents({ count: 2 });
  check(paged.events.length === 2, `listDmEvents first page: ${show(paged.data)}`);
  check(Number.isFinite(paged.rateLimit.remaining), `rate-limit headers: ${show(paged.rateLimit)}`);
  let pages = 1;
  while (!paged.done) {
    await paged.fetchNext(2);
    pages += 1;
    check(pages < 10, 'listDmEvents: the pages never end');
  }
  const texts = paged.events.map(e => e.message_create.message_data.text);
  check(
    show(texts.slice(0, 4)) === show(['message 3', 'message 2', 'message 1', 'message 0']),
    `listDmEvents pages: ${show(texts)}`,
  );
  check(texts.length === 6 && texts[5] === 'hi bot', `listDmEvents all of them: ${show(texts)}`);
  check(pages === 3, `listDmEvents: ${pages} pages of two for six events`);
  // As an async iterator, which asks for every page after the first with count=100.
  const iterated = [];
  for await (const e of await v1.listDmEvents({ count: 4 })) {
    iterated.push(e.id);
  }
  check(show(iterated) === show(paged.events.map(e => e.id)), `listDmEvents iterated: ${show(iterated)}`);

  // Carol's message, read.
  const fromCarol = paged.events.find(e => e.message_create.sender_id === friend);
  check(fromCarol, `carol's message: ${show(paged.events)}`);
  await v1.markDmAsRead(fromCarol.id, friend);

  await v1.deleteDm(event.id);
  const gone = await refused(() => v1.getDmEvent(event.id), 'getDmEvent of a deleted message');
  check(gone.code === 404 && gone.hasErrorCode(34), `deleted: ${gone.code} ${show(gone.data)}`);

  // A refused message: the library's exception, with Twitter's code.
  const blocked = await refused(
    () => v1.sendDm({ recipient_id: env.BLOCKER_ID, text: 'hello?' }),
    'sendDm to a user who blocks the bot',
  );
  check(blocked.code === 403 && blocked.hasErrorCode(349), `blocked: ${blocked.code} ${show(blocked.data)}`);
  check(blocked.errors[0].message, `blocked message: ${show(blocked.data)}`);
  const tooLong = await refused(
    () => v1.sendDm({ recipient_id: friend, text: 'x'.repeat(10001) }),
    'an over-long sendDm',
  );
  check(tooLong.code === 403 && tooLong.hasErrorCode(354), `too long: ${tooLong.code} ${show(tooLong.data)}`);
}

async function mediaV1() {
  // Chunked, several APPENDs (three at a time, as the library sends them), then a DM carrying
  // it. From a Buffer: from a path, the library reads every chunk into one shared buffer, which
  // the next read can overwrite while a plugin's asynchronous hook delays building the request.
  const full = await v1.uploadMedia(
    photoBytes,
    { mimeType: EUploadMimeType.Png, target: 'dm', chunkLength: 64 },
    true,
  );
  check(/^\d+$/.test(full.media_id_string), `uploadMedia: ${show(full)}`);
  check(full.image?.w === 64 && full.image.h === 48, `uploadMedia image: ${show(full)}`);
  const info = await v1.mediaInfo(full.media_id_string);
  check(info.media_id_string === full.media_id_string, `mediaInfo: ${show(info)}`);
  check(
    !info.processing_info || info.processing_info.state === 'succeeded',
    `mediaInfo state: ${show(info)}`,
  );
  const withPhoto = await v1.sendDm({
    recipient_id: friend,
    text: 'a photo',
    attachment: { type: 'media', media: { id: full.media_id_string } },
  });
  const media = withPhoto.event.message_create.message_data.attachment.media;
  check(media.id_str === full.media_id_string, `attachment: ${show(media)}`);
  check(media.media_url_https.startsWith('https://'), `attachment url: ${show(media)}`);
  const image = await v1.downloadDmImage(withPhoto.event);
  check(image.subarray(1, 4).toString() === 'PNG', `downloadDmImage: ${image.length} bytes`);

  // From a path, in one chunk.
  const again = await v1.uploadMedia(env.PHOTO, { target: 'dm' });
  await v1.sendDm({ recipient_id: friend, text: '', attachment: { type: 'media', media: { id: again } } });
}

async function welcomeMessages() {
  const first = await v1.newWelcomeDm('Support welcome', {
    text: 'Welcome! How can we help?',
    quick_reply: { type: 'options', options: [{ label: 'Orders', metadata: 'orders' }] },
  }).catch(e => {
    const closed = e instanceof ApiResponseError && e.hasErrorCode(214);
    throw closed ? new Misbehaved('newWelcomeDm: 214, as Twitter says when the bot does not accept DMs from '
      + 'everyone; the world this runs in must open them') : e;
  });
  const id = first.welcome_message.id;
  check(typeof id === 'string', `newWelcomeDm: ${show(first)}`);
  check(first.name === 'Support welcome', `newWelcomeDm name: ${show(first)}`);
  check(
    first.welcome_message.message_data.text === 'Welcome! How can we help?',
    `newWelcomeDm text: ${show(first)}`,
  );
  const shown = await v1.getWelcomeDm(id);
  check(shown.welcome_message.id === id, `getWelcomeDm: ${show(shown)}`);
  const updated = await v1.updateWelcomeDm(id, { text: 'Welcome back!' });
  const updatedData = updated.welcome_message.message_data;
  check(updatedData.text === 'Welcome back!', `updateWelcomeDm: ${show(updated)}`);
  check(!updatedData.quick_reply, `updateWelcomeDm replaces the whole message: ${show(updated)}`);

  const rule = (await v1.newWelcomeDmRule(id)).welcome_message_rule;
  check(rule.welcome_message_id === id, `newWelcomeDmRule: ${show(rule)}`);
  const ruleShown = await v1.getWelcomeDmRule(rule.id);
  check(ruleShown.welcome_message_rule.id === rule.id, `getWelcomeDmRule: ${show(ruleShown)}`);
  const rules = await v1.listWelcomeDmRules();
  check(rules.welcome_message_rules?.length === 1, `listWelcomeDmRules: ${show(rules)}`);

  const second = await v1.newWelcomeDm('Holiday welcome', { text: 'We are away until Monday' });
  const secondId = second.welcome_message.id;
  const listed = await v1.listWelcomeDms();
  check(sameSet(listed.welcomeMessages.map(w => w.id), [id, secondId]), `listWelcomeDms: ${show(listed.data)}`);

  // setWelcomeDm swaps the rule, deleting the welcome message the old rule named.
  const swapped = (await v1.setWelcomeDm(secondId)).welcome_message_rule;
  check(swapped.welcome_message_id === secondId, `setWelcomeDm: ${show(swapped)}`);
  const oldGone = await refused(() => v1.getWelcomeDm(id), 'getWelcomeDm of a deleted welcome message');
  check(oldGone.code === 404, `deleted welcome message: ${oldGone.code} ${show(oldGone.data)}`);
  const oldRuleGone = await refused(() => v1.getWelcomeDmRule(rule.id), 'getWelcomeDmRule of a deleted rule');
  check(oldRuleGone.code === 404, `deleted rule: ${oldRuleGone.code} ${show(oldRuleGone.data)}`);

  await v1.deleteWelcomeDmRule(swapped.id);
  await v1.deleteWelcomeDm(secondId);
  const noRules = await v1.listWelcomeDmRules();
  check(!noRules.welcome_message_rules?.length, `no rules left: ${show(noRules)}`);
  const noWelcome = await v1.listWelcomeDms();
  check(noWelcome.welcomeMessages.length === 0, `no welcome messages left: ${show(noWelcome.data)}`);
}

async function customProfiles() {
  // twitter-api-v2 has no custom-profile methods: a bot calls them with its generic ones, and
  // names the profile in sendDm's `custom_profile_id`, which it does support.
  const avatar = await v1.uploadMedia(env.PHOTO, { target: 'dm', shared: true });
  const created = await v1.post(
    'custom_profiles/new.json',
    { custom_profile: { name: 'Jon C, Support', avatar: { media: { id: avatar } } } },
    { forceBodyMode: 'json' },
  );
  const profile = created.custom_profile;
  check(typeof profile?.id === 'string' && profile.name === 'Jon C, Support', `custom_profiles/new: ${show(created)}`);
  check(profile.avatar.media.url.startsWith('https://'), `custom profile avatar: ${show(created)}`);
  const byId = { params: { id: profile.id } };
  const shown = await v1.get('custom_profiles/:id.json', undefined, byId);
  check(shown.custom_profile.id === profile.id, `custom_profiles/:id: ${show(shown)}`);
  const listed = await v1.get('custom_profiles/list.json');
  check(listed.custom_profiles.some(p => p.id === profile.id), `custom_profiles/list: ${show(listed)}`);
  const sent = await v1.sendDm({ recipient_id: friend, text: 'Jon here', custom_profile_id: profile.id });
  check(sent.event.message_create.custom_profile_id === profile.id, `sendDm custom_profile_id: ${show(sent)}`);
  await v1.delete('custom_profiles/destroy.json', { id: profile.id });
  await refused(() => v1.get('custom_profiles/:id.json', undefined, byId), 'a deleted custom profile');
}

async function directMessagesV2(me) {
  const { data: meV2 } = await v2.me();
  check(meV2.username === 'bot' && meV2.id === me.id_str, `v2.me: ${show(meV2)}`);
  const { data: carol } = await v2.user(friend);
  check(carol.username === 'carol', `v2.user: ${show(carol)}`);
  const { data: dave } = await v2.userByUsername('dave');
  check(dave.id === env.OTHER_ID, `v2.userByUsername: ${show(dave)}`);

  // The library types these answers as the bare pair; on the wire, and so at run time, they are
  // X's `{"data":{"dm_conversation_id","dm_event_id"}}`.
  const sent = await v2.sendDmToParticipant(friend, { text: 'Hello from the v2 client' });
  check(/^\d+$/.test(sent.data?.dm_event_id), `sendDmToParticipant: ${show(sent)}`);
  const oneToOne = sent.data.dm_conversation_id;
  check(sameSet(oneToOne.split('-'), [friend, me.id_str]), `1-1 conversation id: ${oneToOne}`);

  const group = await v2.createDmConversation({
    conversation_type: 'Group',
    participant_ids: [friend, env.OTHER_ID],
    message: { text: 'A group' },
  });
  const groupId = group.data?.dm_conversation_id;
  check(/^\d+$/.test(groupId), `createDmConversation: ${show(group)}`);
  const inGroup = await v2.sendDmInConversation(groupId, { text: 'Second in the group' });
  check(inGroup.data.dm_conversation_id === groupId, `sendDmInConversation: ${show(inGroup)}`);
  const inOneToOne = await v2.sendDmInConversation(oneToOne, { text: 'By conversation id' });
  check(inOneToOne.data.dm_conversation_id === oneToOne, `sendDmInConversation 1-1: ${show(inOneToOne)}`);

  const fields = { 'dm_event.fields': ['sender_id', 'created_at', 'dm_conversation_id', 'text'] };
  const ofGroup = await v2.listDmEventsOfConversation(groupId, { ...fields, event_types: 'MessageCreate' });
  check(
    show(ofGroup.events.map(e => e.text)) === show(['Second in the group', 'A group']),
    `listDmEventsOfConversation: ${show(ofGroup.data)}`,
  );
  check(
    ofGroup.events.every(e => e.sender_id === me.id_str && e.dm_conversation_id === groupId),
    `group events: ${show(ofGroup.data)}`,
  );

  // The 1-1 conversation, two at a time to the end.
  const withCarol = await v2.listDmEventsWithParticipant(friend, { ...fields, max_results: 2 });
  check(withCarol.meta.next_token, `listDmEventsWithParticipant pages: ${show(withCarol.meta)}`);
  check(withCarol.events[0].text === 'By conversation id', `listDmEventsWithParticipant: ${show(withCarol.data)}`);
  await withCarol.fetchLast();
  check(withCarol.done, 'listDmEventsWithParticipant: not done after fetchLast');
  const carolTexts = withCarol.events.map(e => e.text);
  check(
    carolTexts.includes('hi bot') && carolTexts.includes('Hello from the v2 client'),
    `listDmEventsWithParticipant to the end: ${show(carolTexts)}`,
  );
  check(!carolTexts.includes('A group'), `a group message in the 1-1 conversation: ${show(carolTexts)}`);

  const all = await v2.listDmEvents({ ...fields, expansions: ['sender_id'], 'user.fields': ['username'] });
  const everyText = all.events.map(e => e.text);
  check(everyText.includes('A group') && everyText.includes('hi bot'), `listDmEvents: ${show(everyText)}`);
  const carolsEvent = all.events.find(e => e.sender_id === friend);
  check(
    all.includes.userById(carolsEvent?.sender_id)?.username === 'carol',
    `listDmEvents includes: ${show(all.data.includes)}`,
  );

  // v2 media, attached to a v2 DM.
  const mediaId = await v2.uploadMedia(photoBytes, { media_type: 'image/png', media_category: 'dm_image' });
  check(/^\d+$/.test(mediaId), `v2.uploadMedia: ${mediaId}`);
  const withPhoto = await v2.sendDmToParticipant(friend, { text: 'a v2 photo', attachments: [{ media_id: mediaId }] });
  const latest = await v2.listDmEventsWithParticipant(friend, {
    'dm_event.fields': ['attachments', 'text'],
    expansions: ['attachments.media_keys'],
    'media.fields': ['type', 'width', 'height'],
    max_results: 1,
  });
  check(latest.events[0].id === withPhoto.data.dm_event_id, `v2 photo: ${show(latest.data)}`);
  const [mediaKey] = latest.events[0].attachments?.media_keys ?? [];
  const described = latest.includes.media.find(m => m.media_key === mediaKey);
  check(
    described?.type === 'photo' && described.width === 64 && described.height === 48,
    `v2 media include: ${show(latest.data)}`,
  );

  // Calls the library has no method for, with its generic ones.
  const byId = { params: { id: sent.data.dm_event_id } };
  const single = await v2.get('dm_events/:id', fields, byId);
  check(single.data.text === 'Hello from the v2 client', `GET dm_events/:id: ${show(single)}`);
  const deleted = await v2.delete('dm_events/:id', undefined, byId);
  check(deleted.data?.deleted === true, `DELETE dm_events/:id: ${show(deleted)}`);

  const blocked = await refused(
    () => v2.sendDmToParticipant(env.BLOCKER_ID, { text: 'hello?' }),
    'v2 sendDmToParticipant to a user who blocks the bot',
  );
  check(blocked.code === 403, `v2 blocked: ${blocked.code} ${show(blocked.data)}`);
  check(blocked.data?.title && blocked.data.detail && blocked.data.type, `v2 blocked problem: ${show(blocked.data)}`);
}

async function threeLeggedOAuth1() {
  const consumer = new TwitterApi(app, settings);
  const link = await consumer.generateAuthLink(env.CALLBACK_URL);
  check(link.oauth_callback_confirmed === 'true', `generateAuthLink: ${show(link)}`);
  check(link.oauth_token && link.oauth_token_secret, `generateAuthLink tokens: ${show(link)}`);
  check(
    formEncodedAnswers.at(-1)?.startsWith('application/x-www-form-urlencoded'),
    `request_token content type: ${formEncodedAnswers.at(-1)}`,
  );
  check(link.url.startsWith('https://api.x.com/oauth/authenticate?oauth_token='), `auth link: ${link.url}`);

  // Carol follows the link and allows the app.
  const page = await open(link.url);
  const location = page.headers.get('location') ?? '';
  check([302, 303].includes(page.status), `the auth link: ${page.status}`);
  check(location.includes(`oauth_token=${encodeURIComponent(link.oauth_token)}`), `the auth link: to ${location}`);
  const path = `/api/v1/oauth/request_tokens/${encodeURIComponent(link.oauth_token)}`;
  const asked = await asCarol('GET', path);
  check(asked.pin === false, `consent page: ${show(asked)}`);
  const back = (await asCarol('POST', path, { allow: true })).redirect_to;
  check(back?.startsWith(`${env.CALLBACK_URL}?`), `sent back to: ${back}`);
  const callback = new URL(back).searchParams;
  check(callback.get('oauth_token') === link.oauth_token, `callback oauth_token: ${back}`);

  // The app's callback.
  const requestClient = new TwitterApi(
    { ...app, accessToken: callback.get('oauth_token'), accessSecret: link.oauth_token_secret },
    settings,
  );
  const logged = await requestClient.login(callback.get('oauth_verifier'));
  check(logged.screenName === 'carol' && logged.userId === friend, `login: ${logged.screenName} ${logged.userId}`);
  const carol = pointed(logged.client);
  const verified = await carol.v1.verifyCredentials();
  check(verified.screen_name === 'carol' && verified.id_str === friend, `carol's verifyCredentials: ${show(verified)}`);
  const { data: carolV2 } = await carol.v2.me();
  check(carolV2.username === 'carol', `carol's v2.me: ${show(carolV2)}`);
  const replay = await refused(() => requestClient.login(callback.get('oauth_verifier')), 'login with a used verifier');
  check(replay.code === 401, `used verifier: ${replay.code} ${show(replay.data)}`);

  // Out of band: carol types the PIN into the app.
  const oob = await consumer.generateAuthLink('oob', { linkMode: 'authorize' });
  check(oob.url.startsWith('https://api.x.com/oauth/authorize?oauth_token='), `oob link: ${oob.url}`);
  const oobPath = `/api/v1/oauth/request_tokens/${encodeURIComponent(oob.oauth_token)}`;
  const oobAsked = await asCarol('GET', oobPath);
  check(oobAsked.pin === true, `oob consent page: ${show(oobAsked)}`);
  const { pin } = await asCarol('POST', oobPath, { allow: true });
  check(/^\d+$/.test(pin), `PIN: ${pin}`);
  const pinClient = new TwitterApi(
    { ...app, accessToken: oob.oauth_token, accessSecret: oob.oauth_token_secret },
    settings,
  );
  const byPin = await pinClient.login(pin);
  check(byPin.screenName === 'carol', `login with PIN: ${byPin.screenName}`);
  const pinVerified = await pointed(byPin.client).v1.verifyCredentials();
  check(pinVerified.screen_name === 'carol', `PIN client verifyCredentials: ${show(pinVerified)}`);

  // App-only authentication, with the same consumer keys: public reads, no DMs.
  const appOnly = pointed(await consumer.appLogin());
  check(appOnly.getActiveTokens().type === 'oauth2', `appLogin: ${show(appOnly.getActiveTokens())}`);
  const { data: carolForApp } = await appOnly.v2.user(friend);
  check(carolForApp.username === 'carol', `app-only v2.user: ${show(carolForApp)}`);
  const appOnlyDm = await refused(
    () => appOnly.v2.sendDmToParticipant(friend, { text: 'from no one' }),
    'an app-only sendDmToParticipant',
  );
  check([401, 403].includes(appOnlyDm.code), `app-only DM: ${appOnlyDm.code} ${show(appOnlyDm.data)}`);
}

async function oauth2WithPkce(me) {
  const oauth2 = new TwitterApi({ clientId: env.CLIENT_ID, clientSecret: env.CLIENT_SECRET }, settings);
  const scope = ['tweet.read', 'users.read', 'dm.read', 'dm.write', 'offline.access'];
  const link = oauth2.generateOAuth2AuthLink(env.CALLBACK_URL, { scope });
  check(link.url.startsWith('https://x.com/i/oauth2/authorize?'), `OAuth 2.0 link: ${link.url}`);

  // Carol follows the link and allows the app.
  const page = await open(link.url);
  check(page.status === 200, `the OAuth 2.0 consent page: ${page.status}`);
  const asked = new URL(link.url).searchParams;
  const consent = await asCarol('GET', `/api/v1/oauth2/authorization?${asked}`);
  check(sameSet(consent.scopes.map(s => s.name), scope), `OAuth 2.0 consent scopes: ${show(consent)}`);
  const answer = { ...Object.fromEntries(asked), allow: true };
  const back = (await asCarol('POST', '/api/v1/oauth2/authorization', answer)).redirect_to;
  check(back?.startsWith(`${env.CALLBACK_URL}?`), `OAuth 2.0 sent back to: ${back}`);
  const callback = new URL(back).searchParams;
  check(callback.get('state') === link.state, `state: ${back}`);

  // The app's callback.
  const login = () => oauth2.loginWithOAuth2({
    code: callback.get('code'),
    codeVerifier: link.codeVerifier,
    redirectUri: env.CALLBACK_URL,
  });
  const logged = await login();
  check(logged.refreshToken && logged.expiresIn > 0, `loginWithOAuth2: ${show({ ...logged, client: undefined })}`);
  check(sameSet(logged.scope, scope), `loginWithOAuth2 scope: ${show(logged.scope)}`);
  const carol = pointed(logged.client);
  const { data: carolV2 } = await carol.v2.me();
  check(carolV2.username === 'carol' && carolV2.id === friend, `OAuth 2.0 v2.me: ${show(carolV2)}`);
  const dm = await carol.v2.sendDmToParticipant(me.id_str, { text: 'from carol, through OAuth 2.0' });
  check(dm.data?.dm_event_id, `OAuth 2.0 sendDmToParticipant: ${show(dm)}`);
  const onV1 = await refused(() => carol.v1.verifyCredentials(), 'an OAuth 2.0 user token on v1.1');
  check([401, 403].includes(onV1.code), `OAuth 2.0 token on v1.1: ${onV1.code} ${show(onV1.data)}`);
  const codeReplay = await refused(login, 'loginWithOAuth2 with a used code');
  check([400, 401].includes(codeReplay.code), `used code: ${codeReplay.code} ${show(codeReplay.data)}`);

  const refreshed = await oauth2.refreshOAuth2Token(logged.refreshToken);
  check(refreshed.accessToken !== logged.accessToken, 'refreshOAuth2Token: the same access token');
  check(
    refreshed.refreshToken && refreshed.refreshToken !== logged.refreshToken,
    'refreshOAuth2Token: the refresh token did not rotate',
  );
  const renewed = pointed(refreshed.client);
  const { data: again } = await renewed.v2.me();
  check(again.username === 'carol', `refreshed v2.me: ${show(again)}`);
  const rotated = await refused(
    () => oauth2.refreshOAuth2Token(logged.refreshToken),
    'refreshOAuth2Token with a used refresh token',
  );
  check([400, 401].includes(rotated.code), `used refresh token: ${rotated.code} ${show(rotated.data)}`);

  const revoked = await oauth2.revokeOAuth2Token(refreshed.accessToken, 'access_token');
  check(revoked?.revoked === true, `revokeOAuth2Token: ${show(revoked)}`);
  const after = await refused(() => renewed.v2.me(), 'v2.me with a revoked token');
  check(after.code === 401, `revoked token: ${after.code} ${show(after.data)}`);
}

async function main() {
  const me = await users();
  await directMessagesV1(me);
  await mediaV1();
  await welcomeMessages();
  await customProfiles();
  await directMessagesV2(me);
  await threeLeggedOAuth1();
  await oauth2WithPkce(me);
  console.log('twitter-api-v2: every call behaved');
}

main().catch(e => {
  if (e instanceof Misbehaved) {
    console.error(`twitter-api-v2: ${e.message}`);
  } else if (e instanceof ApiResponseError) {
    const { method, path } = e.request ?? {};
    console.error(`twitter-api-v2: ${method} ${path} was refused: ${e.code} ${show(e.data)}`);
    console.error(e.stack);
  } else {
    console.error('twitter-api-v2: unexpected failure:', e);
  }
  process.exit(1);
});
