// socketiod /health, /ready and /metrics (Prometheus text).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { startSocketiod, user, call, next, unique, http, metric, until, hsToken, WS, POLLING, refusal } from "../lib/socketiod.mjs";
import { client, closeClient } from "../lib/sio.mjs";

const SECRET = "metrics-secret";

async function metrics(url) {
  const r = await http(url, "GET", "/metrics");
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type"), /^text\/plain/);
  return r.body;
}

describe("/health and /ready", () => {
  test("/health {status:\"ok\", connections, uptime}; /ready 200 {ready:true}", async (t) => {
    const d = await startSocketiod(t, []);
    const h0 = await http(d.url, "GET", "/health");
    assert.equal(h0.status, 200);
    assert.match(h0.headers.get("content-type"), /^application\/json/);
    assert.deepEqual(Object.keys(h0.json).sort(), ["connections", "status", "uptime"]);
    assert.equal(h0.json.status, "ok");
    assert.equal(h0.json.connections, 0);
    assert.equal(typeof h0.json.uptime, "number");
    assert.ok(h0.json.uptime >= 0 && h0.json.uptime < 60);
    await user(t, d.url, { userId: "a" });
    await user(t, d.url, { userId: "b" }, { transports: POLLING });
    const h1 = await http(d.url, "GET", "/health");
    assert.equal(h1.json.connections, 2);
    const r = await http(d.url, "GET", "/ready");
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { ready: true });
    // other paths: 404
    assert.equal((await http(d.url, "GET", "/nope")).status, 404);
    assert.equal((await http(d.url, "POST", "/health", { body: {} })).status, 404);
  });
});

describe("/metrics", () => {
  test("connections by transport, sockets", async (t) => {
    const d = await startSocketiod(t, []);
    const m0 = await metrics(d.url);
    assert.match(m0, /^# TYPE socketiod_connections gauge$/m);
    assert.equal(metric(m0, 'socketiod_connections{transport="websocket"}'), 0);
    assert.equal(metric(m0, 'socketiod_connections{transport="polling"}'), 0);
    const ws = [];
    for (let i = 0; i < 3; i++) ws.push(await user(t, d.url, { userId: `w${i}` }, { transports: WS }));
    const polling = [];
    for (let i = 0; i < 2; i++) polling.push(await user(t, d.url, { userId: `p${i}` }, { transports: POLLING }));
    const m1 = await metrics(d.url);
    assert.equal(metric(m1, 'socketiod_connections{transport="websocket"}'), 3, m1);
    assert.equal(metric(m1, 'socketiod_connections{transport="polling"}'), 2, m1);
    assert.equal(metric(m1, "socketiod_sockets"), 5);
    assert.equal(metric(m1, "socketiod_connects_total"), 5);
    closeClient(ws[0]);
    closeClient(polling[0]);
    await until(async () => {
      const m = await metrics(d.url);
      return metric(m, 'socketiod_connections{transport="websocket"}') === 2 &&
        metric(m, 'socketiod_connections{transport="polling"}') === 1;
    }, "the gauges to drop to 2 and 1");
    const m2 = await metrics(d.url);
    assert.equal(metric(m2, "socketiod_sockets"), 3);
    assert.equal(metric(m2, 'socketiod_disconnects_total{reason="client namespace disconnect"}'), 2, m2);
  });

  test("socketiod_rate_limited_total and socketiod_chat_messages_total", async (t) => {
    const d = await startSocketiod(t, ["--message-rate", "1", "--message-window", "60000"]);
    const before = await metrics(d.url);
    assert.equal(metric(before, "socketiod_rate_limited_total"), 0);
    const a = await user(t, d.url, { userId: "a" });
    const room = unique("r");
    await call(a, "chat:join", { room });
    assert.equal((await call(a, "chat:message", { room, message: "one" })).ok, true);
    assert.deepEqual(await call(a, "chat:message", { room, message: "two" }), { ok: false, error: "Rate limit exceeded" });
    await next(a, "error");
    const m1 = await metrics(d.url);
    assert.equal(metric(m1, "socketiod_rate_limited_total"), 1);
    assert.equal(metric(m1, "socketiod_chat_messages_total"), 1);
    assert.ok(metric(m1, "socketiod_events_in_total") >= 3);
    await call(a, "chat:message", { room, message: "three" });
    assert.equal(metric(await metrics(d.url), "socketiod_rate_limited_total"), 2);
  });

  test("socketiod_auth_failures_total after a refused token", async (t) => {
    const d = await startSocketiod(t, ["--auth", "required", "--jwt-secret", SECRET]);
    assert.equal(metric(await metrics(d.url), "socketiod_auth_failures_total"), 0);
    const bad = client(t, d.url, { transports: WS, auth: { token: hsToken("wrong", { sub: "x" }) } });
    assert.equal((await refusal(bad)).message, "invalid signature");
    assert.equal(metric(await metrics(d.url), "socketiod_auth_failures_total"), 1);
    const none = client(t, d.url, { transports: WS });
    assert.equal((await refusal(none)).message, "authentication required");
    assert.equal(metric(await metrics(d.url), "socketiod_auth_failures_total"), 2);
    await user(t, d.url, { token: hsToken(SECRET, { sub: "ok" }) });
    assert.equal(metric(await metrics(d.url), "socketiod_auth_failures_total"), 2);
  });

  test("socketiod_api_requests_total and socketiod_handshakes_refused_total", async (t) => {
    const d = await startSocketiod(t, ["--api-key", "k", "--max-connections", "1"]);
    await http(d.url, "GET", "/api/stats", { key: "k" });
    await http(d.url, "GET", "/api/stats", { key: "bad" });
    const m = await metrics(d.url);
    assert.equal(metric(m, "socketiod_api_requests_total"), 2);
    await user(t, d.url, { userId: "a" });
    await refusal(client(t, d.url, { transports: WS }));
    assert.equal(metric(await metrics(d.url), "socketiod_handshakes_refused_total"), 1);
  });

  test("every sample line is well-formed", async (t) => {
    const d = await startSocketiod(t, []);
    const text = await metrics(d.url);
    assert.ok(text.endsWith("\n"));
    const typed = new Set();
    for (const line of text.trimEnd().split("\n")) {
      let m;
      if ((m = /^# TYPE (\w+) (counter|gauge)$/.exec(line))) { typed.add(m[1]); continue; }
      if (/^# HELP \w+ .+$/.test(line)) continue;
      m = /^(\w+)(\{[a-z_]+="[^"\\]*"\})? (-?\d+(\.\d+)?)$/.exec(line);
      assert.ok(m, `bad line ${JSON.stringify(line)}`);
      assert.ok(typed.has(m[1]), `${m[1]} without # TYPE`);
      assert.ok(m[1].startsWith("socketiod_"), line);
    }
    for (const name of ["socketiod_rate_limited_total", "socketiod_auth_failures_total", "socketiod_connections", "socketiod_uptime_seconds"]) {
      assert.ok(typed.has(name), name);
    }
  });
});
