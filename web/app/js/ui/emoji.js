// The emoji picker: a searchable grid of common emoji, each button named for screen readers.
// The set is small on purpose (what people use in DMs); any emoji can still be typed.

import { h } from '../dom.js';
import { openPopover, closePopover } from './popover.js';

const GROUPS = {
  Smileys: '😀 grinning|😃 smiley|😄 smile|😁 grin|😆 laughing|😅 sweat smile|🤣 rolling on the floor laughing|😂 tears of joy|🙂 slightly smiling|🙃 upside down|😉 wink|😊 blush|😇 innocent|🥰 smiling with hearts|😍 heart eyes|🤩 star struck|😘 kiss|😋 yum|😛 tongue|😜 winking tongue|🤪 zany|🤗 hug|🤭 hand over mouth|🤫 shush|🤔 thinking|🤐 zipper mouth|🤨 raised eyebrow|😐 neutral|😑 expressionless|😶 no mouth|😏 smirk|😒 unamused|🙄 eye roll|😬 grimace|😌 relieved|😔 pensive|😪 sleepy|😴 sleeping|😷 mask|🤒 thermometer|🤯 mind blown|🥳 party|😎 sunglasses|🤓 nerd|🧐 monocle|😕 confused|😟 worried|😮 open mouth|😲 astonished|🥺 pleading|😢 cry|😭 sob|😱 scream|😖 confounded|😩 weary|😤 triumph|😡 pout|😠 angry|🤬 cursing|💀 skull|💩 poop|🤡 clown|👻 ghost|👽 alien|🤖 robot',
  People: '👋 wave|🤚 raised back of hand|✋ raised hand|🖖 vulcan|👌 ok hand|🤌 pinched fingers|✌️ victory|🤞 crossed fingers|🤟 love you|🤘 rock on|🤙 call me|👈 point left|👉 point right|👆 point up|👇 point down|👍 thumbs up|👎 thumbs down|✊ fist|👊 punch|👏 clap|🙌 raised hands|👐 open hands|🤲 palms up|🤝 handshake|🙏 pray|💪 muscle|👀 eyes|🧠 brain|🫶 heart hands',
  Hearts: '❤️ red heart|🧡 orange heart|💛 yellow heart|💚 green heart|💙 blue heart|💜 purple heart|🖤 black heart|🤍 white heart|💔 broken heart|💕 two hearts|💖 sparkling heart|💯 hundred|💥 boom|💫 dizzy|💬 speech bubble|💤 zzz',
  Nature: '🐶 dog|🐱 cat|🐭 mouse|🦊 fox|🐻 bear|🐼 panda|🐨 koala|🐯 tiger|🦁 lion|🐮 cow|🐷 pig|🐸 frog|🐵 monkey|🐔 chicken|🐧 penguin|🐦 bird|🦄 unicorn|🐝 bee|🦋 butterfly|🐢 turtle|🐙 octopus|🌸 blossom|🌹 rose|🌻 sunflower|🌲 tree|🍀 clover|🌈 rainbow|☀️ sun|🌙 moon|⭐ star|🔥 fire|❄️ snowflake|🌊 wave water',
  Food: '🍏 green apple|🍎 apple|🍌 banana|🍉 watermelon|🍇 grapes|🍓 strawberry|🥑 avocado|🍕 pizza|🍔 burger|🍟 fries|🌮 taco|🍣 sushi|🍜 noodles|🍩 doughnut|🍪 cookie|🎂 birthday cake|🍫 chocolate|🍿 popcorn|☕ coffee|🍵 tea|🍺 beer|🍷 wine|🥂 cheers',
  Activity: '⚽ soccer|🏀 basketball|🏈 football|⚾ baseball|🎾 tennis|🏐 volleyball|🎮 video game|🎲 dice|🎯 bullseye|🎸 guitar|🎧 headphones|🎉 tada|🎊 confetti|🎁 gift|🏆 trophy|🥇 gold medal',
  Travel: '🚗 car|🚕 taxi|🚌 bus|🚲 bike|✈️ airplane|🚀 rocket|⛵ sailboat|🏠 house|🏖️ beach|🏔️ mountain|🗺️ map|⏰ alarm clock|📅 calendar',
  Objects: '📱 phone|💻 laptop|⌨️ keyboard|📷 camera|💡 bulb|📚 books|✏️ pencil|📌 pin|📎 paperclip|🔒 lock|🔑 key|🛠️ tools|💰 money bag|📦 package|✉️ envelope|📣 megaphone|🔔 bell',
  Symbols: '✅ check|❌ cross|❓ question|❗ exclamation|⚠️ warning|➕ plus|➖ minus|🔁 repeat|🆗 ok|🆕 new|🔴 red circle|🟢 green circle|🔵 blue circle|⬆️ up|⬇️ down|➡️ right|⬅️ left',
};

const ALL = Object.entries(GROUPS).map(([group, list]) => ({
  group,
  items: list.split('|').map((entry) => {
    const space = entry.indexOf(' ');
    return { emoji: entry.slice(0, space), name: entry.slice(space + 1) };
  }),
}));

export const QUICK_REACTIONS = ['❤️', '😂', '😮', '😢', '👍', '👎', '🔥'];

/** Opens the picker under `anchor`; `onPick(emoji)` for each choice (the picker stays open
 *  for the composer so several can be inserted, and closes for reactions). */
export function openEmojiPicker(anchor, onPick, { keepOpen = false, label = 'Emoji' } = {}) {
  const grid = h('div', { class: 'emoji-grid', role: 'group', 'aria-label': 'Emoji' });
  const search = h('input', {
    class: 'input search', type: 'search', placeholder: 'Search emoji', 'aria-label': 'Search emoji',
    oninput: () => fill(search.value.trim().toLowerCase()),
    onkeydown: (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        grid.querySelector('button')?.click();
      } else if (e.key === 'ArrowDown') {
        e.preventDefault();
        grid.querySelector('button')?.focus();
      }
    },
  });
  function fill(term) {
    grid.replaceChildren();
    for (const { group, items } of ALL) {
      const shown = term ? items.filter((i) => i.name.includes(term)) : items;
      if (!shown.length) continue;
      if (!term) grid.append(h('h3', {}, group));
      for (const { emoji, name } of shown) {
        grid.append(h('button', {
          type: 'button', title: name, 'aria-label': name,
          onclick: () => {
            onPick(emoji);
            if (!keepOpen) closePopover();
          },
        }, emoji));
      }
    }
    if (!grid.firstChild) grid.append(h('p', { class: 'muted' }, 'No emoji found'));
  }
  grid.addEventListener('keydown', (e) => {
    const buttons = [...grid.querySelectorAll('button')];
    const i = buttons.indexOf(document.activeElement);
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 8, ArrowUp: -8 }[e.key];
    if (step === undefined || i < 0) return;
    e.preventDefault();
    const next = i + step;
    if (next < 0) search.focus();
    else buttons[Math.min(next, buttons.length - 1)]?.focus();
  });
  fill('');
  const el = openPopover(anchor, [search, grid], { label, className: 'emoji-picker' });
  if (el) search.focus();
}
