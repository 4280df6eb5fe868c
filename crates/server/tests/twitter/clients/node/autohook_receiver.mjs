// twitter-autohook's webhook receiver, as a bot written for Twitter's Account Activity API runs
// it. Autohook cannot register through Postern (it calls Twitter's host), so the test registers
// this receiver's URL through Postern's API; the receiver itself is autohook's own server: it
// answers the CRC with the consumer secret, checks each delivery's signature, and takes only
// bodies sent with exactly `Content-Type: application/json`.
//
// Prints `listening <port>` once it listens, then one line per event it emits: the event's
// JSON. Exits non-zero if autohook reports anything (a signature it could not validate).
//
// Environment: CONSUMER_KEY, CONSUMER_SECRET, ACCESS_TOKEN, ACCESS_TOKEN_SECRET (the app's and
// its owner's), PORT.

import autohook from 'twitter-autohook';

const { Autohook } = autohook;
const env = process.env;
for (const name of ['CONSUMER_KEY', 'CONSUMER_SECRET', 'ACCESS_TOKEN', 'ACCESS_TOKEN_SECRET', 'PORT']) {
  if (!env[name]) {
    console.error(`autohook receiver: ${name} is not set`);
    process.exit(2);
  }
}

// Autohook reports a signature that does not validate (or a missing one) on the console and
// goes on: here anything it reports fails.
const complain = console.error;
console.error = (...args) => {
  complain('autohook:', ...args);
  process.exit(3);
};

const hook = new Autohook({
  consumer_key: env.CONSUMER_KEY,
  consumer_secret: env.CONSUMER_SECRET,
  token: env.ACCESS_TOKEN,
  token_secret: env.ACCESS_TOKEN_SECRET,
  env: 'dev',
  port: Number(env.PORT),
});
hook.on('event', (event) => {
  process.stdout.write(`${JSON.stringify(event)}\n`);
});
hook.startServer();
hook.server.on('listening', () => process.stdout.write(`listening ${env.PORT}\n`));
