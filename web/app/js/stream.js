// The real-time stream over WebSocket. The session cookie authenticates the upgrade. Every
// stored event carries a position; after a dropped connection the client reconnects with
// ?since=<last position> and the server replays what was missed, in order, so nothing is
// lost and (positions only grow) nothing is handled twice.

export class Stream {
  constructor() {
    this.position = null;
    this.socket = null;
    this.handlers = new Set();
    this.statusHandlers = new Set();
    this.backoff = 500;
    this.stopped = false;
    this.held = false;
    this.timer = null;
  }

  /** fn(frame) for every frame: {type, position?, data}. Returns an unsubscribe function. */
  on(fn) {
    this.handlers.add(fn);
    return () => this.handlers.delete(fn);
  }

  /** fn(state) with 'connecting' | 'live' | 'reconnecting'. */
  onStatus(fn) {
    this.statusHandlers.add(fn);
    return () => this.statusHandlers.delete(fn);
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  /** Closes the stream for good (signing out): the next person starts from their own now. */
  stop() {
    this.stopped = true;
    this.position = null;
    clearTimeout(this.timer);
    if (this.socket) this.socket.close();
    this.socket = null;
  }

  /** Drops the connection and holds off reconnecting until release(): how tests (and a
   *  person toggling airplane mode) exercise resume. */
  hold() {
    this.held = true;
    if (this.socket) this.socket.close();
  }

  release() {
    this.held = false;
    if (!this.socket && !this.stopped) this.connect();
  }

  connect() {
    clearTimeout(this.timer);
    const url = new URL('/api/v1/stream', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    if (this.position !== null) url.searchParams.set('since', this.position);
    this.status(this.position === null ? 'connecting' : 'reconnecting');
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onmessage = (e) => this.receive(e.data);
    socket.onclose = () => {
      if (this.socket === socket) this.socket = null;
      if (this.stopped) return;
      this.status('reconnecting');
      if (this.held) return;
      this.timer = setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, 10000);
    };
  }

  receive(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (frame.type === 'ready') {
      // Sent once the replay is done: from here on the stream is live.
      this.position = frame.position;
      this.backoff = 500;
      this.status('live');
      this.emit(frame);
      return;
    }
    if (frame.position !== undefined) {
      if (this.position !== null && BigInt(frame.position) <= BigInt(this.position)) return;
      this.position = frame.position;
    }
    this.emit(frame);
  }

  emit(frame) {
    for (const fn of this.handlers) {
      try {
        fn(frame);
      } catch (e) {
        console.error('stream handler failed', e);
      }
    }
  }

  status(state) {
    this.state = state;
    this.statusHandlers.forEach((fn) => fn(state));
  }
}
