// socketiod service, the event names of seed 001 (momoLand): join-room /
// leave-room, send-message (new-message), typing-start / typing-stop,
// add-reaction (reaction-added).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { useSocketiod, startSocketiod, user, call, nothing, next, unique } from "../lib/socketiod.mjs";
import { closeClient } from "../lib/sio.mjs";

const srv = useSocketiod();

function who(tag) {
  return { userId: unique(tag), username: tag };
}

/** a and b in the room (joined with join-room), c outside it. */
async function trio(t, url = srv.url) {
  const roomId = unique("momo");
  const a = await user(t, url, who("alice"));
  const b = await user(t, url, who("bob"));
  const c = await user(t, url, who("carol"));
  assert.deepEqual(await call(a, "join-room", roomId), { ok: true, room: roomId, count: 1 });
  assert.deepEqual(await call(b, "join-room", roomId), { ok: true, room: roomId, count: 2 });
  await next(a, "user-joined");
  return { a, b, c, roomId };
}

describe("send-message", () => {
  test("the room (sender included) gets new-message with the payload's other fields kept; ack {id}", async (t) => {
    const { a, b, c, roomId } = await trio(t);
    const r = await call(a, "send-message", { roomId, content: "hi momo", replyTo: "m0", meta: { x: [1, 2] } });
    assert.equal(r.ok, true);
    assert.equal(typeof r.id, "string");
    assert.deepEqual(Object.keys(r).sort(), ["id", "ok"]);
    for (const s of [a, b]) {
      const m = await next(s, "new-message");
      assert.match(m.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(Math.abs(Date.parse(m.createdAt) - Date.now()) < 60_000, m.createdAt);
      assert.deepEqual({ ...m, createdAt: 0 }, {
        id: r.id, roomId, content: "hi momo", replyTo: "m0", meta: { x: [1, 2] },
        user: { userId: a.auth.userId, username: "alice" }, createdAt: 0,
      });
    }
    await nothing(c, "new-message");
  });

  test("{message} is accepted for {content}; server fields cannot be forged", async (t) => {
    const { a, b, roomId } = await trio(t);
    const r = await call(b, "send-message", {
      roomId, message: "via message", id: "forged", user: { userId: "admin" }, createdAt: "1970-01-01T00:00:00.000Z",
    });
    assert.equal(r.ok, true);
    const m = await next(a, "new-message");
    assert.equal(m.id, r.id);
    assert.equal(m.content, "via message");
    assert.deepEqual(m.user, { userId: b.auth.userId, username: "bob" });
    assert.notEqual(m.createdAt, "1970-01-01T00:00:00.000Z");
  });

  test("errors: not in room, message required, message too long, invalid payload", async (t) => {
    const { a, b, c, roomId } = await trio(t);
    assert.deepEqual(await call(c, "send-message", { roomId, content: "hi" }), { ok: false, error: "not in room" });
    assert.deepEqual(await call(a, "send-message", { roomId }), { ok: false, error: "message required" });
    assert.deepEqual(await call(a, "send-message", { roomId, content: "" }), { ok: false, error: "message required" });
    assert.deepEqual(await call(a, "send-message", { roomId, content: 5 }), { ok: false, error: "invalid payload" });
    assert.deepEqual(await call(a, "send-message", { roomId, content: "x".repeat(501) }), { ok: false, error: "message too long" });
    assert.deepEqual(await call(a, "send-message", { content: "hi" }), { ok: false, error: "invalid payload" });
    assert.deepEqual(await call(a, "send-message", "hi"), { ok: false, error: "invalid payload" });
    await nothing(b, "new-message");
  });
});

describe("typing-start / typing-stop", () => {
  test("the others get them, not the typist", async (t) => {
    const { a, b, c, roomId } = await trio(t);
    assert.deepEqual(await call(a, "typing-start", { roomId }), { ok: true });
    assert.deepEqual(await next(b, "typing-start"), { roomId, userId: a.auth.userId, username: "alice" });
    assert.deepEqual(await call(a, "typing-stop", { roomId }), { ok: true });
    assert.deepEqual(await next(b, "typing-stop"), { roomId, userId: a.auth.userId, username: "alice" });
    for (const ev of ["typing-start", "typing-stop"]) {
      await nothing(a, ev);
      await nothing(c, ev);
    }
    // a stop without a start says nothing
    assert.deepEqual(await call(a, "typing-stop", { roomId }), { ok: true });
    await nothing(b, "typing-stop");
  });

  test("a typist who disconnects stops", async (t) => {
    const { a, b, roomId } = await trio(t);
    await call(a, "typing-start", { roomId });
    await next(b, "typing-start");
    closeClient(a);
    assert.deepEqual(await next(b, "typing-stop"), { roomId, userId: a.auth.userId, username: "alice" });
  });

  test("errors: not in room, invalid payload", async (t) => {
    const { b, c, roomId } = await trio(t);
    assert.deepEqual(await call(c, "typing-start", { roomId }), { ok: false, error: "not in room" });
    assert.deepEqual(await call(c, "typing-stop", { roomId }), { ok: false, error: "not in room" });
    assert.deepEqual(await call(c, "typing-start", {}), { ok: false, error: "invalid payload" });
    assert.deepEqual(await call(c, "typing-start", roomId), { ok: false, error: "invalid payload" });
    await nothing(b, "typing-start");
  });

  test("--typing-timeout 300: typing-start expires into typing-stop", async (t) => {
    const d = await startSocketiod(t, ["--typing-timeout", "300"]);
    const { a, b, roomId } = await trio(t, d.url);
    await call(a, "typing-start", { roomId });
    await next(b, "typing-start");
    assert.deepEqual(await next(b, "typing-stop", () => true, 5_000),
      { roomId, userId: a.auth.userId, username: "alice" });
    await nothing(a, "typing-stop");
  });
});

describe("add-reaction", () => {
  test("the room gets reaction-added", async (t) => {
    const { a, b, c, roomId } = await trio(t);
    const { id } = await call(a, "send-message", { roomId, content: "react" });
    assert.deepEqual(await call(b, "add-reaction", { roomId, messageId: id, emoji: "🎉" }), { ok: true });
    const want = { roomId, messageId: id, emoji: "🎉", userId: b.auth.userId, username: "bob" };
    assert.deepEqual(await next(a, "reaction-added"), want);
    assert.deepEqual(await next(b, "reaction-added"), want);
    await nothing(c, "reaction-added");
    await nothing(a, "chat:reaction");
  });

  test("errors: message not found, not in room, invalid payload", async (t) => {
    const { a, b, c, roomId } = await trio(t);
    const { id } = await call(a, "send-message", { roomId, content: "react" });
    assert.deepEqual(await call(b, "add-reaction", { roomId, messageId: "nope", emoji: "🎉" }),
      { ok: false, error: "message not found" });
    assert.deepEqual(await call(c, "add-reaction", { roomId, messageId: id, emoji: "🎉" }), { ok: false, error: "not in room" });
    assert.deepEqual(await call(b, "add-reaction", { roomId, messageId: id }), { ok: false, error: "invalid payload" });
    await nothing(a, "reaction-added");
  });
});
