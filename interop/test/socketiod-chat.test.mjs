// socketiod service: chat:join, chat:leave, chat:message, chat:history,
// chat:typing, chat:react, chat:read and chat:user-count; a chat room is
// {room} or {videoId} (room "video:V:chat"), echoed as the client named it.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  useSocketiod, startSocketiod, user, call, nothing, next, forget, unique, POLLING,
} from "../lib/socketiod.mjs";
import { closeClient } from "../lib/sio.mjs";

const srv = useSocketiod();

function who(tag) {
  return { userId: unique(tag), username: tag };
}

/** Users a, b (in the chat room) and c (not in it); a and b's join events are taken. */
async function trio(t, url = srv.url, key = "room", value = unique("chat")) {
  const a = await user(t, url, who("alice"));
  const b = await user(t, url, who("bob"));
  const c = await user(t, url, who("carol"));
  assert.equal((await call(a, "chat:join", { [key]: value })).ok, true);
  await next(a, "chat:user-count", (p) => p.count === 1);
  assert.equal((await call(b, "chat:join", { [key]: value })).ok, true);
  await next(a, "chat:user-count", (p) => p.count === 2);
  await next(b, "chat:user-count", (p) => p.count === 2);
  await next(a, "chat:message", (m) => m.system);
  return { a, b, c, target: { [key]: value } };
}

describe("chat:join and chat:leave", () => {
  test("join: ack with count and history; user-count to the room; a system message to the others", async (t) => {
    const room = unique("chat");
    const alice = who("alice");
    const bob = who("bob");
    const a = await user(t, srv.url, alice);
    const b = await user(t, srv.url, bob);
    assert.deepEqual(await call(a, "chat:join", { room }), { ok: true, room, count: 1, history: [] });
    assert.deepEqual(await next(a, "chat:user-count"), { room, count: 1 });
    assert.deepEqual(await call(b, "chat:join", { room }), { ok: true, room, count: 2, history: [] });
    assert.deepEqual(await next(a, "chat:user-count"), { room, count: 2 });
    assert.deepEqual(await next(b, "chat:user-count"), { room, count: 2 });
    const sys = await next(a, "chat:message");
    assert.equal(typeof sys.id, "string");
    assert.equal(typeof sys.timestamp, "number");
    assert.ok(Math.abs(sys.timestamp - Date.now()) < 60_000, `timestamp ${sys.timestamp} is ms since the epoch`);
    assert.deepEqual({ ...sys, id: 0, timestamp: 0 },
      { id: 0, room, userId: "system", username: "system", message: "bob joined", timestamp: 0, system: true });
    // the joiner does not get its own system message
    await nothing(b, "chat:message");
    // joining again: same answer, no new announcement
    assert.deepEqual(await call(b, "chat:join", { room }), { ok: true, room, count: 2, history: [] });
    await nothing(a, "chat:message");
    await nothing(a, "chat:user-count");
  });

  test("leave: ack; user-count and \"<username> left\" to those still in the room", async (t) => {
    const { a, b, c, target } = await trio(t);
    assert.deepEqual(await call(b, "chat:leave", target), { ok: true, ...target });
    assert.deepEqual(await next(a, "chat:user-count"), { ...target, count: 1 });
    const sys = await next(a, "chat:message");
    assert.equal(sys.message, "bob left");
    assert.equal(sys.system, true);
    assert.equal(sys.room, target.room);
    await nothing(b, "chat:message");
    await nothing(b, "chat:user-count");
    await nothing(c, "chat:message");
    // b can no longer send there
    assert.deepEqual(await call(b, "chat:message", { ...target, message: "hi" }), { ok: false, error: "not in room" });
    // leaving again is harmless and announces nothing
    assert.deepEqual(await call(b, "chat:leave", target), { ok: true, ...target });
    await nothing(a, "chat:message");
  });

  test("disconnecting counts as leaving every chat room", async (t) => {
    const { a, b, target } = await trio(t);
    const other = unique("chat");
    await call(a, "chat:join", { room: other });
    await call(b, "chat:join", { room: other });
    closeClient(b);
    for (const room of [target.room, other]) {
      assert.deepEqual(await next(a, "chat:user-count", (p) => p.room === room), { room, count: 1 });
      const sys = await next(a, "chat:message", (m) => m.room === room && m.message === "bob left");
      assert.equal(sys.system, true);
    }
  });

  test("malformed payloads", async (t) => {
    const a = await user(t, srv.url, who("alice"));
    for (const bad of [[], [{}], ["room"], [{ room: "" }], [{ room: 7 }], [{ roomId: "x" }]]) {
      assert.deepEqual(await call(a, "chat:join", ...bad), { ok: false, error: "invalid payload" },
        `chat:join ${JSON.stringify(bad)}`);
    }
    assert.deepEqual(await call(a, "chat:leave", {}), { ok: false, error: "invalid payload" });
    assert.deepEqual(await call(a, "chat:join", { room: "r".repeat(129) }), { ok: false, error: "invalid room" });
    // "video:" + videoId + ":chat" is over 128 bytes
    assert.deepEqual(await call(a, "chat:join", { videoId: "v".repeat(118) }), { ok: false, error: "invalid room" });
    assert.equal((await call(a, "chat:join", { videoId: "v".repeat(117) })).ok, true);
    assert.equal((await call(a, "chat:join", { room: "r".repeat(128) })).ok, true);
    assert.deepEqual(await call(a, "chat:join", { room: "private:staff" }), { ok: false, error: "forbidden" });
    assert.deepEqual(await call(a, "chat:join", { room: "user:someone-else" }), { ok: false, error: "forbidden" });
  });
});

