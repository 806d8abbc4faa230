// Socket.IO helpers for the interop tests: the stock `socket.io-client` with
// bounded waits and an inbox of received events, a raw Socket.IO client over
// a `ws` WebSocket for wire-level tests, and value normalisation for
// comparing binary arguments.
import assert from "node:assert/strict";
import { io, Manager } from "socket.io-client";
import { WsClient, withTimeout, T } from "./util.mjs";

export { io, Manager };

export const SIO_PATH = "/socket.io/";
export const MAX_PAYLOAD = 1_000_000;
/** The server's ack timeout for "server-ack" ("ping-me"). */
export const SERVER_ACK_TIMEOUT = 500;

/** The three ways a stock client reaches the server. */
export const TRANSPORTS = {
  polling: ["polling"],
  websocket: ["websocket"],
  upgrade: ["polling", "websocket"],
};
export const MODES = Object.keys(TRANSPORTS);

export function sioUrl(base, params = {}) {
  const q = new URLSearchParams({ EIO: "4", transport: "polling", ...params });
  return `${base}${SIO_PATH}?${q}`;
}

export function sioWsUrl(base, params = {}) {
  return sioUrl(base.replace(/^http/, "ws"), { transport: "websocket", ...params });
}

// ---------------------------------------------------------------- values

/** Binary values (Buffer, typed arrays, ArrayBuffer) as {bin: [bytes]}, recursively. */
export function norm(v) {
  if (v instanceof ArrayBuffer) return { bin: [...new Uint8Array(v)] };
  if (ArrayBuffer.isView(v)) return { bin: [...new Uint8Array(v.buffer, v.byteOffset, v.byteLength)] };
  if (Array.isArray(v)) return v.map(norm);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]));
  }
  return v;
}

// ---------------------------------------------------------------- stock client

/**
 * Every event a socket receives (onAny), kept in order until taken. take()
 * removes and returns the first matching one, waiting (bounded) if needed.
 */
export class Inbox {
  constructor(socket) {
    this.items = [];
    this.waiters = [];
    socket.onAny((event, ...args) => this.push({ event, args }));
  }

  push(item) {
    const i = this.waiters.findIndex((w) => w.match(item));
    if (i >= 0) {
      const [w] = this.waiters.splice(i, 1);
      w.resolve(item);
    } else {
      this.items.push(item);
    }
  }

  /** The first received { event, args } with this event name (and pred(args)). */
  take(event, what = `event "${event}"`, { pred = () => true, timeout = T } = {}) {
    const match = (it) => it.event === event && pred(it.args);
    const i = this.items.findIndex(match);
    if (i >= 0) return Promise.resolve(this.items.splice(i, 1)[0]);
    let waiter;
    const p = new Promise((resolve) => {
      waiter = { match, resolve };
      this.waiters.push(waiter);
    });
    return withTimeout(p, timeout, what).finally(() => {
      const j = this.waiters.indexOf(waiter);
      if (j >= 0) this.waiters.splice(j, 1);
    });
  }

  /** Arguments of the next event of this name. */
  async args(event, what, opts) {
    return (await this.take(event, what, opts)).args;
  }

  /** Received and not yet taken events of this name (not removed). */
  pending(event) {
    return this.items.filter((it) => it.event === event);
  }
}

/** Resolve with the listener's arguments the next time `event` fires. */
export function once(emitter, event, what = `"${event}"`, timeout = T) {
  let listener;
  const p = new Promise((resolve) => {
    listener = (...args) => resolve(args);
    emitter.once(event, listener);
  });
  return withTimeout(p, timeout, what).finally(() => emitter.off(event, listener));
}

const clientDefaults = {
  forceNew: true,
  reconnection: false,
  timeout: T,
  transports: TRANSPORTS.upgrade,
};

/**
 * A stock client socket (not awaited) with an .inbox. When the test context
 * `t` is given, it is closed after the test.
 */
export function client(t, url, opts = {}) {
  const socket = io(url, { ...clientDefaults, ...opts });
  socket.inbox = new Inbox(socket);
  if (t) t.after(() => closeClient(socket));
  return socket;
}

/** Close a stock socket and its manager, stopping reconnection. */
export function closeClient(socket) {
  socket.io.reconnection(false);
  socket.disconnect();
  socket.io._close?.();
}

