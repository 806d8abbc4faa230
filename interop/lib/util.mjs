// Bounded-wait helpers shared by the interop tests: HTTP via fetch, WebSocket
// via `ws`, raw TCP via node:net, plus a tiny WebSocket frame codec for the
// cases the `ws` client refuses to produce (unmasked frames and the like).
import net from "node:net";
import crypto from "node:crypto";
import WebSocket from "ws";

export const EIO_PATH = "/engine.io/";
export const PING_INTERVAL = 300;
export const PING_TIMEOUT = 200;
export const MAX_PAYLOAD = 1_000_000;
export const SEP = "\x1e";

/** Default bound for one network wait. Generous: a sanitizer build is slow. */
export const T = 3_000;

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Reject with a clear message if `promise` has not settled within `ms`. */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------- HTTP (fetch)

export function eioUrl(base, params = {}) {
  const q = new URLSearchParams({ EIO: "4", transport: "polling", ...params });
  for (const [k, v] of Object.entries(params)) if (v === undefined || v === null) q.delete(k);
  return `${base}${EIO_PATH}?${q}`;
}

export function wsUrl(base, params = {}) {
  return eioUrl(base.replace(/^http/, "ws"), { transport: "websocket", ...params });
}

/**
 * fetch() with a bound on the whole exchange (headers and body).
 * Returns { status, headers, body (string), bytes (Buffer) }.
 */
export async function request(url, { method = "GET", headers = {}, body, timeout = T, what } = {}) {
  const ac = new AbortController();
  const label = what || `${method} ${url}`;
  const run = (async () => {
    const res = await fetch(url, { method, headers, body, signal: ac.signal, duplex: "half" });
    const bytes = Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, bytes, body: bytes.toString("utf8") };
  })();
  try {
    return await withTimeout(run, timeout, label);
  } finally {
    ac.abort();
    run.catch(() => {});
  }
}

