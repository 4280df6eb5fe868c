"""A DM bot's calls, written with tweepy's v1.1 `API` and v2 `Client` as they would be for Twitter, run against
Postern over TLS. Only the host differs. Exits non-zero (with the reason) if any call does not
behave as it does on Twitter.

Then the bot's app signs carol in, as a web app would: OAuth 1.0a's three legs with
`OAuth1UserHandler`, and OAuth 2.0's authorization code with PKCE (then a refresh and a
revocation) with `OAuth2UserHandler`. Carol's answers on the consent page are the calls that
page makes.

Environment: POSTERN_HOST (host:port), CONSUMER_KEY, CONSUMER_SECRET, ACCESS_TOKEN,
ACCESS_TOKEN_SECRET (the bot's), FRIEND_ID (follows the bot), BLOCKER_ID (blocks the bot),
OTHER_ID (follows the bot), CLIENT_ID, CLIENT_SECRET (the app's OAuth 2.0 client),
CALLBACK_URL (registered on the app), FRIEND_SESSION (carol's session, for the consent page),
REQUESTS_CA_BUNDLE (the server's certificate), PHOTO (a 64×48 PNG).
"""

import os
import sys
from urllib.parse import parse_qs, urlsplit

import requests
import tweepy
from oauthlib.oauth2 import OAuth2Error


def check(condition, what):
    if not condition:
        sys.exit(f"tweepy: {what}")


env = os.environ
host = env["POSTERN_HOST"]
auth = tweepy.OAuth1UserHandler(
    env["CONSUMER_KEY"], env["CONSUMER_SECRET"], env["ACCESS_TOKEN"], env["ACCESS_TOKEN_SECRET"]
)
api = tweepy.API(auth, host=host, upload_host=host)
friend = env["FRIEND_ID"]

me = api.verify_credentials()
check(me.screen_name == "bot", f"verify_credentials: {me.screen_name}")
check(api.get_user(user_id=friend).screen_name == "carol", "get_user")

# A message with quick replies and a button, as tweepy builds it.
sent = api.send_direct_message(
    friend,
    "Hello from a tweepy bot #welcome",
    quick_reply_options=[
        {"label": "Orders", "description": "Where is my order", "metadata": "orders"},
        {"label": "A person", "description": "Talk to someone", "metadata": "human"},
    ],
    ctas=[{"type": "web_url", "label": "Help centre", "url": "https://help.example/start"}],
)
data = sent.message_create["message_data"]
check(data["text"] == "Hello from a tweepy bot #welcome", f"text: {data}")
check(data["quick_reply"]["options"][1]["metadata"] == "human", f"quick reply: {data}")
check(data["ctas"][0]["tco_url"].startswith("https://"), f"tco_url: {data}")
check(data["entities"]["hashtags"][0]["text"] == "welcome", f"entities: {data}")
check(sent.message_create["target"]["recipient_id"] == friend, "recipient_id")
check(isinstance(sent.id, str) and isinstance(sent.created_timestamp, str), "ids as strings")

api.indicate_direct_message_typing(friend)
for i in range(4):
    api.send_direct_message(friend, f"message {i}")

shown = api.get_direct_message(sent.id)
check(shown.id == sent.id, "get_direct_message")

# Pagination to the end, two at a time, as tweepy's dm_cursor mode does.
texts = [m.message_create["message_data"]["text"] for m in tweepy.Cursor(api.get_direct_messages, count=2).items()]
check(texts[:4] == ["message 3", "message 2", "message 1", "message 0"], f"pages: {texts}")
check(len(texts) == 6, f"all of them: {texts}")  # the friend's opening message too

api.mark_direct_message_read(shown.id, friend)
api.delete_direct_message(sent.id)
try:
    api.get_direct_message(sent.id)
    check(False, "a deleted message is still shown")
except tweepy.NotFound as e:
    check(34 in e.api_codes, f"deleted: {e.api_codes}")

# A refused message raises tweepy's exception for 403, with Twitter's code.
try:
    api.send_direct_message(env["BLOCKER_ID"], "hello?")
    check(False, "a blocked send went through")
except tweepy.Forbidden as e:
    check(349 in e.api_codes, f"blocked: {e.api_codes}")

try:
    api.send_direct_message(friend, "x" * 10001)
    check(False, "an over-long message went through")
except tweepy.Forbidden as e:
    check(354 in e.api_codes, f"too long: {e.api_codes}")

# Media: chunked (INIT, APPEND, FINALIZE) and whole, then a DM carrying each.
chunked = api.media_upload(env["PHOTO"], chunked=True, media_category="dm_image")
check(chunked.media_id_string, f"chunked upload: {chunked}")
with_photo = api.send_direct_message(
    friend, "a photo", attachment_type="media", attachment_media_id=chunked.media_id
)
attached = with_photo.message_create["message_data"]["attachment"]["media"]
check(attached["id_str"] == chunked.media_id_string, f"attachment: {attached}")
check(attached["media_url_https"].startswith("https://"), f"media url: {attached}")
whole = api.simple_upload(env["PHOTO"], media_category="dm_image")
check(whole.image["w"] == 64 and whole.image["h"] == 48, f"simple upload: {whole.image}")
api.send_direct_message(friend, "", attachment_type="media", attachment_media_id=whole.media_id)

