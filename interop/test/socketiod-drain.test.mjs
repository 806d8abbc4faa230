// socketiod drain on SIGTERM (--shutdown-grace): the clients are closed
// cleanly, /ready says 503 meanwhile, new sessions are refused (the port
// stays open for the last polls and the probes), and the daemon exits 0 as
// soon as the last client is gone, well within the grace.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { startSocketiod, user, sync, WS, POLLING, refusal } from "../lib/socketiod.mjs";
import { disconnected, client, sioUrl, sioWsUrl } from "../lib/sio.mjs";
import { request, RawConn, readResponse, WsClient, withTimeout } from "../lib/util.mjs";

/** Resolve with the exit {code, signal} and the ms it took from `t0`. */
async function exitOf(d, t0, timeout) {
  const e = await withTimeout(d.exited, timeout, "the daemon to exit");
  return { ...e, ms: Date.now() - t0 };
}

/** A raw polling session connected to "/", with no GET pending. */
async function rawPolling(url) {
  const hs = await request(sioUrl(url));
  assert.equal(hs.body[0], "0");
  const sid = JSON.parse(hs.body.slice(1)).sid;
  const post = await request(sioUrl(url, { sid }), { method: "POST", body: "40", headers: { "Content-Type": "text/plain;charset=UTF-8" } });
  assert.equal(post.status, 200);
  const first = await request(sioUrl(url, { sid }));
  assert.match(first.body, /^40\{/);
  return sid;
}

describe("drain on SIGTERM", () => {
  test("WebSocket and polling clients are closed (\"transport close\"); exit 0 well within the grace", async (t) => {
    const d = await startSocketiod(t, ["--shutdown-grace", "30000"]);
    const ws = await user(t, d.url, { userId: "w" }, { transports: WS });
    const polling = await user(t, d.url, { userId: "p" }, { transports: POLLING });
    const upgraded = await user(t, d.url, { userId: "u" }, { transports: ["polling", "websocket"] });
    await new Promise((r) => upgraded.io.engine.transport.name === "websocket" ? r() : upgraded.io.engine.once("upgrade", r));
    await sync(polling);
    const reasons = Promise.all([ws, polling, upgraded].map((s) => disconnected(s)));
    const t0 = Date.now();
    d.proc.kill("SIGTERM");
    const got = await reasons;
    const e = await exitOf(d, t0, 20_000);
    assert.equal(e.code, 0);
    // far from the grace: the exit follows the last client, not the clock
    assert.ok(e.ms < 15_000, `exited ${e.ms} ms after SIGTERM with every client gone (grace 30000 ms)`);
    // nobody listens any more
    const err = await refusal(client(t, d.url, { transports: WS }));
    assert.ok(err instanceof Error);
    assert.deepEqual(got, ["transport close", "transport close", "transport close"],
      "disconnect reasons of the WebSocket, polling and upgraded clients");
  });

  test("a WebSocket gets a close frame and a pending long-poll its close packet before the exit", async (t) => {
    const d = await startSocketiod(t, ["--shutdown-grace", "2000"]);
    // raw WebSocket session on "/"
    const ws = await WsClient.open(sioWsUrl(d.url));
    assert.equal((await ws.nextText("open"))[0], "0");
    ws.send("40");
    assert.match(await ws.nextText("CONNECT"), /^40\{/);
    // raw polling session with a GET pending
    const sid = await rawPolling(d.url);
    const pending = request(sioUrl(d.url, { sid }), { timeout: 5_000 });
    await new Promise((r) => setTimeout(r, 100)); // let the GET reach the server
    d.proc.kill("SIGTERM");
    const poll = await pending.then((r) => ({ status: r.status, body: r.body }), (e) => ({ error: `${e.message} (${e.cause?.code})` }));
    const close = await ws.closed("the WebSocket to close", 5_000);
    await exitOf(d, Date.now(), 5_000);
    assert.deepEqual(poll, { status: 200, body: "1" }, "the pending long-poll GET should get the close packet");
    assert.notEqual(close.code, 1006, "the WebSocket was cut without a close frame (1006)");
  });

  test("while a client is still there: /ready 503 and new sessions refused on new connections, /health draining; its next poll gets the close; exit when it goes", async (t) => {
    const d = await startSocketiod(t, ["--shutdown-grace", "30000"]);
    // A polling client with no GET pending cannot be told at once: the
    // session stays until its next poll, which gets the close packet.
    const sid = await rawPolling(d.url);
    const conn = await RawConn.connect(d.port);
    t.after(() => conn.destroy());
    const get = async (p) => {
      await conn.write(`GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      const r = await readResponse(conn, `GET ${p}`);
      assert.ok(r, `no answer to GET ${p}`);
      return { status: r.status, json: JSON.parse(r.body.toString()) };
    };
    assert.deepEqual(await get("/ready"), { status: 200, json: { ready: true } });
    const t0 = Date.now();
    d.proc.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(d.exit, null, "the daemon should wait for the polling client");
    assert.deepEqual(await get("/ready"), { status: 503, json: { ready: false } });
    const health = await get("/health");
    assert.equal(health.status, 200);
    assert.equal(health.json.status, "draining");
    assert.equal(health.json.connections, 1);
    // a load balancer's probe on a new connection sees the 503 too
    const probe = await request(`${d.url}/ready`);
    assert.equal(probe.status, 503);
    // a new session is refused with a reason
    const hs = await request(sioUrl(d.url));
    assert.equal(hs.status, 403);
    assert.deepEqual(JSON.parse(hs.body), { code: 4, message: "Server shutting down" });
    // the client's next poll, on a new connection as a browser may open
    const last = await request(sioUrl(d.url, { sid }));
    assert.equal(last.status, 200);
    assert.equal(last.body, "1", "the close packet");
    const e = await exitOf(d, t0, 20_000);
    assert.equal(e.code, 0);
    assert.ok(e.ms < 15_000, `exited ${e.ms} ms after SIGTERM (grace 30000 ms)`);
  });

  test("a second SIGTERM exits at once", async (t) => {
    const d = await startSocketiod(t, ["--shutdown-grace", "10000"]);
    await rawPolling(d.url); // holds the drain (see above)
    const t0 = Date.now();
    d.proc.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(d.exit, null);
    d.proc.kill("SIGTERM");
    const e = await exitOf(d, t0, 5_000);
    assert.equal(e.code, 0);
  });
});
