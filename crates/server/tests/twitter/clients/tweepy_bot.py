"""A DM bot's calls, written with tweepy's v1.1 `API` and v2 `Client` as they would be for Twitter, run against
Postern over TLS. Only the host differs. Exits non-zero (with the reason) if any call does not
behave as it does on Twitter.

Environment: POSTERN_HOST (host:port), CONSUMER_KEY, CONSUMER_SECRET, ACCESS_TOKEN,
ACCESS_TOKEN_SECRET (the bot's), FRIEND_ID (follows the bot), BLOCKER_ID (blocks the bot),
OTHER_ID (follows the bot),
REQUESTS_CA_BUNDLE (the server's certificate), PHOTO (a 64×48 PNG).
"""

import os
import sys

import requests
import tweepy


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

print("tweepy: every call behaved")
