// socketiod service, the event names of seed 004 (Discord-like):
// user:join, channel:join, message:send (message:new, notification:update
// unread badges), notifications:get.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { useSocketiod, user, call, nothing, next, forget, unique } from "../lib/socketiod.mjs";

const srv = useSocketiod();

function who(tag) {
  return { userId: unique(tag), username: tag };
}

/**
 * A chat server with alice and bob in channel "general", carol in
 * "random", and alice's second socket in the server but in no channel.
 */
async function guild(t) {
  const serverId = unique("srv");
  const general = unique("general");
  const random = unique("random");
  const alice = who("alice");
  const a = await user(t, srv.url, alice);
  const a2 = await user(t, srv.url, alice);
  const b = await user(t, srv.url, who("bob"));
  const c = await user(t, srv.url, who("carol"));
  const out = await user(t, srv.url, who("dave")); // not in the server
  for (const s of [a, a2, b, c]) assert.deepEqual(await call(s, "user:join", { serverId }), { ok: true, serverId });
  for (const s of [a, b]) {
    assert.deepEqual(await call(s, "channel:join", { serverId, channelId: general }), { ok: true, channelId: general });
  }
  assert.deepEqual(await call(c, "channel:join", { serverId, channelId: random }), { ok: true, channelId: random });
  for (const s of [a, a2, b, c]) forget(s, "notifications:count");
  return { serverId, general, random, a, a2, b, c, out };
}

describe("user:join / channel:join", () => {
  test("errors: invalid payload", async (t) => {
    const a = await user(t, srv.url, who("alice"));
    for (const bad of [[], [{}], ["s"], [{ serverId: "" }], [{ serverId: "s".repeat(130) }]]) {
      assert.deepEqual(await call(a, "user:join", ...bad), { ok: false, error: "invalid payload" }, `user:join ${JSON.stringify(bad)}`);
    }
    for (const bad of [[], [{ serverId: "s" }], [{ channelId: "" }]]) {
      assert.deepEqual(await call(a, "channel:join", ...bad), { ok: false, error: "invalid payload" },
        `channel:join ${JSON.stringify(bad)}`);
    }
  });

  test("channel:join leaves the previous channel", async (t) => {
    const { serverId, general, random, a, b, c } = await guild(t);
    assert.deepEqual(await call(b, "channel:join", { serverId, channelId: random }), { ok: true, channelId: random });
    const r = await call(a, "message:send", { channelId: general, serverId, content: "anyone?" });
    assert.equal(r.ok, true);
    await nothing(b, "message:new");
    assert.deepEqual(await call(b, "message:send", { channelId: general, content: "x" }), { ok: false, error: "not in room" });
    const r2 = await call(c, "message:send", { channelId: random, serverId, content: "hi bob" });
    assert.equal((await next(b, "message:new")).id, r2.id);
  });
});

describe("message:send", () => {
  test("the channel gets message:new; ack {id}", async (t) => {
    const { serverId, general, a, a2, b, c, out } = await guild(t);
    const before = Date.now();
    const r = await call(a, "message:send", { channelId: general, serverId, content: "hello guild", nonce: "n1" });
    assert.equal(r.ok, true);
    assert.equal(typeof r.id, "string");
    for (const s of [a, b]) {
      const m = await next(s, "message:new");
      assert.equal(typeof m.timestamp, "number");
      assert.ok(Math.abs(m.timestamp - before) < 60_000);
      assert.deepEqual({ ...m, timestamp: 0 }, {
        id: r.id, channelId: general, serverId, content: "hello guild", nonce: "n1",
        user: { userId: a.auth.userId, username: "alice" }, timestamp: 0,
      });
    }
    for (const s of [a2, c, out]) await nothing(s, "message:new");
  });

  test("unread badges: notification:update to server members outside the channel, not the sender", async (t) => {
    const { serverId, general, a, a2, b, c, out } = await guild(t);
    await call(a, "message:send", { channelId: general, serverId, content: "one" });
    assert.deepEqual(await next(c, "notification:update"), { serverId, channelId: general, count: 1 });
    // not the sender's other socket (in the server, not in the channel)
    await nothing(a2, "notification:update");
    await call(b, "message:send", { channelId: general, serverId, content: "two" });
    assert.deepEqual(await next(c, "notification:update"), { serverId, channelId: general, count: 2 });
    for (const s of [a, b, out]) await nothing(s, "notification:update");
    forget(a2, "notification:update");

    // notifications:get: ack and an event to the caller
    assert.deepEqual(await call(c, "notifications:get", { serverId }), { ok: true, serverId, count: 2 });
    assert.deepEqual(await next(c, "notifications:count"), { serverId, count: 2 });
    assert.deepEqual(await call(b, "notifications:get", { serverId }), { ok: true, serverId, count: 0 });

    // joining the channel clears the count; the user's sockets are told
    assert.deepEqual(await call(c, "channel:join", { serverId, channelId: general }), { ok: true, channelId: general });
    assert.deepEqual(await next(c, "notifications:count"), { serverId, count: 0 });
    assert.deepEqual(await call(c, "notifications:get", { serverId }), { ok: true, serverId, count: 0 });
    // now in the channel: messages, no badges
    await call(b, "message:send", { channelId: general, serverId, content: "three" });
    await next(c, "message:new", (m) => m.content === "three");
    await nothing(c, "notification:update");
  });

  test("without serverId: no badges", async (t) => {
    const { general, a, c } = await guild(t);
    const r = await call(a, "message:send", { channelId: general, content: "plain" });
    assert.equal(r.ok, true);
    await nothing(c, "notification:update");
  });

  test("errors: not in room, message required, message too long, invalid payload", async (t) => {
    const { serverId, general, a, b, c } = await guild(t);
    assert.deepEqual(await call(c, "message:send", { channelId: general, serverId, content: "x" }), { ok: false, error: "not in room" });
    assert.deepEqual(await call(a, "message:send", { channelId: general, serverId }), { ok: false, error: "message required" });
    assert.deepEqual(await call(a, "message:send", { channelId: general, content: "x".repeat(501) }),
      { ok: false, error: "message too long" });
    assert.deepEqual(await call(a, "message:send", { content: "x" }), { ok: false, error: "invalid payload" });
    assert.deepEqual(await call(a, "notifications:get", {}), { ok: false, error: "invalid payload" });
    await nothing(b, "message:new");
    await nothing(c, "notification:update");
  });
});
