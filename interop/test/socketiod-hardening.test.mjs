// socketiod: what a hostile or careless client or back end must not be
// able to do (each test is named after what broke before its fix): take
// over another socket's own room, leave the rooms it is given through
// chat:leave, grow the server's memory without bound (rooms per socket,
// chat rooms with history, posted payloads, offline users' state), get
// invalid JSON (Infinity) or invalid UTF-8 through the API, or smuggle NUL
// characters and non-strings in as chat messages.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { useSocketiod, startSocketiod, user, call, next, nothing, unique, http, SOCKETIOD } from "../lib/socketiod.mjs";
import { disconnected } from "../lib/sio.mjs";
import { RawConn, readResponse } from "../lib/util.mjs";

const KEY = "hardening-key-0123456789";
const srv = useSocketiod(["--api-key", KEY]);

function who(tag) {
  return { userId: unique(tag), username: tag };
}

const forbidden = { ok: false, error: "forbidden" };

describe("a socket's own room", () => {
  test("another socket's room cannot be joined, not even while that socket is gone and may still recover", async (t) => {
    const a = await user(t, srv.url, who("alice"));
    const b = await user(t, srv.url, who("mallory"));
    const aid = a.id;
    assert.deepEqual(await call(b, "join:room", { room: aid }), forbidden);
    // a's connection drops (no clean disconnect: its session is kept for
    // the recovery window, and so is its room's name)
    const gone = disconnected(a);
    a.io.engine.close();
    await gone;
    assert.deepEqual(await call(b, "join:room", { room: aid }), forbidden, "join:room of a recoverable socket's id");
    assert.deepEqual(await call(b, "join-room", aid), forbidden, "join-room of a recoverable socket's id");
    assert.deepEqual(await call(b, "chat:join", { room: aid }), forbidden, "chat:join of a recoverable socket's id");
    // any name of that shape is reserved; other 20-character names are not
    assert.deepEqual(await call(b, "join:room", { room: "abcdefghijklmnopqr_-" }), forbidden);
    const plain = "abcdefghijklmnopqrs!";
    assert.deepEqual(await call(b, "join:room", { room: plain }), { ok: true, room: plain, count: 1 });
    assert.deepEqual(await call(b, "join:room", { room: b.id }), { ok: true, room: b.id, count: 1 });
  });

  test("chat:leave cannot leave the rooms a socket is given", async (t) => {
    const me = who("alice");
    const a = await user(t, srv.url, me);
    for (const room of [`user:${me.userId}`, "admin", a.id]) {
      assert.deepEqual(await call(a, "chat:leave", { room }), forbidden, `chat:leave ${room}`);
    }
    const list = await call(a, "presence:list", { room: `user:${me.userId}` });
    assert.deepEqual(list.users, [{ userId: me.userId, username: "alice" }]);
    // still reachable through its own room: a relay would not do, the API does
    const r = await http(srv.url, "POST", "/api/emit", { key: KEY, body: { event: "ping-me", data: 1, rooms: a.id } });
    assert.equal(r.status, 200);
    assert.deepEqual(await next(a, "ping-me"), 1);
  });
});