describe("chat:message", () => {
  test("everyone in the room gets it, the sender included; ack {id, timestamp}", async (t) => {
    const { a, b, c, target } = await trio(t);
    const r = await call(a, "chat:message", { ...target, message: "hello there" });
    assert.equal(r.ok, true);
    assert.equal(typeof r.id, "string");
    assert.ok(r.id.length > 0);
    assert.equal(typeof r.timestamp, "number");
    assert.ok(Math.abs(r.timestamp - Date.now()) < 60_000);
    const want = { id: r.id, ...target, userId: a.auth.userId, username: "alice", message: "hello there", timestamp: r.timestamp };
    assert.deepEqual(await next(a, "chat:message", (m) => m.id === r.id), want);
    assert.deepEqual(await next(b, "chat:message", (m) => m.id === r.id), want);
    await nothing(c, "chat:message");
    // ids are unique
    const r2 = await call(b, "chat:message", { ...target, message: "again" });
    assert.notEqual(r2.id, r.id);
  });

  test("stored in the history (system messages are not); a new member gets it on join", async (t) => {
    const { a, b, c, target } = await trio(t);
    const r1 = await call(a, "chat:message", { ...target, message: "one" });
    const r2 = await call(b, "chat:message", { ...target, message: "two" });
    const j = await call(c, "chat:join", target);
    assert.equal(j.count, 3);
    assert.deepEqual(j.history.map((m) => [m.id, m.message, m.username]),
      [[r1.id, "one", "alice"], [r2.id, "two", "bob"]]);
    assert.deepEqual(j.history[0], {
      id: r1.id, ...target, userId: a.auth.userId, username: "alice", message: "one", timestamp: r1.timestamp,
    });
  });

  test("errors: not in room, message required, message too long, invalid payload", async (t) => {
    const { a, c, target } = await trio(t);
    assert.deepEqual(await call(c, "chat:message", { ...target, message: "hi" }), { ok: false, error: "not in room" });
    for (const message of [undefined, "", null]) {
      assert.deepEqual(await call(a, "chat:message", { ...target, message }), { ok: false, error: "message required" },
        `message ${JSON.stringify(message)}`);
    }
    for (const message of [42, ["x"]]) {
      assert.deepEqual(await call(a, "chat:message", { ...target, message }), { ok: false, error: "invalid payload" },
        `message ${JSON.stringify(message)}`);
    }
    assert.deepEqual(await call(a, "chat:message", { ...target, message: "x".repeat(500) }).then((r) => r.ok), true);
    assert.deepEqual(await call(a, "chat:message", { ...target, message: "x".repeat(501) }),
      { ok: false, error: "message too long" });
    assert.deepEqual(await call(a, "chat:message", { message: "hi" }), { ok: false, error: "invalid payload" });
    assert.deepEqual(await call(a, "chat:message", "hi"), { ok: false, error: "invalid payload" });
    // nothing of that reached the others but the one good message
    await nothing(c, "chat:message");
  });

  test("over HTTP long-polling", async (t) => {
    const room = unique("chat");
    const a = await user(t, srv.url, who("alice"), { transports: POLLING });
    const b = await user(t, srv.url, who("bob"), { transports: POLLING });
    assert.equal(a.io.engine.transport.name, "polling");
    assert.deepEqual(await call(a, "chat:join", { room }), { ok: true, room, count: 1, history: [] });
    assert.deepEqual(await call(b, "chat:join", { room }), { ok: true, room, count: 2, history: [] });
    assert.equal((await next(a, "chat:message")).message, "bob joined");
    const r = await call(b, "chat:message", { room, message: "over polling ✓" });
    assert.equal(r.ok, true);
    for (const s of [a, b]) {
      const m = await next(s, "chat:message", (x) => x.id === r.id);
      assert.equal(m.message, "over polling ✓");
      assert.equal(m.username, "bob");
    }
    const h = await call(a, "chat:history", { room });
    assert.deepEqual(h.messages.map((m) => m.id), [r.id]);
  });
});

