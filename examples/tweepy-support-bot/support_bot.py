"""A customer-support DM bot, written as it was for Twitter: tweepy for the API calls, the
Account Activity API for incoming messages (a webhook that answers the CRC and checks each
delivery's signature). Pointed at Postern by its host alone.

It registers its webhook, subscribes its own account, and then answers each message it
receives: a greeting with quick replies, the order number it asks for, and a goodbye. It leaves
alone messages it sent itself (they come to its webhook too).

Environment:
  TWITTER_HOST          the API's host (api.twitter.com; for Postern, its host:port)
  CONSUMER_KEY, CONSUMER_SECRET, ACCESS_TOKEN, ACCESS_TOKEN_SECRET
                        the app's keys and the bot account's tokens
  WEBHOOK_URL           where Postern (or Twitter) reaches this bot, e.g. https://bot.example/webhook
  PORT                  the port this bot listens on (8000)
  ENV_NAME              the Account Activity environment (dev)
  REQUESTS_CA_BUNDLE    a certificate to trust, for a server with its own
"""

import base64
import hashlib
import hmac
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import tweepy
from requests_oauthlib import OAuth1Session

env = os.environ
HOST = env.get("TWITTER_HOST", "api.twitter.com")
CONSUMER_SECRET = env["CONSUMER_SECRET"]
ENV_NAME = env.get("ENV_NAME", "dev")

auth = tweepy.OAuth1UserHandler(
    env["CONSUMER_KEY"], CONSUMER_SECRET, env["ACCESS_TOKEN"], env["ACCESS_TOKEN_SECRET"]
)
api = tweepy.API(auth, host=HOST, upload_host=HOST)
# tweepy has no Account Activity calls: they are signed requests, as Twitter's docs show them.
oauth = OAuth1Session(
    env["CONSUMER_KEY"], CONSUMER_SECRET, env["ACCESS_TOKEN"], env["ACCESS_TOKEN_SECRET"]
)
ACTIVITY = f"https://{HOST}/1.1/account_activity/all/{ENV_NAME}"

MENU = [
    {"label": "Where is my order?", "description": "Track a parcel", "metadata": "order"},
    {"label": "Talk to a person", "description": "Someone from the team", "metadata": "person"},
]


def signature(message: bytes) -> str:
    digest = hmac.new(CONSUMER_SECRET.encode(), message, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def answer(sender: str, text: str, metadata):
    """What the bot says to a customer's message."""
    if metadata == "order":
        api.send_direct_message(sender, "Sure! What is your order number?")
    elif metadata == "person":
        api.send_direct_message(sender, "Someone from the team will answer here shortly.")
    elif text.strip().upper().startswith("A-"):
        api.send_direct_message(sender, f"Order {text.strip().upper()} left our warehouse today.")
    else:
        api.send_direct_message(sender, "Hi! I'm the support bot. How can I help?",
                                quick_reply_options=MENU)


class Webhook(BaseHTTPRequestHandler):
    me = None

    def do_GET(self):
        # The CRC: prove we hold the consumer secret.
        query = parse_qs(urlsplit(self.path).query)
        token = query.get("crc_token", [""])[0]
        body = json.dumps({"response_token": signature(token.encode())}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if not hmac.compare_digest(self.headers.get("x-twitter-webhooks-signature", ""), signature(body)):
            self.send_response(401)
            self.end_headers()
            return
        self.send_response(200)
        self.end_headers()
        event = json.loads(body)
        for dm in event.get("direct_message_events", []):
            create = dm["message_create"]
            if create["sender_id"] == Webhook.me:
                continue
            data = create["message_data"]
            metadata = (data.get("quick_reply_response") or {}).get("metadata")
            answer(create["sender_id"], data["text"], metadata)
            print(f"answered {create['sender_id']}", flush=True)

    def log_message(self, *args):
        pass


def main():
    Webhook.me = api.verify_credentials().id_str
    server = ThreadingHTTPServer(("127.0.0.1", int(env.get("PORT", "8000"))), Webhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # Register (the CRC reaches the server just started), then subscribe the bot's account.
    hooks = oauth.get(f"{ACTIVITY}/webhooks.json").json()
    for hook in hooks:
        oauth.delete(f"{ACTIVITY}/webhooks/{hook['id']}.json")
    made = oauth.post(f"{ACTIVITY}/webhooks.json", params={"url": env["WEBHOOK_URL"]})
    if made.status_code != 200:
        sys.exit(f"registering the webhook: {made.status_code} {made.text}")
    subscribed = oauth.post(f"{ACTIVITY}/subscriptions.json")
    if subscribed.status_code != 204:
        sys.exit(f"subscribing: {subscribed.status_code} {subscribed.text}")
    print(f"ready as {Webhook.me}", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