# Rate-limit headers, as wait_on_rate_limit reads them.
check(api.last_response.headers.get("x-rate-limit-remaining") is not None, "rate-limit headers")

# tweepy's v2 `Client` hard-codes Twitter's host: a session that rewrites it, before the
# request is signed, is all it takes (twitter-clients.md).

class ToPostern(requests.Session):
    def request(self, method, url, *args, **kwargs):
        return super().request(method, url.replace("https://api.twitter.com", f"https://{host}"), *args, **kwargs)


client = tweepy.Client(
    consumer_key=env["CONSUMER_KEY"],
    consumer_secret=env["CONSUMER_SECRET"],
    access_token=env["ACCESS_TOKEN"],
    access_token_secret=env["ACCESS_TOKEN_SECRET"],
)
client.session = ToPostern()
check(client.get_me().data.username == "bot", "v2 get_me")
created = client.create_direct_message(participant_id=friend, text="Hello from tweepy's v2 Client")
check(created.data["dm_event_id"], f"v2 create: {created}")
events = client.get_direct_message_events(
    participant_id=friend, dm_event_fields=["sender_id", "created_at"], max_results=2
)
check(events.data[0].text == "Hello from tweepy's v2 Client", f"v2 lookup: {events.data}")
check(str(events.data[0].sender_id) == me.id_str, f"v2 sender: {events.data[0].sender_id}")
check(events.meta.get("next_token"), f"v2 pages: {events.meta}")
group = client.create_direct_message_conversation(text="A group", participant_ids=[friend, env["OTHER_ID"]])
check(group.data["dm_conversation_id"].isdigit(), f"v2 group: {group.data}")
try:
    client.create_direct_message(participant_id=env["BLOCKER_ID"], text="hello?")
    check(False, "v2: a blocked send went through")
except tweepy.Forbidden:
    pass


# Signing carol in. tweepy's handlers hard-code Twitter's addresses: a subclass changes the
# address and nothing else (twitter-clients.md).
callback = env["CALLBACK_URL"]
postern = f"https://{host}"


def consent(method, path, body=None, params=None):
    """A call the consent page makes for the person signed in (carol)."""
    r = requests.request(
        method,
        postern + path,
        params=params,
        json=body,
        headers={"Authorization": f"Bearer {env['FRIEND_SESSION']}"},
    )
    check(r.ok, f"consent page {method} {path}: {r.status_code} {r.text}")
    return r.json()


class PosternOAuth1(tweepy.OAuth1UserHandler):
    def _get_oauth_url(self, endpoint):
        return f"{postern}/oauth/{endpoint}"


# OAuth 1.0a, leg 1: a request token, and the link to send carol to.
signin = PosternOAuth1(env["CONSUMER_KEY"], env["CONSUMER_SECRET"], callback=callback)
link = signin.get_authorization_url(signin_with_twitter=True)
request_token = signin.request_token
check(link.startswith(f"{postern}/oauth/authenticate?oauth_token="), f"authorization url: {link}")
check(request_token.get("oauth_callback_confirmed") == "true", f"request token: {request_token}")

# Leg 2: carol opens it and allows the app.
page = requests.get(link, allow_redirects=False)
check(page.status_code in (302, 303), f"the authorization url: {page.status_code}")
token = request_token["oauth_token"]
asked = consent("GET", f"/api/v1/oauth/request_tokens/{token}")
check(asked["pin"] is False, f"consent page: {asked}")
back = consent("POST", f"/api/v1/oauth/request_tokens/{token}", {"allow": True}).get("redirect_to") or ""
check(back.startswith(callback + "?"), f"sent back to: {back}")
returned = parse_qs(urlsplit(back).query)
check(returned["oauth_token"] == [token], f"callback oauth_token: {back}")

# Leg 3, in the app's callback (another request): the request token saved, and the verifier.
at_callback = PosternOAuth1(env["CONSUMER_KEY"], env["CONSUMER_SECRET"], callback=callback)
at_callback.request_token = {"oauth_token": token, "oauth_token_secret": request_token["oauth_token_secret"]}
carol_key, carol_secret = at_callback.get_access_token(returned["oauth_verifier"][0])
carol_api = tweepy.API(
    tweepy.OAuth1UserHandler(env["CONSUMER_KEY"], env["CONSUMER_SECRET"], carol_key, carol_secret),
    host=host,
    upload_host=host,
)
carol = carol_api.verify_credentials()
check(carol.screen_name == "carol" and carol.id_str == friend, f"carol's verify_credentials: {carol.screen_name}")
try:
    at_callback.get_access_token(returned["oauth_verifier"][0])
    check(False, "a used verifier went through")