describe("chat rooms of a video ({videoId})", () => {
  test("videoId V is the room \"video:V:chat\"; payloads say videoId", async (t) => {
    const videoId = unique("vid");
    const { a, b, c, target } = await trio(t, srv.url, "videoId", videoId);
    const list = await call(c, "presence:list", { room: `video:${videoId}:chat` });
    assert.deepEqual(list.users.map((u) => u.username).sort(), ["alice", "bob"]);
    // not the video room itself
    assert.deepEqual((await call(c, "presence:list", { room: `video:${videoId}` })).users, []);
    const r = await call(b, "chat:message", { videoId, message: "nice" });
    const m = await next(a, "chat:message", (x) => x.id === r.id);
    assert.equal(m.videoId, videoId);
    assert.equal(m.room, undefined);
    // the same room named by {room}
    const h = await call(c, "chat:history", { room: `video:${videoId}:chat` });
    assert.deepEqual(h.messages.map((x) => x.id), [r.id]);
    assert.deepEqual(await call(c, "chat:message", { ...target, message: "x" }), { ok: false, error: "not in room" });
  });
});

describe("chat:history", () => {
  test("oldest first; before and limit page backwards; readable without joining", async (t) => {
    const { a, c, target } = await trio(t);
    const ids = [];
    for (let i = 0; i < 6; i++) ids.push((await call(a, "chat:message", { ...target, message: `m${i}` })).id);
    const all = await call(c, "chat:history", target);
    assert.equal(all.ok, true);
    assert.deepEqual(all.messages.map((m) => m.id), ids);
    assert.deepEqual(all.messages.map((m) => m.message), ["m0", "m1", "m2", "m3", "m4", "m5"]);
    assert.deepEqual((await call(c, "chat:history", { ...target, limit: 2 })).messages.map((m) => m.id), ids.slice(4));
    assert.deepEqual((await call(c, "chat:history", { ...target, before: ids[4] })).messages.map((m) => m.id), ids.slice(0, 4));
    assert.deepEqual((await call(c, "chat:history", { ...target, before: ids[4], limit: 3 })).messages.map((m) => m.id),
      ids.slice(1, 4));
    assert.deepEqual((await call(c, "chat:history", { ...target, before: ids[0] })).messages, []);
    assert.deepEqual(await call(c, "chat:history", { room: unique("empty") }).then((r) => r.messages), []);
  });

  test("errors: invalid limit, no room, forbidden rooms", async (t) => {
    const a = await user(t, srv.url, who("alice"));
    const room = unique("chat");
    for (const limit of [0, 101, -1, "5", 2.5]) {
      assert.deepEqual(await call(a, "chat:history", { room, limit }), { ok: false, error: "invalid payload" },
        `limit ${JSON.stringify(limit)}`);
    }
    assert.equal((await call(a, "chat:history", { room, limit: 100 })).ok, true);
    assert.deepEqual(await call(a, "chat:history", {}), { ok: false, error: "invalid payload" });
    assert.deepEqual(await call(a, "chat:history", { room: "private:staff" }), { ok: false, error: "forbidden" });
    assert.deepEqual(await call(a, "chat:history", { room: "user:someone-else" }), { ok: false, error: "forbidden" });
    assert.deepEqual(await call(a, "chat:history", { room: "admin" }), { ok: false, error: "forbidden" });
  });

  test("--history-size 3 keeps the last 3 messages", async (t) => {
    const d = await startSocketiod(t, ["--history-size", "3"]);
    const { a, c, target } = await trio(t, d.url);
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await call(a, "chat:message", { ...target, message: `m${i}` })).id);
    assert.deepEqual((await call(c, "chat:history", target)).messages.map((m) => m.id), ids.slice(2));
    assert.deepEqual((await call(c, "chat:join", target)).history.map((m) => m.id), ids.slice(2));
    assert.deepEqual((await call(c, "chat:history", { ...target, before: ids[3] })).messages.map((m) => m.id), [ids[2]]);
  });

  test("before = an id no longer (or never) in the history does not return newer messages", async (t) => {
    // A client paging backwards with the oldest id it has must not get the
    // newest page again when that id has dropped out of the history.
    const d = await startSocketiod(t, ["--history-size", "3"]);
    const { a, c, target } = await trio(t, d.url);
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await call(a, "chat:message", { ...target, message: `m${i}` })).id);
    for (const before of [ids[0], "no-such-id"]) {
      const r = await call(c, "chat:history", { ...target, before });
      if (r.ok) {
        assert.deepEqual(r.messages.map((m) => m.message), [],
          `chat:history before ${before} (not in the history) answered messages newer than it`);
      }
    }
  });
});

