// socketiod service: join:room / leave:room and seed 001's join-room /
// leave-room, room name checks and room permissions.
//
// "Did not receive" is checked with sync(): a round trip through the
// server after the action was acked, so anything the action sent to that
// client has arrived before it resolves.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { useSocketiod, user, call, nothing, next, unique } from "../lib/socketiod.mjs";
import { closeClient } from "../lib/sio.mjs";

const srv = useSocketiod();

function who(tag) {
  return { userId: unique(tag), username: tag };
}

describe("join:room / leave:room", () => {
  test("ack carries the room and its count after the change", async (t) => {
    const room = unique("r");
    const a = await user(t, srv.url, who("alice"));
    const b = await user(t, srv.url, who("bob"));
    assert.deepEqual(await call(a, "join:room", { room }), { ok: true, room, count: 1 });
    assert.deepEqual(await call(b, "join:room", { room }), { ok: true, room, count: 2 });
    // joining again changes nothing
    assert.deepEqual(await call(b, "join:room", { room }), { ok: true, room, count: 2 });
    assert.deepEqual(await call(a, "leave:room", { room }), { ok: true, room, count: 1 });
    // leaving a room one is not in is harmless
    assert.deepEqual(await call(a, "leave:room", { room }), { ok: true, room, count: 1 });
    const list = await call(b, "presence:list", { room });
    assert.deepEqual(list.users.map((u) => u.username), ["bob"]);
  });

  test("join:room takes no user-joined announcement", async (t) => {
    const room = unique("r");
    const a = await user(t, srv.url, who("alice"));
    const b = await user(t, srv.url, who("bob"));
    await call(a, "join:room", { room });
    await call(b, "join:room", { room });
    await nothing(a, "user-joined");
  });

  test("malformed payloads and room names", async (t) => {
    const a = await user(t, srv.url, who("alice"));
    for (const bad of [undefined, {}, { room: "" }, { room: 5 }, { room: null }, "a-string", [1]]) {
      const args = bad === undefined ? [] : [bad];
      assert.deepEqual(await call(a, "join:room", ...args), { ok: false, error: "invalid payload" },
        `join:room ${JSON.stringify(bad)}`);
    }
    assert.deepEqual(await call(a, "leave:room", {}), { ok: false, error: "invalid payload" });
    const max = "m".repeat(128);
    assert.deepEqual(await call(a, "join:room", { room: max }), { ok: true, room: max, count: 1 });
    assert.deepEqual(await call(a, "join:room", { room: "m".repeat(129) }), { ok: false, error: "invalid room" });
    // 128 bytes, not characters: 43 three-byte characters are 129 bytes
    assert.deepEqual(await call(a, "join:room", { room: "€".repeat(43) }), { ok: false, error: "invalid room" });
    assert.deepEqual(await call(a, "leave:room", { room: "m".repeat(129) }), { ok: false, error: "invalid room" });
  });

  test("permissions: user rooms, admin, private rooms, other sockets' rooms", async (t) => {
    const me = who("alice");
    const a = await user(t, srv.url, me);
    const b = await user(t, srv.url, who("bob"));
    const forbidden = { ok: false, error: "forbidden" };
    assert.deepEqual(await call(a, "join:room", { room: `user:${b.auth.userId}` }), forbidden);
    assert.deepEqual(await call(a, "join:room", { room: "admin" }), forbidden);
    assert.deepEqual(await call(a, "join:room", { room: "private:secret" }), forbidden);
    assert.deepEqual(await call(a, "join:room", { room: b.id }), forbidden);
    assert.deepEqual(await call(a, "join-room", "private:secret"), forbidden);
    // its own rooms: allowed (it is already in them)
    assert.deepEqual(await call(a, "join:room", { room: `user:${me.userId}` }),
      { ok: true, room: `user:${me.userId}`, count: 1 });
    assert.deepEqual(await call(a, "join:room", { room: a.id }), { ok: true, room: a.id, count: 1 });
    // nothing reached the rooms it may not join
    await nothing(b, "user-joined");
  });

  test("the rooms a socket is given cannot be left", async (t) => {
    const me = who("alice");
    const a = await user(t, srv.url, me);
    const forbidden = { ok: false, error: "forbidden" };
    assert.deepEqual(await call(a, "leave:room", { room: `user:${me.userId}` }), forbidden);
    assert.deepEqual(await call(a, "leave:room", { room: "admin" }), forbidden);
    assert.deepEqual(await call(a, "leave:room", { room: a.id }), forbidden);
    assert.deepEqual(await call(a, "leave-room", a.id), forbidden);
    // still in its user room
    const list = await call(a, "presence:list", { room: `user:${me.userId}` });
    assert.deepEqual(list.users, [{ userId: me.userId, username: "alice" }]);
  });
});