/** Polling handshake; returns { sid, open, res }. */
export async function handshake(base, extra = {}) {
  const res = await request(eioUrl(base, extra), { what: "polling handshake" });
  if (res.status !== 200 || res.body[0] !== "0") {
    throw new Error(`handshake failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const open = JSON.parse(res.body.slice(1));
  return { sid: open.sid, open, res };
}

export function poll(base, sid, opts = {}) {
  return request(eioUrl(base, { sid }), { what: `polling GET sid=${sid}`, ...opts });
}

export function post(base, sid, body, opts = {}) {
  return request(eioUrl(base, { sid }), {
    method: "POST",
    body,
    headers: { "Content-Type": "text/plain;charset=UTF-8" },
    what: `polling POST sid=${sid}`,
    ...opts,
  });
}

/** Split a polling payload into its packets. */
export function packets(body) {
  return body === "" ? [] : body.split(SEP);
}

// ---------------------------------------------------------------- WebSocket (ws)

/** A `ws` client whose messages and close are awaited with bounds. */
export class WsClient {
  constructor(ws) {
    this.ws = ws;
    this.queue = [];
    this.waiters = [];
    this.closeInfo = null;
    this.closeWaiters = [];
    this.errors = [];
    ws.on("message", (data, isBinary) => {
      const m = { data: Buffer.isBuffer(data) ? data : Buffer.concat(data), isBinary };
      m.text = isBinary ? null : m.data.toString("utf8");
      const w = this.waiters.shift();
      if (w) w(m); else this.queue.push(m);
    });
    ws.on("error", (e) => { this.errors.push(e); });
    ws.on("close", (code, reason) => {
      this.closeInfo = { code, reason: reason.toString() };
      for (const w of this.closeWaiters.splice(0)) w(this.closeInfo);
      for (const w of this.waiters.splice(0)) w(null);
    });
  }

  static open(url, { timeout = T, ...opts } = {}) {
    const ws = new WebSocket(url, opts);
    const client = new WsClient(ws);
    const opened = new Promise((resolve, reject) => {
      ws.once("open", () => resolve(client));
      ws.once("unexpected-response", (req, res) => {
        reject(Object.assign(new Error(`WebSocket upgrade refused with HTTP ${res.statusCode}`), { statusCode: res.statusCode }));
        res.resume();
        req.destroy();
      });
      ws.once("error", reject);
      ws.once("close", () => reject(new Error("WebSocket closed before open")));
    });
    return withTimeout(opened, timeout, `WebSocket open ${url}`).catch((e) => {
      ws.terminate();
      throw e;
    });
  }

  /** Next message ({data, isBinary, text}); rejects if the socket closes first. */
  async next(what = "a WebSocket message", timeout = T) {
    if (this.queue.length) return this.queue.shift();
    if (this.closeInfo) throw new Error(`WebSocket closed (${this.closeInfo.code}) while waiting for ${what}`);
    let waiter;
    const p = new Promise((resolve, reject) => {
      waiter = (m) => (m ? resolve(m) : reject(new Error(`WebSocket closed (${this.closeInfo.code}) while waiting for ${what}`)));
      this.waiters.push(waiter);
    });
    try {
      return await withTimeout(p, timeout, what);
    } finally {
      const i = this.waiters.indexOf(waiter);
      if (i >= 0) this.waiters.splice(i, 1);
    }
  }

  /** Next text message; fails on a binary one. */
  async nextText(what, timeout) {
    const m = await this.next(what, timeout);
    if (m.isBinary) throw new Error(`expected a text frame for ${what}, got binary ${m.data.toString("hex")}`);
    return m.text;
  }

  /**
   * Next message other than a ping ("2"), answering pings with pongs. The
   * bound is on the whole wait: pings do not restart it.
   */
  async nextNonPing(what = "a WebSocket message", timeout = T) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
      let m;
      try {
        m = await this.next(what, left);
      } catch (e) {
        if (/^timed out/.test(e.message)) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
        throw e;
      }
      if (!m.isBinary && m.text === "2") { this.send("3"); continue; }
      return m;
    }
  }

  send(data, opts) {
    this.ws.send(data, opts);
  }

  closed(what = "WebSocket close", timeout = T) {
    if (this.closeInfo) return Promise.resolve(this.closeInfo);
    return withTimeout(new Promise((r) => this.closeWaiters.push(r)), timeout, what);
  }

  terminate() {
    this.ws.terminate();
  }
}

/**
 * Attempt a WebSocket connection that is expected to be refused.
 * Resolves { refused: true, statusCode } for an HTTP error answer, or
 * { refused: true, statusCode: null, closeCode } if the connection just died.
 * Resolves { refused: false, client } if it opened.
 */
export function tryWs(url, timeout = T) {
  const ws = new WebSocket(url);
  const p = new Promise((resolve) => {
    ws.once("open", () => resolve({ refused: false, client: new WsClient(ws) }));
    ws.once("unexpected-response", (req, res) => {
      resolve({ refused: true, statusCode: res.statusCode });
      res.resume();
      req.destroy();
    });
    ws.on("error", () => {});
    ws.once("close", (code) => resolve({ refused: true, statusCode: null, closeCode: code }));
  });
  return withTimeout(p, timeout, `WebSocket attempt ${url}`).catch((e) => {
    ws.terminate();
    throw e;
  });
}

// ---------------------------------------------------------------- raw TCP

/** A raw TCP connection with bounded reads. */
export class RawConn {
  constructor(sock) {
    this.sock = sock;
    this.buf = Buffer.alloc(0);
    this.ended = false;
    this.error = null;
    this.notify = null;
    sock.on("data", (d) => { this.buf = Buffer.concat([this.buf, d]); this.notify?.(); });
    sock.on("end", () => { this.ended = true; this.notify?.(); });
    sock.on("close", () => { this.ended = true; this.notify?.(); });
    sock.on("error", (e) => { this.error = e; this.ended = true; this.notify?.(); });
  }

  static connect(port, timeout = T) {
    const sock = net.connect({ port, host: "127.0.0.1" });
    const conn = new RawConn(sock);
    return withTimeout(new Promise((resolve, reject) => {
      sock.once("connect", () => resolve(conn));
      sock.once("error", reject);
    }), timeout, `TCP connect to port ${port}`);
  }

  write(bytes) {
    return new Promise((resolve) => {
      if (this.sock.destroyed) return resolve(false);
      this.sock.write(bytes, (err) => resolve(!err));
    });
  }

  /**
   * Wait until pred(buf) returns a non-undefined value, or the peer closes
   * (then pred gets one last look, and undefined is returned if it still has
   * nothing). Bounded by `timeout`.
   */
  async until(pred, what, timeout = T) {
    const p = new Promise((resolve) => {
      const check = () => {
        const v = pred(this.buf);
        if (v !== undefined) { this.notify = null; resolve(v); }
        else if (this.ended) { this.notify = null; resolve(undefined); }
      };
      this.notify = check;
      check();
    });
    return withTimeout(p, timeout, what);
  }

  /** Wait for the peer to close (EOF or reset). */
  async closed(what = "the server to close the connection", timeout = T) {
    await this.until(() => (this.ended ? true : undefined), what, timeout);
  }

  /** Consume n bytes from the front of the buffer. */
  take(n) {
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  destroy() {
    this.sock.destroy();
  }
}

/**
 * Parse one HTTP/1.1 response (head + Content-Length body) from the front of
 * buf. Returns undefined if incomplete, else { status, headers, body, length }.
 * Responses without Content-Length and not chunked are complete only at EOF,
 * which the caller signals with `eof`.
 */
export function parseHttpResponse(buf, eof = false) {
  const end = buf.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const head = buf.subarray(0, end).toString("latin1").split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(head[0]);
  if (!m) throw new Error(`not an HTTP response: ${JSON.stringify(head[0])}`);
  const headers = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(":");
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const start = end + 4;
  const status = Number(m[1]);
  const reason = m[2];
  if (headers["content-length"] !== undefined) {
    const n = Number(headers["content-length"]);
    if (buf.length < start + n) return undefined;
    return { status, reason, headers, body: buf.subarray(start, start + n), length: start + n };
  }
  if (/chunked/i.test(headers["transfer-encoding"] || "")) {
    let pos = start;
    const parts = [];
    for (;;) {
      const le = buf.indexOf("\r\n", pos);
      if (le < 0) return undefined;
      const size = parseInt(buf.subarray(pos, le).toString("latin1"), 16);
      if (buf.length < le + 2 + size + 2) return undefined;
      if (size === 0) {
        return { status, reason, headers, body: Buffer.concat(parts), length: le + 4 };
      }
      parts.push(buf.subarray(le + 2, le + 2 + size));
      pos = le + 2 + size + 2;
    }
  }
  if (status === 204 || status === 304 || status === 101 || (status >= 100 && status < 200)) {
    return { status, reason, headers, body: Buffer.alloc(0), length: start };
  }
  if (!eof) return undefined;
  return { status, reason, headers, body: buf.subarray(start), length: buf.length };
}

/** Read one HTTP response from a RawConn (bounded); undefined if closed without one. */
export async function readResponse(conn, what = "an HTTP response", timeout = T) {
  const r = await conn.until((b) => {
    try {
      return parseHttpResponse(b, conn.ended);
    } catch (e) {
      return { error: e };
    }
  }, what, timeout);
  if (r?.error) throw r.error;
  if (r) conn.take(r.length);
  return r;
}

// ---------------------------------------------------------------- raw WebSocket

/** Open a raw TCP connection and perform a WebSocket upgrade by hand. */
export async function rawWsConnect(port, query = "EIO=4&transport=websocket") {
  const conn = await RawConn.connect(port);
  const key = crypto.randomBytes(16).toString("base64");
  await conn.write(
    `GET ${EIO_PATH}?${query} HTTP/1.1\r\n` +
    `Host: 127.0.0.1:${port}\r\n` +
    "Upgrade: websocket\r\n" +
    "Connection: Upgrade\r\n" +
    `Sec-WebSocket-Key: ${key}\r\n` +
    "Sec-WebSocket-Version: 13\r\n\r\n");
  const head = await conn.until((b) => {
    const i = b.indexOf("\r\n\r\n");
    return i < 0 ? undefined : i + 4;
  }, "the WebSocket upgrade response");
  if (head === undefined) throw new Error("connection closed during WebSocket upgrade");
  const text = conn.take(head).toString("latin1");
  if (!/^HTTP\/1\.1 101 /.test(text)) throw new Error(`upgrade refused: ${text.split("\r\n")[0]}`);
  const accept = crypto.createHash("sha1")
    .update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
  if (!new RegExp(`\\r\\nsec-websocket-accept: *${accept.replace(/[+/]/g, "\\$&")}\\r\\n`, "i").test(text)) {
    throw new Error(`bad Sec-WebSocket-Accept in ${JSON.stringify(text)}`);
  }
  return conn;
}

export const OP = { CONT: 0, TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 };

/** Build one WebSocket frame; masked unless mask === false. */
export function buildFrame(opcode, payload = Buffer.alloc(0), { mask = true, fin = true } = {}) {
  payload = Buffer.from(payload);
  const len = payload.length;
  let head;
  if (len < 126) {
    head = Buffer.from([0, len]);
  } else if (len < 65536) {
    head = Buffer.alloc(4);
    head.writeUInt16BE(len, 2);
    head[1] = 126;
  } else {
    head = Buffer.alloc(10);
    head.writeBigUInt64BE(BigInt(len), 2);
    head[1] = 127;
  }
  head[0] = (fin ? 0x80 : 0) | opcode;
  if (!mask) return Buffer.concat([head, payload]);
  head[1] |= 0x80;
  const key = crypto.randomBytes(4);
  const body = Buffer.alloc(len);
  for (let i = 0; i < len; i++) body[i] = payload[i] ^ key[i & 3];
  return Buffer.concat([head, key, body]);
}

/** Parse one (unmasked, server-to-client) frame from the front of buf. */
export function parseFrame(buf) {
  if (buf.length < 2) return undefined;
  const fin = (buf[0] & 0x80) !== 0;
  const opcode = buf[0] & 0x0f;
  const masked = (buf[1] & 0x80) !== 0;
  let len = buf[1] & 0x7f;
  let pos = 2;
  if (len === 126) {
    if (buf.length < 4) return undefined;
    len = buf.readUInt16BE(2);
    pos = 4;
  } else if (len === 127) {
    if (buf.length < 10) return undefined;
    len = Number(buf.readBigUInt64BE(2));
    pos = 10;
  }
  let key = null;
  if (masked) {
    if (buf.length < pos + 4) return undefined;
    key = buf.subarray(pos, pos + 4);
    pos += 4;
  }
  if (buf.length < pos + len) return undefined;
  let payload = Buffer.from(buf.subarray(pos, pos + len));
  if (key) for (let i = 0; i < len; i++) payload[i] ^= key[i & 3];
  return { fin, opcode, masked, payload, length: pos + len };
}

/** Read one frame from a raw WebSocket connection; undefined if it closed. */
export async function readFrame(conn, what = "a WebSocket frame", timeout = T) {
  const f = await conn.until((b) => parseFrame(b), what, timeout);
  if (f) conn.take(f.length);
  return f;
}

/** Close code of a close frame payload (1005 when empty). */
export function closeCode(frame) {
  return frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
}