describe("chat:typing", () => {
  test("the others get it, not the sender; isTyping:false stops it", async (t) => {
    const { a, b, c, target } = await trio(t);
    assert.deepEqual(await call(a, "chat:typing", { ...target, isTyping: true }), { ok: true });
    assert.deepEqual(await next(b, "chat:typing"),
      { ...target, userId: a.auth.userId, username: "alice", isTyping: true });
    await nothing(a, "chat:typing");
    await nothing(c, "chat:typing");
    // a refresh while typing is not announced again
    assert.deepEqual(await call(a, "chat:typing", { ...target, isTyping: true }), { ok: true });
    await nothing(b, "chat:typing");
    assert.deepEqual(await call(a, "chat:typing", { ...target, isTyping: false }), { ok: true });
    assert.deepEqual(await next(b, "chat:typing"),
      { ...target, userId: a.auth.userId, username: "alice", isTyping: false });
    await nothing(a, "chat:typing");
  });

  test("a typist who disconnects stops typing", async (t) => {
    const { a, b, target } = await trio(t);
    await call(a, "chat:typing", { ...target, isTyping: true });
    await next(b, "chat:typing", (p) => p.isTyping === true);
    closeClient(a);
    assert.deepEqual(await next(b, "chat:typing"),
      { ...target, userId: a.auth.userId, username: "alice", isTyping: false });
  });

  test("a typist who leaves the room stops typing", async (t) => {
    // (default --typing-timeout 5000: the stop must come with the leave,
    // not from the expiry)
    const { a, b, target } = await trio(t);
    await call(a, "chat:typing", { ...target, isTyping: true });
    await next(b, "chat:typing", (p) => p.isTyping === true);
    await call(a, "chat:leave", target);
    await next(b, "chat:message", (m) => m.message === "alice left");
    assert.deepEqual(await next(b, "chat:typing", () => true, 2_000),
      { ...target, userId: a.auth.userId, username: "alice", isTyping: false });
  });

  test("errors: not in room, invalid payload", async (t) => {
    const { a, b, c, target } = await trio(t);
    assert.deepEqual(await call(c, "chat:typing", { ...target, isTyping: true }), { ok: false, error: "not in room" });
    assert.deepEqual(await call(a, "chat:typing", target), { ok: false, error: "invalid payload" });
    assert.deepEqual(await call(a, "chat:typing", { ...target, isTyping: "yes" }), { ok: false, error: "invalid payload" });
    assert.deepEqual(await call(a, "chat:typing", { isTyping: true }), { ok: false, error: "invalid payload" });
    await nothing(b, "chat:typing");
  });

  test("--typing-timeout 300: an unrefreshed isTyping:true expires", async (t) => {
    const d = await startSocketiod(t, ["--typing-timeout", "300"]);
    const { a, b, c, target } = await trio(t, d.url);
    await call(a, "chat:typing", { ...target, isTyping: true });
    assert.equal((await next(b, "chat:typing")).isTyping, true);
    assert.deepEqual(await next(b, "chat:typing", () => true, 5_000),
      { ...target, userId: a.auth.userId, username: "alice", isTyping: false });
    await nothing(a, "chat:typing");
    await nothing(c, "chat:typing");
    // it can start again
    await call(a, "chat:typing", { ...target, isTyping: true });
    assert.equal((await next(b, "chat:typing")).isTyping, true);
    assert.equal((await next(b, "chat:typing", () => true, 5_000)).isTyping, false);
  });
});

