// socketiod HTTP API for back ends (--api-key): POST /api/emit,
// /api/notify, /api/disconnect, GET /api/rooms/{room}, /api/stats; its
// errors (401, 403, 404, 405, 415, 400, 413), and 404 for every /api path
// when no key is configured.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { useSocketiod, startSocketiod, user, call, nothing, next, unique, http, sync } from "../lib/socketiod.mjs";
import { disconnected } from "../lib/sio.mjs";

const KEY = "api-test-key-0123456789";
const srv = useSocketiod(["--api-key", KEY]);

function who(tag) {
  return { userId: unique(tag), username: tag };
}

const emit = (body) => http(srv.url, "POST", "/api/emit", { key: KEY, body });

describe("authorization", () => {
  test("401 without the key, 403 with a wrong one", async () => {
    for (const [method, p] of [["POST", "/api/emit"], ["GET", "/api/stats"], ["GET", "/api/rooms/x"], ["POST", "/api/nope"]]) {
      const body = method === "POST" ? { event: "x" } : undefined;
      const none = await http(srv.url, method, p, { body });
      assert.equal(none.status, 401, `${method} ${p} without a key`);
      assert.deepEqual(none.json, { error: "missing API key" });
      assert.equal(none.headers.get("www-authenticate"), "Bearer");
      assert.match(none.headers.get("content-type"), /^application\/json/);
      const basic = await http(srv.url, method, p, { body, headers: { Authorization: `Basic ${Buffer.from(`x:${KEY}`).toString("base64")}` } });
      assert.equal(basic.status, 401, `${method} ${p} with Basic`);
      for (const key of ["wrong", `${KEY}x`, KEY.slice(0, -1), ""]) {
        const bad = await http(srv.url, method, p, { body, key });
        assert.equal(bad.status, key === "" ? 401 : 403, `${method} ${p} with key ${JSON.stringify(key)}`);
        if (key !== "") assert.deepEqual(bad.json, { error: "invalid API key" });
      }
    }
  });

  test("no --api-key: every /api path is 404 {error:\"not found\"}, even with a key", async (t) => {
    const d = await startSocketiod(t, []);
    const reqs = [
      ["POST", "/api/emit", { event: "x" }], ["POST", "/api/notify", { userId: "u", notification: {} }],
      ["POST", "/api/disconnect", { userId: "u" }], ["GET", "/api/stats"], ["GET", "/api/rooms/x"],
      ["GET", "/api"], ["GET", "/api/"], ["DELETE", "/api/emit"],
    ];
    for (const [method, p, body] of reqs) {
      for (const key of [undefined, KEY]) {
        const r = await http(d.url, method, p, { body, key });
        assert.equal(r.status, 404, `${method} ${p}`);
        assert.deepEqual(r.json, { error: "not found" }, `${method} ${p}`);
      }
    }
    // the rest of the server is there
    assert.equal((await http(d.url, "GET", "/health")).status, 200);
  });
});

