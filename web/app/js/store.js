// The page's one store: the conversations the server has shown this page, kept current by the
// stream through one reducer (`reduce`), and whoever shows them subscribes. A stream event that
// touches a conversation refetches it once, for every view at once (the server's view of
// unread counts, boxes and read marks is the truth); the people in it are remembered in
// `app.users` on the way.
//
// State is replaced, never changed in place: a conversation that changed is a new object, so
// keyed rendering redraws exactly the rows it touches.

import { get, q } from './api.js';
import { remember } from './app.js';

/** How long a burst of events for one conversation is gathered before it is refetched. */
const COALESCE_MS = 60;

export function createStore() {
  const conversations = new Map(); // id -> conversation
  const listeners = new Set();
  const refetching = new Map(); // id -> timer

  function emit(change) {
    for (const fn of listeners) fn(change);
  }

  /** The one reducer: an action in, the state replaced, subscribers told what changed. */
  function reduce(action) {
    switch (action.type) {
      case 'conversation':
        action.conversation.participants.forEach(remember);
        conversations.set(action.conversation.id, action.conversation);
        emit({ type: 'conversation', id: action.conversation.id, conversation: action.conversation });
        break;
      case 'conversation.gone':
        conversations.delete(action.id);
        emit({ type: 'conversation.gone', id: action.id });
        break;
      case 'reset':
        conversations.clear();
        refetching.forEach(clearTimeout);
        refetching.clear();
        emit({ type: 'reset' });
        break;
      default:
    }
  }

  function refetch(id) {
    if (refetching.has(id)) return;
    refetching.set(id, setTimeout(async () => {
      refetching.delete(id);
      try {
        reduce({ type: 'conversation', conversation: await get(`/conversations/${q(id)}`) });
      } catch {
        reduce({ type: 'conversation.gone', id });
      }
    }, COALESCE_MS));
  }

  /** A stream frame: what it changed is fetched; a deleted conversation is gone at once. */
  function frame(f) {
    const id = f.data?.conversation_id;
    if (f.type === 'ready') emit({ type: 'ready' });
    if (f.type === 'typing' || !id) return;
    if (f.type === 'conversation.deleted') reduce({ type: 'conversation.gone', id });
    else refetch(id);
  }

  return {
    conversations,
    reduce,
    frame,
    /** `fn(change)` hears every change; returns the unsubscribe. */
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}