/** Resolve once the socket is connected; reject on connect_error. */
export function connected(socket, what = "the Socket.IO connection") {
  if (socket.connected) return Promise.resolve(socket);
  let onConnect, onError;
  const p = new Promise((resolve, reject) => {
    onConnect = () => resolve(socket);
    onError = (err) => reject(new Error(`connect_error while waiting for ${what}: ${err?.message}` +
      (err?.data !== undefined ? ` data=${JSON.stringify(err.data)}` : "")));
    socket.once("connect", onConnect);
    socket.once("connect_error", onError);
  });
  return withTimeout(p, T, what).finally(() => {
    socket.off("connect", onConnect);
    socket.off("connect_error", onError);
  });
}

/** A connected stock client (see client()). */
export async function connect(t, url, opts = {}) {
  const socket = client(t, url, opts);
  try {
    return await connected(socket, `connection to ${url} (${JSON.stringify(opts.transports || clientDefaults.transports)})`);
  } catch (e) {
    if (!t) closeClient(socket);
    throw e;
  }
}

/** The connect_error a connection attempt gets. */
export async function connectError(socket, what = "connect_error") {
  const p = once(socket, "connect_error", what);
  const c = once(socket, "connect", "connect");
  const r = await Promise.race([p.then((a) => ({ err: a[0] })), c.then(() => ({ connected: true }))]);
  p.catch(() => {});
  c.catch(() => {});
  if (r.connected) throw new Error(`expected ${what}, but the socket connected`);
  return r.err;
}

/** The reason of the socket's next "disconnect". */
export async function disconnected(socket, what = "the disconnect event") {
  const [reason] = await once(socket, "disconnect", what);
  return reason;
}

/** emitWithAck bounded by T; resolves with the ack's arguments (as an array). */
export function ack(socket, event, ...args) {
  return withTimeout(new Promise((resolve) => {
    socket.emit(event, ...args, (...resp) => resolve(resp));
  }), T, `the ack of "${event}"`);
}

/** Emit "message" and return the arguments of the "message-back" answer. */
export async function echo(socket, ...args) {
  socket.emit("message", ...args);
  return socket.inbox.args("message-back", "the message-back answer");
}

/** Wait until the stock client runs on WebSocket. */
export function upgraded(socket) {
  const engine = socket.io.engine;
  if (engine.transport.name === "websocket") return Promise.resolve();
  return once(engine, "upgrade", "the upgrade to WebSocket").then(() => {});
}

/** Name of the Engine.IO transport a stock socket is using. */
export function transportName(socket) {
  return socket.io.engine.transport.name;
}

// ---------------------------------------------------------------- raw client

/**
 * Parse a Socket.IO v5 text packet: type, attachments, nsp, id, data.
 * Returns null when it is not one.
 */
export function parsePacket(text) {
  const m = /^([0-6])(?:(\d+)-)?(\/[^,]*,)?(\d+)?(.*)$/s.exec(text);
  if (!m) return null;
  let data;
  if (m[5] !== "") {
    try { data = JSON.parse(m[5]); } catch { return null; }
  }
  return {
    type: Number(m[1]),
    attachments: m[2] === undefined ? undefined : Number(m[2]),
    nsp: m[3] ? m[3].slice(0, -1) : "/",
    id: m[4] === undefined ? undefined : Number(m[4]),
    data,
  };
}

/** Replace {_placeholder: true, num} by bins[num], recursively (throws on a bad num). */
export function fillPlaceholders(v, bins) {
  if (Array.isArray(v)) return v.map((x) => fillPlaceholders(x, bins));
  if (v && typeof v === "object") {
    if (v._placeholder === true) {
      assert.ok(Number.isInteger(v.num) && v.num >= 0 && v.num < bins.length,
        `placeholder ${JSON.stringify(v)} with ${bins.length} attachments`);
      return bins[v.num];
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fillPlaceholders(x, bins)]));
  }
  return v;
}

/** A placeholder for attachment num. */
export function ph(num) {
  return { _placeholder: true, num };
}

/**
 * A hand-driven Socket.IO client on a `ws` WebSocket: the Engine.IO layer is
 * "4" + packet text, pings are answered while reading.
 */