describe("bounded memory", () => {
  test("--max-rooms-per-socket: past it, joins are refused with \"too many rooms\"; leaving makes room", async (t) => {
    const d = await startSocketiod(t, ["--max-rooms-per-socket", "3"]);
    const a = await user(t, d.url, who("alice"));
    const rooms = [unique("r"), unique("r"), unique("r")];
    assert.equal((await call(a, "join:room", { room: rooms[0] })).ok, true);
    assert.equal((await call(a, "chat:join", { room: rooms[1] })).ok, true);
    assert.equal((await call(a, "video:join", { videoId: rooms[2] })).ok, true);
    const tooMany = { ok: false, error: "too many rooms" };
    assert.deepEqual(await call(a, "join:room", { room: unique("r") }), tooMany);
    assert.deepEqual(await call(a, "notifications:subscribe", { channelId: "c1" }), tooMany);
    // joining one it is in is no new room
    assert.equal((await call(a, "join:room", { room: rooms[0] })).ok, true);
    assert.equal((await call(a, "leave:room", { room: rooms[0] })).ok, true);
    assert.equal((await call(a, "join:room", { room: unique("r") })).ok, true);
  });

  test("--history-rooms: a new room's history replaces that of a room nobody is in, never of one in use", async (t) => {
    const d = await startSocketiod(t, ["--history-rooms", "1"]);
    const a = await user(t, d.url, who("alice"));
    const [r1, r2, r3] = [unique("h"), unique("h"), unique("h")];
    await call(a, "chat:join", { room: r1 });
    assert.equal((await call(a, "chat:message", { room: r1, message: "one" })).ok, true);
    // r1 is in use: r2 keeps no history, r1 keeps its own
    await call(a, "chat:join", { room: r2 });
    assert.equal((await call(a, "chat:message", { room: r2, message: "two" })).ok, true);
    assert.deepEqual((await call(a, "chat:history", { room: r2 })).messages, []);
    assert.deepEqual((await call(a, "chat:history", { room: r1 })).messages.map((m) => m.message), ["one"]);
    // once r1 is empty, the next room's history takes its place
    await call(a, "chat:leave", { room: r1 });
    await call(a, "chat:join", { room: r3 });
    assert.equal((await call(a, "chat:message", { room: r3, message: "three" })).ok, true);
    assert.deepEqual((await call(a, "chat:history", { room: r3 })).messages.map((m) => m.message), ["three"]);
    assert.deepEqual((await call(a, "chat:history", { room: r1 })).messages, []);
  });

  test("chat:join returns at most the last 100 messages; chat:history pages back to the rest", async (t) => {
    const d = await startSocketiod(t, ["--history-size", "130", "--message-rate", "1000", "--event-rate", "0"]);
    const a = await user(t, d.url, who("alice"));
    const room = unique("long");
    await call(a, "chat:join", { room });
    for (let i = 0; i < 130; i++) await call(a, "chat:message", { room, message: `m${i}` });
    const b = await user(t, d.url, who("bob"));
    const joined = await call(b, "chat:join", { room });
    assert.equal(joined.history.length, 100);
    assert.equal(joined.history[0].message, "m30");
    assert.equal(joined.history[99].message, "m129");
    const older = await call(b, "chat:history", { room, before: joined.history[0].id, limit: 100 });
    assert.deepEqual(older.messages.map((m) => m.message), Array.from({ length: 30 }, (_, i) => `m${i}`));
  });

  test("a posted message (send-message, message:send) of more than 8 KiB of JSON is refused, not stored", async (t) => {
    const a = await user(t, srv.url, who("alice"));
    const roomId = unique("big");
    await call(a, "join-room", roomId);
    const big = { roomId, content: "hi", attachment: "x".repeat(9000) };
    assert.deepEqual(await call(a, "send-message", big), { ok: false, error: "payload too large" });
    const ok = await call(a, "send-message", { roomId, content: "hi", attachment: "x".repeat(7000) });
    assert.equal(ok.ok, true);
    await a.inbox.args("new-message", "the accepted message");
    await nothing(a, "new-message");
  });

  test("--offline-state: an offline user's notifications are kept that long, then forgotten", async (t) => {
    const d = await startSocketiod(t, ["--api-key", KEY, "--offline-state", "300"]);
    const notify = (userId) => http(d.url, "POST", "/api/notify", { key: KEY, body: { userId, notification: { type: "t", title: "x", message: "y" } } });
    const kept = unique("kept");
    const lost = unique("lost");
    assert.equal((await notify(kept)).status, 200);
    assert.equal((await notify(lost)).status, 200);
    // within the time: the unread count is there
    const a = await user(t, d.url, { userId: kept, username: "k" });
    assert.deepEqual(await call(a, "notifications:count"), { ok: true, unread: 1 });
    // after it (a bounded wait, well past 300 ms)
    await new Promise((r) => setTimeout(r, 800));
    const b = await user(t, d.url, { userId: lost, username: "l" });
    assert.deepEqual(await call(b, "notifications:count"), { ok: true, unread: 0 });
  });
});

