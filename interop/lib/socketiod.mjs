// The socketiod daemon under test, and helpers for its built-in service.
//
//   SOCKETIOD   the binary (default ../build/src/socketiod from interop/)
//
// startSocketiod(t, args) starts it on 127.0.0.1 with --port 0 (and
// --log-level warn unless args name a level), waits for its
// "listening on 127.0.0.1:<port>" line and stops it after the test (or the
// suite, for useSocketiod()). stop() resolves with the exit code (or the
// signal name when killed by one); the automatic stop fails the test when
// the daemon did not exit 0 (e.g. a sanitizer report), printing its stderr.
import { before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { INTEROP_DIR } from "./server.mjs";
import { withTimeout, request, T } from "./util.mjs";
import { connect, ack, closeClient } from "./sio.mjs";

export const SOCKETIOD = path.resolve(INTEROP_DIR,
  process.env.SOCKETIOD || path.join("..", "build", "src", "socketiod"));

const START_TIMEOUT_MS = 10_000;
const KILL_AFTER_MS = 5_000;

/** Start the daemon; see the top of the file. Not stopped automatically. */
export function launchSocketiod(args = [], { env } = {}) {
  if (!existsSync(SOCKETIOD)) {
    return Promise.reject(new Error(`socketiod not found at ${SOCKETIOD} (build it or set SOCKETIOD)`));
  }
  const all = ["--host", "127.0.0.1", "--port", "0"];
  if (!args.includes("--log-level")) all.push("--log-level", "warn");
  all.push(...args);
  const proc = spawn(SOCKETIOD, all, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  let stdout = "";
  let stderr = "";
  let exit = null;
  const exited = new Promise((resolve) => proc.on("exit", (code, signal) => {
    exit = { code, signal };
    resolve(exit);
  }));
  proc.stderr.setEncoding("utf8");
  proc.stderr.on("data", (d) => { stderr += d; });
  proc.stdout.setEncoding("utf8");
  const report = (why) => `socketiod ${all.join(" ")}: ${why}` +
    (stderr ? `\n--- socketiod stderr ---\n${stderr}--- end stderr ---` : "");

  async function stop(signal = "SIGTERM", timeout = KILL_AFTER_MS) {
    if (!exit) {
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill("SIGKILL"), timeout);
      await exited;
      clearTimeout(timer);
    }
    return exit.code ?? exit.signal;
  }

  const started = new Promise((resolve, reject) => {
    proc.stdout.on("data", (d) => {
      stdout += d;
      const m = /^listening on 127\.0\.0\.1:(\d+)\r?$/m.exec(stdout);
      if (!m) return;
      const port = Number(m[1]);
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        proc,
        args: all,
        stop,
        exited,
        get exit() { return exit; },
        get stderr() { return stderr; },
        report,
      });
    });
    proc.on("error", (e) => reject(new Error(report(`failed to start: ${e.message}`))));
    exited.then(({ code, signal }) => reject(new Error(report(`exited before listening (code ${code}, signal ${signal})`))));
  });
  return withTimeout(started, START_TIMEOUT_MS, `socketiod to print "listening on"`).catch(async (e) => {
    proc.kill("SIGKILL");
    throw e;
  });
}

/** The stock clients user() connected, by daemon URL (closed by stopClean). */
const clientsOf = new Map();

/**
 * Stop `d` and fail unless it exited 0. The clients user() connected to it
 * are closed first, and the daemon is given a moment to see them go: a
 * polling client between two polls when the listener closes would hold the
 * drain for the whole --shutdown-grace.
 */