export class RawSio {
  constructor(ws, open) {
    this.ws = ws;
    this.open = open;
  }

  /** Open the WebSocket and, unless nsp is null, connect to nsp. */
  static async open(base, { nsp = "/", auth } = {}) {
    const ws = await WsClient.open(sioWsUrl(base));
    const first = await ws.nextText("the Engine.IO open packet");
    assert.equal(first[0], "0", `expected an Engine.IO open packet, got ${JSON.stringify(first)}`);
    const raw = new RawSio(ws, JSON.parse(first.slice(1)));
    if (nsp !== null) await raw.connect(nsp, auth);
    return raw;
  }

  /** Send CONNECT for nsp and check the server's CONNECT answer; returns its data. */
  async connect(nsp = "/", auth) {
    this.send(`0${nsp === "/" ? "" : `${nsp},`}${auth === undefined ? "" : JSON.stringify(auth)}`);
    const p = await this.nextPacket(`the CONNECT answer for ${nsp}`);
    assert.equal(p.type, 0, `expected CONNECT for ${nsp}, got ${JSON.stringify(p.text)}`);
    assert.equal(p.nsp, nsp);
    assert.equal(typeof p.data?.sid, "string", `CONNECT answer without sid: ${p.text}`);
    return p.data;
  }

  /** Send a Socket.IO packet (text, without the Engine.IO "4"). */
  send(packet) {
    this.ws.send(`4${packet}`);
  }

  /** Send a binary frame (an attachment). */
  sendBinary(bytes) {
    this.ws.send(Buffer.from(bytes), { binary: true });
  }

  /** Send raw Engine.IO text. */
  sendEio(text) {
    this.ws.send(text);
  }

  /**
   * Next Socket.IO packet, parsed ({type, attachments, nsp, id, data, text});
   * binary frames come back as { binary: Buffer }.
   */
  async nextPacket(what = "a Socket.IO packet", timeout = T) {
    const m = await this.ws.nextNonPing(what, timeout);
    if (m.isBinary) return { binary: m.data };
    assert.equal(m.text[0], "4", `expected an Engine.IO message while waiting for ${what}, got ${JSON.stringify(m.text)}`);
    const p = parsePacket(m.text.slice(1));
    assert.ok(p, `not a Socket.IO packet while waiting for ${what}: ${JSON.stringify(m.text)}`);
    return { ...p, text: m.text.slice(1) };
  }

  /**
   * Next packet with its attachments read and put in place of their
   * placeholders: { type, nsp, id, attachments, text, data, bins }.
   */
  async nextFull(what = "a Socket.IO packet", timeout = T) {
    const p = await this.nextPacket(what, timeout);
    assert.ok(!p.binary, `expected a text packet for ${what}, got a binary frame`);
    const bins = [];
    for (let i = 0; i < (p.attachments || 0); i++) {
      const b = await this.nextPacket(`attachment ${i} of ${what}`, timeout);
      assert.ok(b.binary, `expected attachment ${i} of ${what} as a binary frame, got ${JSON.stringify(b.text)}`);
      bins.push(b.binary);
    }
    return { ...p, bins, data: fillPlaceholders(p.data, bins) };
  }

  /** Next EVENT packet's data ([name, ...args]), skipping nothing else. */
  async nextEvent(what = "an EVENT", timeout = T) {
    const p = await this.nextPacket(what, timeout);
    assert.equal(p.type, 2, `expected an EVENT for ${what}, got ${JSON.stringify(p.text ?? "<binary>")}`);
    return p.data;
  }

  /** Wait until the server closes the connection (answering pings meanwhile). */
  async closed(what = "the server to close the connection", timeout = T) {
    const close = this.ws.closed(what, timeout);
    const drain = (async () => {
      for (;;) {
        try { await this.ws.nextNonPing(what, timeout); } catch { return; }
      }
    })();
    const info = await close;
    await drain;
    return info;
  }

  terminate() {
    this.ws.terminate();
  }
}

/** A RawSio that is terminated after the test. */
export async function rawSio(t, base, opts) {
  const raw = await RawSio.open(base, opts);
  t.after(() => raw.terminate());
  return raw;
}