describe("join-room / leave-room (seed 001)", () => {
  test("the others get user-joined and user-left; the joiner does not", async (t) => {
    const roomId = unique("lobby");
    const alice = who("alice");
    const bob = who("bob");
    const a = await user(t, srv.url, alice);
    const b = await user(t, srv.url, bob);
    const c = await user(t, srv.url, who("carol")); // not in the room
    assert.deepEqual(await call(a, "join-room", roomId), { ok: true, room: roomId, count: 1 });
    assert.deepEqual(await call(b, "join-room", roomId), { ok: true, room: roomId, count: 2 });
    assert.deepEqual(await next(a, "user-joined"),
      { user: { userId: bob.userId, username: "bob" }, roomId });
    await nothing(b, "user-joined");
    await nothing(c, "user-joined");
    // joining again announces nothing
    assert.deepEqual(await call(b, "join-room", roomId), { ok: true, room: roomId, count: 2 });
    await nothing(a, "user-joined");

    assert.deepEqual(await call(b, "leave-room", roomId), { ok: true, room: roomId, count: 1 });
    assert.deepEqual(await next(a, "user-left"),
      { user: { userId: bob.userId, username: "bob" }, roomId });
    await nothing(b, "user-left");
    await nothing(c, "user-left");
  });

  test("an object {roomId} is accepted too", async (t) => {
    const roomId = unique("lobby");
    const a = await user(t, srv.url, who("alice"));
    assert.deepEqual(await call(a, "join-room", { roomId }), { ok: true, room: roomId, count: 1 });
    assert.deepEqual(await call(a, "leave-room", { roomId }), { ok: true, room: roomId, count: 0 });
  });

  test("disconnecting counts as leaving", async (t) => {
    const roomId = unique("lobby");
    const bob = who("bob");
    const a = await user(t, srv.url, who("alice"));
    const b = await user(t, srv.url, bob);
    await call(a, "join-room", roomId);
    await call(b, "join-room", roomId);
    await next(a, "user-joined");
    closeClient(b);
    assert.deepEqual(await next(a, "user-left"),
      { user: { userId: bob.userId, username: "bob" }, roomId });
    const list = await call(a, "presence:list", { room: roomId });
    assert.deepEqual(list.users.map((u) => u.userId), [a.auth.userId]);
  });

  test("malformed payloads", async (t) => {
    const a = await user(t, srv.url, who("alice"));
    for (const bad of [[], [5], [{}], [{ room: "x" }]]) {
      assert.deepEqual(await call(a, "join-room", ...bad), { ok: false, error: "invalid payload" },
        `join-room ${JSON.stringify(bad)}`);
    }
    assert.deepEqual(await call(a, "leave-room", 5), { ok: false, error: "invalid payload" });
    assert.deepEqual(await call(a, "join-room", ""), { ok: false, error: "invalid room" });
    assert.deepEqual(await call(a, "join-room", "x".repeat(129)), { ok: false, error: "invalid room" });
  });
});