describe("messages", () => {
  test("a message that is not a string, or holds a NUL character, is \"invalid payload\"", async (t) => {
    const a = await user(t, srv.url, who("alice"));
    const room = unique("m");
    await call(a, "chat:join", { room });
    const invalid = { ok: false, error: "invalid payload" };
    for (const message of [5, true, { text: "x" }, ["x"], "a\u0000b"]) {
      assert.deepEqual(await call(a, "chat:message", { room, message }), invalid, `message ${JSON.stringify(message)}`);
    }
    for (const message of [undefined, null, ""]) {
      assert.deepEqual(await call(a, "chat:message", { room, message }), { ok: false, error: "message required" },
        `message ${JSON.stringify(message)}`);
    }
    const roomId = unique("m");
    await call(a, "join-room", roomId);
    assert.deepEqual(await call(a, "send-message", { roomId, content: 42 }), invalid);
    assert.deepEqual((await call(a, "chat:history", { room })).messages, []);
  });

  test("chat:join of a room joined with join:room announces the join and counts as a chat membership", async (t) => {
    const room = unique("both");
    const a = await user(t, srv.url, who("alice"));
    const b = await user(t, srv.url, who("bob"));
    await call(b, "chat:join", { room });
    await call(a, "join:room", { room });
    await call(a, "chat:join", { room });
    const joined = await next(b, "chat:message", (m) => m.system);
    assert.equal(joined.message, "alice joined");
    await call(a, "chat:leave", { room });
    const left = await next(b, "chat:message", (m) => m.system && m.message === "alice left");
    assert.equal(left.room, room);
  });

  test("leave-room stops the typing indicator of typing-start", async (t) => {
    const roomId = unique("typing");
    const a = await user(t, srv.url, who("alice"));
    const b = await user(t, srv.url, who("bob"));
    await call(a, "join-room", roomId);
    await call(b, "join-room", roomId);
    await call(a, "typing-start", { roomId });
    await next(b, "typing-start");
    await call(a, "leave-room", roomId);
    assert.deepEqual(await next(b, "typing-stop"), { roomId, userId: a.auth.userId, username: "alice" });
  });

  test("a number no JSON can hold (1e999) in an event is \"invalid payload\", not a silent drop", async (t) => {
    const a = await user(t, srv.url, who("alice"));
    const room = unique("inf");
    await call(a, "join:room", { room });
    // the stock client cannot send 1e999 (JSON.stringify makes it null):
    // the packet goes through its engine by hand, and its ack (id 1) is
    // read off the engine
    const engine = a.io.engine;
    const got = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no ack for the hand-written packet")), 3000);
      engine.on("packet", function onPacket(p) {
        if (p.type === "message" && String(p.data).startsWith("31[")) {
          clearTimeout(timer);
          engine.off("packet", onPacket);
          resolve(JSON.parse(String(p.data).slice(2)));
        }
      });
    });
    engine.write(`21${JSON.stringify(["location:share", { room }]).replace("}]", ',"lat":1e999}]')}`);
    assert.deepEqual(await got, [{ ok: false, error: "invalid payload" }]);
  });
});

describe("API input", () => {
  const emit = (raw) => http(srv.url, "POST", "/api/emit", { key: KEY, raw });

  test("invalid UTF-8, non-finite numbers and non-strict JSON are 400; a reserved name is still named", async (t) => {
    const a = await user(t, srv.url, who("alice"));
    const bad = [
      Buffer.concat([Buffer.from('{"event":"x","data":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
      '{"event":"x","data":1e999}',
      '{"event":"x","data":NaN}',
      "{'event':'x'}",
      '{"event":"x",}',
    ];
    for (const raw of bad) {
      const r = await emit(raw);
      assert.equal(r.status, 400, `body ${JSON.stringify(String(raw))}`);
      assert.deepEqual(r.json, { error: "body must be a JSON object" });
    }
    await nothing(a, "x");
    const reserved = await emit('{"event":"connect","data":1}');
    assert.equal(reserved.status, 400);
    assert.deepEqual(reserved.json, { error: "reserved event name" });
  });

  test("415 carries its reason phrase", async (t) => {
    const conn = await RawConn.connect(srv.port);
    t.after(() => conn.destroy());
    await conn.write(`POST /api/emit HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY}\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}`);
    const r = await readResponse(conn, "the 415");
    assert.equal(r.status, 415);
    assert.equal(r.reason, "Unsupported Media Type");
  });

  test("a userId too long for its room is refused, not cut to another user's", async (t) => {
    const long = "u".repeat(124);
    const r = await http(srv.url, "POST", "/api/notify", { key: KEY, body: { userId: long, notification: { title: "x" } } });
    assert.equal(r.status, 400);
    // an anonymous client naming itself so is known by its socket id instead
    const a = await user(t, srv.url, { userId: long, username: "long" });
    const list = await call(a, "presence:list", { room: `user:${a.id}` });
    assert.deepEqual(list.users, [{ userId: a.id, username: "long" }]);
  });
});

describe("configuration", () => {
  test("a --relay-event named as an event of the service is refused at start (exit 2)", () => {
    const r = spawnSync(SOCKETIOD, ["--port", "0", "--host", "127.0.0.1", "--relay-event", "chat:message"], { encoding: "utf8", timeout: 5000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--relay-event: 'chat:message' is an event of the service/);
  });
});
