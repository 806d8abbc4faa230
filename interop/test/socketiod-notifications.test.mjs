// socketiod service: notifications:subscribe / :unsubscribe / :read /
// :count, and the delivery of POST /api/notify (to a user, to a channel's
// subscribers, never to its `from`).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { useSocketiod, user, call, nothing, next, forget, unique, http } from "../lib/socketiod.mjs";
import { closeClient } from "../lib/sio.mjs";

const KEY = "notifications-test-key";
const srv = useSocketiod(["--api-key", KEY]);

function who(tag) {
  return { userId: unique(tag), username: tag };
}

async function notify(body) {
  const r = await http(srv.url, "POST", "/api/notify", { key: KEY, body });
  assert.equal(r.status, 200, `POST /api/notify: ${r.status} ${r.body}`);
  assert.equal(r.json.ok, true);
  assert.equal(typeof r.json.id, "string");
  return r.json;
}

const note = (title) => ({ type: "mention", title, message: `about ${title}`, link: "/x" });

describe("notifications:subscribe / :unsubscribe", () => {
  test("ack {channelId}; only subscribers get the channel's notifications", async (t) => {
    const channelId = unique("ch");
    const a = await user(t, srv.url, who("alice"));
    const b = await user(t, srv.url, who("bob"));
    assert.deepEqual(await call(a, "notifications:subscribe", { channelId }), { ok: true, channelId });
    assert.deepEqual(await call(b, "notifications:subscribe", { channelId }), { ok: true, channelId });
    assert.deepEqual(await call(b, "notifications:unsubscribe", { channelId }), { ok: true, channelId });
    const r = await notify({ channelId, notification: note("release") });
    assert.equal(r.delivered, 1);
    const n = await next(a, "notification");
    assert.equal(n.id, r.id);
    await nothing(b, "notification");
    // unsubscribing again is harmless
    assert.deepEqual(await call(b, "notifications:unsubscribe", { channelId }), { ok: true, channelId });
  });

  test("errors: invalid payload", async (t) => {
    const a = await user(t, srv.url, who("alice"));
    for (const bad of [[], [{}], ["ch"], [{ channelId: "" }], [{ channelId: true }], [{ channelId: "c".repeat(130) }]]) {
      assert.deepEqual(await call(a, "notifications:subscribe", ...bad), { ok: false, error: "invalid payload" },
        `subscribe ${JSON.stringify(bad)}`);
    }
    assert.deepEqual(await call(a, "notifications:unsubscribe", {}), { ok: false, error: "invalid payload" });
  });
});

describe("delivery of /api/notify", () => {
  test("to a user: every socket of that user, nobody else; unread count follows", async (t) => {
    const alice = who("alice");
    const a1 = await user(t, srv.url, alice);
    const a2 = await user(t, srv.url, alice);
    const b = await user(t, srv.url, who("bob"));
    const before = Date.now();
    const r = await notify({ userId: alice.userId, notification: note("hello") });
    assert.equal(r.delivered, 2);
    for (const s of [a1, a2]) {
      const n = await next(s, "notification");
      assert.equal(typeof n.timestamp, "number");
      assert.ok(Math.abs(n.timestamp - before) < 60_000);
      assert.deepEqual({ ...n, timestamp: 0 },
        { id: r.id, type: "mention", title: "hello", message: "about hello", link: "/x", timestamp: 0 });
      assert.deepEqual(await next(s, "notifications:count"), { unread: 1 });
    }
    await nothing(b, "notification");
    await nothing(b, "notifications:count");
    const r2 = await notify({ userId: alice.userId, notification: { ...note("again"), timestamp: 1234 } });
    assert.notEqual(r2.id, r.id);
    assert.equal((await next(a1, "notification")).timestamp, 1234);
    assert.deepEqual(await next(a1, "notifications:count"), { unread: 2 });
  });

  test("to a user named as its own `from`: nothing", async (t) => {
    const alice = who("alice");
    const a = await user(t, srv.url, alice);
    const r = await notify({ userId: alice.userId, from: alice.userId, notification: note("self") });
    assert.equal(r.delivered, 0);
    await nothing(a, "notification");
    await nothing(a, "notifications:count");
    assert.deepEqual(await call(a, "notifications:count"), { ok: true, unread: 0 });
  });

  test("to a channel with `from`: the subscribers but not the `from` user (none of its sockets)", async (t) => {
    const channelId = unique("ch");
    const alice = who("alice");
    const a1 = await user(t, srv.url, alice);
    const a2 = await user(t, srv.url, alice); // alice's other socket, subscribed too
    const b = await user(t, srv.url, who("bob"));
    const c1 = await user(t, srv.url, who("carol"));
    const d = await user(t, srv.url, who("dave")); // not subscribed
    for (const s of [a1, a2, b, c1]) await call(s, "notifications:subscribe", { channelId });
    const r = await notify({ channelId, from: alice.userId, notification: note("new post") });
    assert.equal(r.delivered, 2);
    for (const s of [b, c1]) {
      const n = await next(s, "notification");
      assert.equal(n.id, r.id);
      assert.equal(n.title, "new post");
      assert.deepEqual(await next(s, "notifications:count"), { unread: 1 });
    }
    for (const s of [a1, a2, d]) {
      await nothing(s, "notification");
      await nothing(s, "notifications:count");
    }
    assert.deepEqual(await call(a1, "notifications:count"), { ok: true, unread: 0 });
  });

  test("a user's other, unsubscribed sockets get the new unread count", async (t) => {
    const channelId = unique("ch");
    const bob = who("bob");
    const b1 = await user(t, srv.url, bob);
    const b2 = await user(t, srv.url, bob);
    await call(b1, "notifications:subscribe", { channelId });
    const r = await notify({ channelId, notification: note("x") });
    assert.equal(r.delivered, 1);
    assert.equal((await next(b1, "notification")).id, r.id);
    assert.deepEqual(await next(b2, "notifications:count"), { unread: 1 });
    await nothing(b2, "notification");
  });

  test("kept for a user who is offline, and after a reconnection", async (t) => {
    const eve = who("eve");
    const r = await notify({ userId: eve.userId, notification: note("while away") });
    assert.equal(r.delivered, 0);
    const e1 = await user(t, srv.url, eve);
    assert.deepEqual(await call(e1, "notifications:count", {}), { ok: true, unread: 1 });
    closeClient(e1);
    const e2 = await user(t, srv.url, eve);
    assert.deepEqual(await call(e2, "notifications:read", { notificationId: r.id }), { ok: true, unread: 0 });
  });

  test("the last 100 are kept per user", async (t) => {
    const frank = who("frank");
    const ids = [];
    for (let i = 0; i < 101; i++) ids.push((await notify({ userId: frank.userId, notification: note(`n${i}`) })).id);
    const f = await user(t, srv.url, frank);
    assert.deepEqual(await call(f, "notifications:count"), { ok: true, unread: 100 });
    assert.deepEqual(await call(f, "notifications:read", { notificationId: ids[0] }),
      { ok: false, error: "notification not found" });
    assert.deepEqual(await call(f, "notifications:read", { notificationId: ids[1] }), { ok: true, unread: 99 });
  });
});