describe("chat:react and chat:read", () => {
  test("chat:react: the room (sender included) gets chat:reaction", async (t) => {
    const { a, b, c, target } = await trio(t);
    const { id } = await call(a, "chat:message", { ...target, message: "react to me" });
    assert.deepEqual(await call(b, "chat:react", { ...target, messageId: id, emoji: "👍" }), { ok: true });
    const want = { ...target, messageId: id, emoji: "👍", userId: b.auth.userId, username: "bob" };
    assert.deepEqual(await next(a, "chat:reaction"), want);
    assert.deepEqual(await next(b, "chat:reaction"), want);
    await nothing(c, "chat:reaction");
  });

  test("chat:react errors: message not found, emoji, not in room", async (t) => {
    const { a, b, c, target } = await trio(t);
    const { id } = await call(a, "chat:message", { ...target, message: "m" });
    assert.deepEqual(await call(b, "chat:react", { ...target, messageId: "nope", emoji: "👍" }),
      { ok: false, error: "message not found" });
    // a message of another room is not found in this one
    const other = unique("chat");
    await call(a, "chat:join", { room: other });
    assert.deepEqual(await call(a, "chat:react", { room: other, messageId: id, emoji: "👍" }),
      { ok: false, error: "message not found" });
    assert.deepEqual(await call(b, "chat:react", { ...target, messageId: id, emoji: "" }), { ok: false, error: "invalid payload" });
    assert.equal((await call(b, "chat:react", { ...target, messageId: id, emoji: "e".repeat(32) })).ok, true);
    assert.deepEqual(await call(b, "chat:react", { ...target, messageId: id, emoji: "e".repeat(33) }),
      { ok: false, error: "invalid payload" });
    assert.deepEqual(await call(b, "chat:react", { ...target, emoji: "👍" }), { ok: false, error: "invalid payload" });
    assert.deepEqual(await call(c, "chat:react", { ...target, messageId: id, emoji: "👍" }), { ok: false, error: "not in room" });
    forget(a, "chat:reaction");
    forget(b, "chat:reaction");
  });

  test("chat:read: the others get the receipt, not the reader", async (t) => {
    const { a, b, c, target } = await trio(t);
    const { id } = await call(a, "chat:message", { ...target, message: "read me" });
    const before = Date.now();
    assert.deepEqual(await call(b, "chat:read", { ...target, messageId: id }), { ok: true });
    const r = await next(a, "chat:read");
    assert.equal(typeof r.timestamp, "number");
    assert.ok(Math.abs(r.timestamp - before) < 60_000);
    assert.deepEqual({ ...r, timestamp: 0 },
      { ...target, messageId: id, userId: b.auth.userId, username: "bob", timestamp: 0 });
    await nothing(b, "chat:read");
    await nothing(c, "chat:read");
  });

  test("chat:read errors: not in room, invalid payload", async (t) => {
    const { a, b, c, target } = await trio(t);
    assert.deepEqual(await call(c, "chat:read", { ...target, messageId: "x" }), { ok: false, error: "not in room" });
    assert.deepEqual(await call(b, "chat:read", target), { ok: false, error: "invalid payload" });
    assert.deepEqual(await call(b, "chat:read", { messageId: "x" }), { ok: false, error: "invalid payload" });
    await nothing(a, "chat:read");
  });
});

describe("--max-message-length", () => {
  test("counts characters (code points), not bytes", async (t) => {
    const d = await startSocketiod(t, ["--max-message-length", "5"]);
    const room = unique("chat");
    const a = await user(t, d.url, who("alice"));
    await call(a, "chat:join", { room });
    for (const message of ["abcde", "ééééé", "€€€€€", "😀😀😀😀😀"]) {
      const r = await call(a, "chat:message", { room, message });
      assert.equal(r.ok, true, `${JSON.stringify(message)} (${[...message].length} characters, ${Buffer.byteLength(message)} bytes): ${JSON.stringify(r)}`);
      assert.equal((await next(a, "chat:message", (m) => m.id === r.id)).message, message);
    }
    for (const message of ["abcdef", "éééééé", "😀😀😀😀😀😀"]) {
      assert.deepEqual(await call(a, "chat:message", { room, message }), { ok: false, error: "message too long" },
        JSON.stringify(message));
    }
  });
});