export async function stopClean(d) {
  const clients = clientsOf.get(d.url) || [];
  clientsOf.delete(d.url);
  if (!d.exit && clients.length) {
    for (const s of clients) closeClient(s);
    const deadline = Date.now() + 3_000;
    while (Date.now() < deadline && !d.exit) {
      const h = await request(`${d.url}/health`, { timeout: 1_000 }).catch(() => null);
      if (!h || JSON.parse(h.body).connections === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const already = d.exit;
  const code = await d.stop();
  if (code !== 0) {
    const why = already ? `had exited on its own (${code})` : `exited with ${code} on SIGTERM`;
    throw new Error(d.report(why));
  }
}

/** A daemon for one test: stopped (and checked) after it. */
export async function startSocketiod(t, args = [], opts) {
  const d = await launchSocketiod(args, opts);
  t.after(() => stopClean(d));
  return d;
}

/**
 * A daemon for the whole file (or describe block): started in before(),
 * stopped in after(). The returned object gets url/port/daemon once started.
 */
export function useSocketiod(args = [], opts) {
  const srv = { url: null, port: null, daemon: null };
  before(async () => {
    srv.daemon = await launchSocketiod(args, opts);
    srv.url = srv.daemon.url;
    srv.port = srv.daemon.port;
  });
  after(async () => {
    if (srv.daemon) await stopClean(srv.daemon);
  });
  return srv;
}

// ---------------------------------------------------------------- clients

export const WS = ["websocket"];
export const POLLING = ["polling"];

/**
 * A connected stock client (closed after the test) with .inbox, over
 * WebSocket unless opts.transports says otherwise; `auth` is the handshake
 * auth object ({userId, username} or {token}).
 */
export async function user(t, url, auth, opts = {}) {
  const s = await connect(t, url, { transports: WS, ...(auth ? { auth } : {}), ...opts });
  if (!clientsOf.has(url)) clientsOf.set(url, []);
  clientsOf.get(url).push(s);
  return s;
}

/** emitWithAck, bounded: the single object the service acks with. */
export async function call(socket, event, ...args) {
  const resp = await ack(socket, event, ...args);
  assert.equal(resp.length, 1, `the ack of "${event}" should have one argument: ${JSON.stringify(resp)}`);
  return resp[0];
}

/**
 * A round trip through the server: every event the server queued for this
 * socket before handling this request (e.g. while handling another
 * client's request that was already acked) has arrived when it resolves.
 */
export async function sync(...sockets) {
  for (const s of sockets) {
    const r = await call(s, "presence:list", { room: "sync" });
    assert.equal(r.ok, true, `sync round trip: ${JSON.stringify(r)}`);
  }
}

/** Assert that the socket has not received (and not taken) `event`, after a sync(). */
export async function nothing(socket, event, pred = () => true, label = socket.label || socket.id) {
  await sync(socket);
  const got = socket.inbox.pending(event).filter((it) => pred(it.args));
  assert.deepEqual(got.map((it) => it.args), [], `${label} should not have received "${event}"`);
}

/** The first argument of the next `event` (matching pred(arg)). */
export async function next(socket, event, pred = () => true, timeout = T) {
  const [arg] = await socket.inbox.args(event, `"${event}" on ${socket.label || socket.id}`,
    { pred: (a) => pred(a[0]), timeout });
  return arg;
}

/** Drop every event of this name received so far. */
export function forget(socket, event) {
  socket.inbox.items = socket.inbox.items.filter((it) => it.event !== event);
}

let seq = 0;
/** A name unique to this run (rooms, user ids). */
export function unique(tag) {
  return `${tag}-${process.pid}-${++seq}`;
}

// ---------------------------------------------------------------- HTTP

/** A JSON request to the daemon; { status, headers, body, json }. */
export async function http(base, method, p, { key, body, headers = {}, raw, contentType = "application/json" } = {}) {
  const h = { ...headers };
  if (key !== undefined) h.Authorization = `Bearer ${key}`;
  let data = raw;
  if (body !== undefined) data = JSON.stringify(body);
  if (data !== undefined && contentType) h["Content-Type"] = contentType;
  const res = await request(`${base}${p}`, { method, headers: h, body: data });
  let json;
  try { json = JSON.parse(res.body); } catch { json = undefined; }
  return { ...res, json };
}

/** The value of one Prometheus sample (name with its labels, as printed). */
export function metric(text, sample) {
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    if (line.slice(0, i) === sample) return Number(line.slice(i + 1));
  }
  return undefined;
}

// ---------------------------------------------------------------- JWT

export function b64url(v) {
  return Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");
}

/** An HS256/384/512 token for `claims` (iat/exp added unless given or null). */
export function hsToken(secret, claims, { alg = "HS256", header = {} } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const body = { iat: now, exp: now + 3600, ...claims };
  for (const k of Object.keys(body)) if (body[k] === null) delete body[k];
  const input = `${b64url({ alg, typ: "JWT", ...header })}.${b64url(body)}`;
  const hash = { HS256: "sha256", HS384: "sha384", HS512: "sha512" }[alg];
  const sig = crypto.createHmac(hash, secret).update(input).digest("base64url");
  return `${input}.${sig}`;
}

/** An EdDSA (Ed25519) token signed with the KeyObject `privateKey`. */
export function edToken(privateKey, claims) {
  const now = Math.floor(Date.now() / 1000);
  const body = { iat: now, exp: now + 3600, ...claims };
  const input = `${b64url({ alg: "EdDSA", typ: "JWT" })}.${b64url(body)}`;
  const sig = crypto.sign(null, Buffer.from(input), privateKey).toString("base64url");
  return `${input}.${sig}`;
}

// ---------------------------------------------------------------- waiting

/**
 * Number of sockets in `room`, asked through `socket`, which must not be
 * in it (leave:room answers the count after leaving).
 */
export async function roomSize(socket, room) {
  const r = await call(socket, "leave:room", { room });
  assert.equal(r.ok, true, `leave:room ${room}: ${JSON.stringify(r)}`);
  return r.count;
}

/** Poll `cond` (async) every 20 ms until true; fail after `timeout`. */
export async function until(cond, what, timeout = T) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The connect_error of a connection attempt that must be refused; fails if
 * it connects. (Unlike sio.mjs's connectError(), leaves no timer behind.)
 */
export function refusal(socket, what = "connect_error") {
  let onConnect, onError;
  const p = new Promise((resolve, reject) => {
    onError = (err) => resolve(err);
    onConnect = () => reject(new Error(`expected ${what}, but the socket connected`));
    socket.once("connect_error", onError);
    socket.once("connect", onConnect);
  });
  return withTimeout(p, T, what).finally(() => {
    socket.off("connect_error", onError);
    socket.off("connect", onConnect);
  });
}