describe("request errors", () => {
  test("404 unknown /api paths, 405 wrong methods", async () => {
    for (const p of ["/api", "/api/", "/api/nope", "/api/emit/x", "/api/rooms/", "/api/statsx"]) {
      const r = await http(srv.url, "GET", p, { key: KEY });
      assert.equal(r.status, 404, p);
      assert.deepEqual(r.json, { error: "not found" }, p);
    }
    for (const p of ["/api/emit", "/api/notify", "/api/disconnect"]) {
      const r = await http(srv.url, "GET", p, { key: KEY });
      assert.equal(r.status, 405, `GET ${p}`);
      assert.deepEqual(r.json, { error: "method not allowed" });
      assert.equal(r.headers.get("allow"), "POST");
    }
    for (const p of ["/api/stats", "/api/rooms/x"]) {
      const r = await http(srv.url, "POST", p, { key: KEY, body: {} });
      assert.equal(r.status, 405, `POST ${p}`);
      assert.match(r.headers.get("allow"), /^GET\b/);
    }
  });

  test("415 a body that is not application/json", async () => {
    for (const contentType of ["text/plain", "application/x-www-form-urlencoded", "application/jsonx", null]) {
      const r = await http(srv.url, "POST", "/api/emit", { key: KEY, raw: JSON.stringify({ event: "x" }), contentType });
      assert.equal(r.status, 415, `Content-Type ${contentType}`);
      assert.deepEqual(r.json, { error: "expected application/json" });
    }
    const ok = await http(srv.url, "POST", "/api/emit", { key: KEY, body: { event: "x" }, contentType: "application/json; charset=utf-8" });
    assert.equal(ok.status, 200);
  });

  test("400 bad JSON, not an object, missing or malformed members", async () => {
    const bodies = [
      ["{", "body must be a JSON object"],
      ["", "body must be a JSON object"],
      ["[1,2]", "body must be a JSON object"],
      ['"event"', "body must be a JSON object"],
      ['{"event":"x"} trailing', "body must be a JSON object"],
      ["{}", null],
      ['{"data":1}', null],
      ['{"event":""}', null],
      ['{"event":5}', null],
      ['{"event":"x","rooms":[1]}', null],
      ['{"event":"x","rooms":{"a":1}}', null],
      ['{"event":"x","except":[null]}', null],
    ];
    for (const [raw, error] of bodies) {
      const r = await http(srv.url, "POST", "/api/emit", { key: KEY, raw });
      assert.equal(r.status, 400, raw);
      assert.equal(typeof r.json?.error, "string", `${raw}: ${r.body}`);
      if (error) assert.equal(r.json.error, error, raw);
    }
    for (const [p, body] of [
      ["/api/notify", { notification: { title: "x" } }],
      ["/api/notify", { userId: "u", channelId: "c", notification: { title: "x" } }],
      ["/api/notify", { userId: "u" }],
      ["/api/notify", { userId: "u", notification: "text" }],
      ["/api/disconnect", {}],
      ["/api/disconnect", { userId: 5 }],
    ]) {
      const r = await http(srv.url, "POST", p, { key: KEY, body });
      assert.equal(r.status, 400, `${p} ${JSON.stringify(body)}`);
      assert.equal(typeof r.json?.error, "string");
    }
  });

  test("413 a body over 1 MB (1 000 000 bytes is still accepted)", async () => {
    const pad = (n) => `{"event":"x","data":"${"a".repeat(n - 23)}"}`;
    const max = pad(1_000_000);
    assert.equal(Buffer.byteLength(max), 1_000_000);
    const ok = await http(srv.url, "POST", "/api/emit", { key: KEY, raw: max });
    assert.equal(ok.status, 200, ok.body);
    const big = pad(1_000_001);
    const r = await http(srv.url, "POST", "/api/emit", { key: KEY, raw: big });
    // The engine refuses it from its Content-Length, before the API reads
    // it: 413 with an empty body (man/socketiod-events.7).
    assert.equal(r.status, 413);
    assert.equal(r.body, "");
    // the server is fine afterwards
    assert.equal((await http(srv.url, "GET", "/api/stats", { key: KEY })).status, 200);
  });


  test("with a larger --max-payload the API still refuses bodies over 1 MB", async (t) => {
    const d = await startSocketiod(t, ["--api-key", KEY, "--max-payload", "3000000"]);
    const big = `{"event":"x","data":"${"a".repeat(1_500_000)}"}`;
    const r = await http(d.url, "POST", "/api/emit", { key: KEY, raw: big });
    assert.equal(r.status, 413);
    assert.deepEqual(r.json, { error: "body too large" });
  });
});

describe("POST /api/emit", () => {
  test("to everyone; to rooms; except rooms: exactly the right sockets", async (t) => {
    const [r1, r2, ex] = [unique("r1"), unique("r2"), unique("ex")];
    const a = await user(t, srv.url, who("a")); // r1
    const b = await user(t, srv.url, who("b")); // r1, ex
    const c = await user(t, srv.url, who("c")); // r2
    const d = await user(t, srv.url, who("d")); // none
    await call(a, "join:room", { room: r1 });
    await call(b, "join:room", { room: r1 });
    await call(b, "join:room", { room: ex });
    await call(c, "join:room", { room: r2 });
    const all = [a, b, c, d];
    const got = async (event) => {
      const out = [];
      for (const s of all) {
        await sync(s);
        out.push(s.inbox.pending(event).map((it) => it.args[0]));
        s.inbox.items = s.inbox.items.filter((it) => it.event !== event);
      }
      return out;
    };
    const post = async (body) => {
      const r = await emit(body);
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(r.json, { ok: true });
    };
    await post({ event: "news", data: { n: 1 } });
    assert.deepEqual(await got("news"), [[{ n: 1 }], [{ n: 1 }], [{ n: 1 }], [{ n: 1 }]]);
    await post({ event: "news", data: 2, rooms: [r1] });
    assert.deepEqual(await got("news"), [[2], [2], [], []]);
    await post({ event: "news", data: 3, rooms: r2 });
    assert.deepEqual(await got("news"), [[], [], [3], []]);
    await post({ event: "news", data: 4, rooms: [r1, r2] });
    assert.deepEqual(await got("news"), [[4], [4], [4], []]);
    await post({ event: "news", data: 5, rooms: [r1, r2], except: [ex] });
    assert.deepEqual(await got("news"), [[5], [], [5], []]);
    await post({ event: "news", data: 6, except: [r1] });
    assert.deepEqual(await got("news"), [[], [], [6], [6]]);
    await post({ event: "news", data: 7, rooms: [`user:${c.auth.userId}`], namespace: "/" });
    assert.deepEqual(await got("news"), [[], [], [7], []]);
    await post({ event: "news", data: 8, rooms: [unique("nobody")] });
    assert.deepEqual(await got("news"), [[], [], [], []]);
    // no data: the event without arguments
    await post({ event: "ping-all", rooms: [r2] });
    await sync(c);
    const [ping] = c.inbox.pending("ping-all");
    // no argument (but the recovery offset the server appends to broadcasts)
    assert.ok(ping.args.length === 0 || (ping.args.length === 1 && typeof ping.args[0] === "string"), JSON.stringify(ping.args));
  });

  test("an unknown namespace is 404", async () => {
    const r = await emit({ event: "x", namespace: "/admin" });
    assert.equal(r.status, 404);
    assert.deepEqual(r.json, { error: "unknown namespace" });
  });

  test("reserved event names are refused and do not reach (or drop) the clients", async (t) => {
    const a = await user(t, srv.url, who("a"));
    let reason = null;
    a.on("disconnect", (r) => { reason = r; });
    for (const event of ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"]) {
      const r = await emit({ event, data: { x: 1 } });
      assert.equal(r.status, 400, `POST /api/emit {event:${JSON.stringify(event)}} answered ${r.status} ${r.body}`);
      assert.equal(reason, null, `the client was disconnected (${reason}) by an emit of "${event}"`);
    }
    await sync(a);
    assert.equal(a.connected, true);
  });
});

