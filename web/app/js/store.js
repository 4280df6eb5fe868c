// The page's one store: the people, conversations, open conversations' events and your settings
// the server has shown this page, kept current by the stream through one reducer (`reduce`), and whoever
// shows them subscribes. A stream event that touches a conversation refetches it once, for
// every view at once (the server's view of unread counts, boxes and read marks is the truth),
// and remembers the people in it on the way; messages, edits, deletes, reactions and joins
// change the events of a conversation that is open (timelines.js); `relationship.changed`
// refetches the person it names.
//
// State is replaced, never changed in place: a conversation that changed is a new object, so
// keyed rendering redraws exactly the rows it touches.

import { get, q } from './api.js';
import { eventAction, withEvent, withoutMessage, withPage, withReaction } from './timelines.js';

/** How long a burst of events for one conversation is gathered before it is refetched. */
const COALESCE_MS = 60;

export function createStore() {
  const conversations = new Map(); // id -> conversation
  const people = new Map(); // id -> user (with `relationship` once a profile was fetched)
  const timelines = new Map(); // conversation id -> its events, oldest first, while open
  let settings = null; // yours, once fetched
  const listeners = new Set();
  const refetching = new Map(); // id -> timer

  function emit(change) {
    for (const fn of listeners) fn(change);
  }

  /** The one reducer: an action in, the state replaced, subscribers told what changed. */
  function reduce(action) {
    switch (action.type) {
      case 'person': {
        const before = people.get(action.user.id);
        // A participant carries no relationship: what a profile fetch learned stays.
        const after = before ? { ...before, ...action.user } : action.user;
        if (before && JSON.stringify(before) === JSON.stringify(after)) break;
        people.set(after.id, after);
        emit({ type: 'person', id: after.id, person: after });
        break;
      }
      case 'conversation':
        for (const user of action.conversation.participants) reduce({ type: 'person', user });
        conversations.set(action.conversation.id, action.conversation);
        emit({ type: 'conversation', id: action.conversation.id, conversation: action.conversation });
        break;
      case 'events.page': {
        // The newest page starts a timeline; an older one is merged into it.
        const known = action.older ? timelines.get(action.id) || [] : [];
        setEvents(action.id, withPage(known, action.events));
        break;
      }
      case 'event': {
        const events = timelines.get(action.id);
        if (!events || (action.onlyKnown && !events.some((e) => e.id === action.event.id))) break;
        setEvents(action.id, withEvent(events, action.event));
        break;
      }
      case 'event.gone':
        if (timelines.has(action.id)) setEvents(action.id, withoutMessage(timelines.get(action.id), action.messageId, action.forEveryone));
        break;
      case 'reaction':
        if (timelines.has(action.id)) setEvents(action.id, withReaction(timelines.get(action.id), action.change, action.added));
        break;
      case 'settings':
        settings = action.settings;
        emit({ type: 'settings', settings });
        break;
      case 'events.closed':
        timelines.delete(action.id);
        break;
      case 'conversation.gone':
        conversations.delete(action.id);
        emit({ type: 'conversation.gone', id: action.id });
        break;
      case 'reset':
        conversations.clear();
        people.clear();
        timelines.clear();
        settings = null;
        refetching.forEach(clearTimeout);
        refetching.clear();
        emit({ type: 'reset' });
        break;
      default:
    }
  }

  function setEvents(id, events) {
    if (timelines.get(id) === events) return;
    timelines.set(id, events);
    emit({ type: 'events', id, events });
  }

  /** Runs `fetch` once for a burst of calls with the same `key`. */
  function coalesce(key, fetch) {
    if (refetching.has(key)) return;
    refetching.set(key, setTimeout(() => {
      refetching.delete(key);
      fetch();
    }, COALESCE_MS));
  }

  function refetch(id) {
    coalesce(id, async () => {
      try {
        reduce({ type: 'conversation', conversation: await get(`/conversations/${q(id)}`) });
      } catch {
        reduce({ type: 'conversation.gone', id });
      }
    });
  }

  function refetchPerson(id) {
    coalesce(`person:${id}`, async () => {
      try {
        reduce({ type: 'person', user: await get(`/users/${q(id)}`) });
      } catch { /* gone or hidden: what is shown stays until the next load */ }
    });
  }

  /** A stream frame: what it changed is fetched; a deleted conversation is gone at once. */
  function frame(f) {
    const id = f.data?.conversation_id;
    if (f.type === 'ready') emit({ type: 'ready' });
    if (f.type === 'relationship.changed') refetchPerson(f.data.user_id);
    if (f.type === 'typing' || !id) return;
    const action = eventAction(f);
    if (action) reduce(action);
    if (f.type === 'conversation.deleted') reduce({ type: 'conversation.gone', id });
    else refetch(id);
  }

  return {
    conversations,
    people,
    timelines,
    get settings() {
      return settings;
    },
    reduce,
    frame,
    /** `fn(change)` hears every change; returns the unsubscribe. */
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}