describe("notifications:read / notifications:count", () => {
  test("read: ack {unread}; the user's sockets get notifications:count", async (t) => {
    const alice = who("alice");
    const a1 = await user(t, srv.url, alice);
    const a2 = await user(t, srv.url, alice);
    const b = await user(t, srv.url, who("bob"));
    const n1 = await notify({ userId: alice.userId, notification: note("one") });
    const n2 = await notify({ userId: alice.userId, notification: note("two") });
    for (const s of [a1, a2]) {
      await next(s, "notifications:count", (p) => p.unread === 2);
      forget(s, "notifications:count");
    }
    assert.deepEqual(await call(a1, "notifications:read", { notificationId: n1.id }), { ok: true, unread: 1 });
    assert.deepEqual(await next(a1, "notifications:count"), { unread: 1 });
    assert.deepEqual(await next(a2, "notifications:count"), { unread: 1 });
    await nothing(b, "notifications:count");
    // reading it again changes nothing
    assert.deepEqual(await call(a2, "notifications:read", { notificationId: n1.id }), { ok: true, unread: 1 });
    await nothing(a1, "notifications:count");
    assert.deepEqual(await call(a2, "notifications:read", { notificationId: n2.id }), { ok: true, unread: 0 });
    assert.deepEqual(await next(a1, "notifications:count"), { unread: 0 });
    // another user cannot read alice's
    const n3 = await notify({ userId: alice.userId, notification: note("three") });
    assert.deepEqual(await call(b, "notifications:read", { notificationId: n3.id }),
      { ok: false, error: "notification not found" });
  });

  test("read errors: notification not found, invalid payload", async (t) => {
    const a = await user(t, srv.url, who("alice"));
    assert.deepEqual(await call(a, "notifications:read", { notificationId: "nope" }),
      { ok: false, error: "notification not found" });
    for (const bad of [[], [{}], ["id"], [{ notificationId: "" }], [{ notificationId: false }]]) {
      assert.deepEqual(await call(a, "notifications:read", ...bad), { ok: false, error: "invalid payload" },
        `read ${JSON.stringify(bad)}`);
    }
  });

  test("count: ack {unread} and notifications:count to the caller only", async (t) => {
    const alice = who("alice");
    const a1 = await user(t, srv.url, alice);
    const a2 = await user(t, srv.url, alice);
    assert.deepEqual(await call(a1, "notifications:count"), { ok: true, unread: 0 });
    assert.deepEqual(await next(a1, "notifications:count"), { unread: 0 });
    await notify({ userId: alice.userId, notification: note("x") });
    await next(a1, "notifications:count", (p) => p.unread === 1);
    await next(a2, "notifications:count", (p) => p.unread === 1);
    forget(a1, "notifications:count");
    assert.deepEqual(await call(a2, "notifications:count", {}), { ok: true, unread: 1 });
    assert.deepEqual(await next(a2, "notifications:count"), { unread: 1 });
    await nothing(a1, "notifications:count");
  });
});