describe("POST /api/notify", () => {
  test("{ok, id, delivered}; to a user; to a channel with from", async (t) => {
    const alice = who("alice");
    const bob = who("bob");
    const channelId = unique("ch");
    const a = await user(t, srv.url, alice);
    const b = await user(t, srv.url, bob);
    await call(a, "notifications:subscribe", { channelId });
    await call(b, "notifications:subscribe", { channelId });
    const r = await http(srv.url, "POST", "/api/notify", { key: KEY, body: { userId: alice.userId, notification: { type: "t", title: "T", message: "M" } } });
    assert.equal(r.status, 200);
    assert.equal(r.json.ok, true);
    assert.equal(typeof r.json.id, "string");
    assert.equal(r.json.delivered, 1);
    assert.equal((await next(a, "notification")).id, r.json.id);
    await nothing(b, "notification");
    const r2 = await http(srv.url, "POST", "/api/notify", { key: KEY, body: { channelId, from: bob.userId, notification: { type: "t", title: "T2" } } });
    assert.equal(r2.status, 200);
    assert.equal(r2.json.delivered, 1);
    assert.equal((await next(a, "notification")).title, "T2");
    await nothing(b, "notification");
  });
});

describe("GET /api/rooms/{room} and /api/stats", () => {
  test("room: count and users (URL-decoded name)", async (t) => {
    const room = `${unique("room")} with/slash:é`;
    const alice = who("alice");
    const a1 = await user(t, srv.url, alice);
    const a2 = await user(t, srv.url, alice);
    const b = await user(t, srv.url, { userId: `0-${unique("bob")}`, username: "bob" });
    for (const s of [a1, a2, b]) await call(s, "join:room", { room });
    const r = await http(srv.url, "GET", `/api/rooms/${encodeURIComponent(room)}`, { key: KEY });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(r.json, {
      room, count: 3, users: [{ userId: b.auth.userId, username: "bob" }, { userId: alice.userId, username: "alice" }],
    });
    const empty = await http(srv.url, "GET", `/api/rooms/${unique("empty")}`, { key: KEY });
    assert.equal(empty.status, 200);
    assert.equal(empty.json.count, 0);
    assert.deepEqual(empty.json.users, []);
    const bad = await http(srv.url, "GET", "/api/rooms/%zz", { key: KEY });
    assert.equal(bad.status, 400);
  });

  test("stats: connections, peak, rooms, messagesIn, messagesOut, uptime", async (t) => {
    const r0 = await http(srv.url, "GET", "/api/stats", { key: KEY });
    const a = await user(t, srv.url, who("a"));
    await user(t, srv.url, who("b"));
    const room = unique("chat");
    await call(a, "chat:join", { room });
    await call(a, "chat:message", { room, message: "counted" });
    const r = await http(srv.url, "GET", "/api/stats", { key: KEY });
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.json).sort(), ["connections", "messagesIn", "messagesOut", "peak", "rooms", "uptime"]);
    for (const [k, v] of Object.entries(r.json)) assert.equal(typeof v, "number", k);
    assert.equal(r.json.connections, r0.json.connections + 2);
    assert.ok(r.json.peak >= r.json.connections);
    assert.ok(r.json.rooms >= 1);
    assert.ok(r.json.messagesIn > r0.json.messagesIn);
    assert.ok(r.json.messagesOut > r0.json.messagesOut);
    assert.ok(r.json.uptime >= 0);
  });
});

describe("POST /api/disconnect", () => {
  test("every socket of the user, nobody else; reason io server disconnect", async (t) => {
    const alice = who("alice");
    const a1 = await user(t, srv.url, alice);
    const a2 = await user(t, srv.url, alice, { transports: ["polling"] });
    const b = await user(t, srv.url, who("bob"));
    const gone = [disconnected(a1), disconnected(a2)];
    const r = await http(srv.url, "POST", "/api/disconnect", { key: KEY, body: { userId: alice.userId } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { ok: true, disconnected: 2 });
    assert.deepEqual(await Promise.all(gone), ["io server disconnect", "io server disconnect"]);
    await sync(b);
    assert.equal(b.connected, true);
    const again = await http(srv.url, "POST", "/api/disconnect", { key: KEY, body: { userId: alice.userId } });
    assert.deepEqual(again.json, { ok: true, disconnected: 0 });
  });
});