except tweepy.TweepyException as e:
    check("401" in str(e), f"used verifier: {e}")

# Out of band: carol types the PIN into the app.
oob = PosternOAuth1(env["CONSUMER_KEY"], env["CONSUMER_SECRET"], callback="oob")
oob_link = oob.get_authorization_url()
check(oob_link.startswith(f"{postern}/oauth/authorize?oauth_token="), f"oob authorization url: {oob_link}")
oob_token = oob.request_token["oauth_token"]
check(consent("GET", f"/api/v1/oauth/request_tokens/{oob_token}")["pin"] is True, "oob consent page")
pin = consent("POST", f"/api/v1/oauth/request_tokens/{oob_token}", {"allow": True}).get("pin") or ""
check(pin.isdigit(), f"PIN: {pin}")
oob.get_access_token(pin)
check(tweepy.API(oob, host=host).verify_credentials().screen_name == "carol", "PIN verify_credentials")


class PosternOAuth2(tweepy.OAuth2UserHandler):
    """`OAuth2UserHandler` with Postern's consent page and token endpoint."""

    def get_authorization_url(self):
        authorization_url, state = self.authorization_url(
            f"{postern}/i/oauth2/authorize",
            code_challenge=self._client.create_code_challenge(self._client.create_code_verifier(128), "S256"),
            code_challenge_method="S256",
        )
        return authorization_url

    def fetch_token(self, authorization_response):
        return super(tweepy.OAuth2UserHandler, self).fetch_token(
            f"{postern}/2/oauth2/token",
            authorization_response=authorization_response,
            auth=self.auth,
            include_client_id=True,
            code_verifier=self._client.code_verifier,
        )


# OAuth 2.0 with PKCE: the link to send carol to.
scopes = ["tweet.read", "users.read", "dm.read", "dm.write", "offline.access"]
oauth2 = PosternOAuth2(
    client_id=env["CLIENT_ID"], client_secret=env["CLIENT_SECRET"], redirect_uri=callback, scope=scopes
)
link = oauth2.get_authorization_url()
check(link.startswith(f"{postern}/i/oauth2/authorize?"), f"OAuth 2.0 authorization url: {link}")
check(requests.get(link).status_code == 200, "the OAuth 2.0 consent page")
query = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
asked = consent("GET", "/api/v1/oauth2/authorization", params=query)
check(sorted(s["name"] for s in asked["scopes"]) == sorted(scopes), f"OAuth 2.0 consent scopes: {asked}")
back = consent("POST", "/api/v1/oauth2/authorization", {**query, "allow": True}).get("redirect_to") or ""
check(back.startswith(callback + "?"), f"OAuth 2.0 sent back to: {back}")

# The app's callback: the code for tokens.
tokens = oauth2.fetch_token(back)
check(tokens.get("token_type") == "bearer" and tokens.get("expires_in") == 7200, f"fetch_token: {tokens}")
check(sorted(tokens["scope"]) == sorted(scopes), f"fetch_token scope: {tokens['scope']}")
check(tokens.get("refresh_token"), f"fetch_token refresh_token: {tokens}")
as_carol = tweepy.Client(tokens["access_token"])
as_carol.session = ToPostern()
check(as_carol.get_me(user_auth=False).data.username == "carol", "OAuth 2.0 get_me")
sent = as_carol.create_direct_message(participant_id=me.id_str, text="from carol, through OAuth 2.0", user_auth=False)
check(sent.data["dm_event_id"], f"OAuth 2.0 create_direct_message: {sent}")

# A refresh, as requests-oauthlib (under OAuth2UserHandler) does it: a new pair, the old refresh
# token used up.
token_url = f"{postern}/2/oauth2/token"
refreshed = oauth2.refresh_token(token_url, refresh_token=tokens["refresh_token"], auth=oauth2.auth)
check(refreshed["access_token"] != tokens["access_token"], "refresh_token: the same access token")
check(refreshed.get("refresh_token") not in (None, tokens["refresh_token"]), "refresh_token: not rotated")
renewed = tweepy.Client(refreshed["access_token"])
renewed.session = ToPostern()
check(renewed.get_me(user_auth=False).data.username == "carol", "refreshed get_me")
try:
    oauth2.refresh_token(token_url, refresh_token=tokens["refresh_token"], auth=oauth2.auth)
    check(False, "a used refresh token went through")
except OAuth2Error as e:  # oauthlib's exception for an OAuth error answer
    check(e.error == "invalid_request", f"used refresh token: {e!r}")

# Revocation (tweepy has no call for it): the token is then refused.
revoked = requests.post(
    f"{postern}/2/oauth2/revoke",
    data={"token": refreshed["access_token"], "token_type_hint": "access_token"},
    auth=oauth2.auth,
)
check(revoked.ok and revoked.json() == {"revoked": True}, f"revoke: {revoked.status_code} {revoked.text}")
try:
    renewed.get_me(user_auth=False)
    check(False, "a revoked token went through")
except tweepy.Unauthorized:
    pass

print("tweepy: every call behaved")
