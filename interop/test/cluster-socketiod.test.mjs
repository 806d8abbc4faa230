// socketiod's built-in service across nodes (--redis): what one node keeps
// of a chat room, the others keep too. Three socketiod nodes on one
// redis-server started here on a free loopback port; stock clients spread
// across them.
//
// Checks: a message posted on one node is in the history that chat:join and
// chat:history give on the others (chat and seed 001's send-message), and
// can be reacted to there; seed 004's unread badges count on every node;
// stats:listeners and the room counts count every node's sockets;
// presence:list (fetchSockets across the cluster) and
// presence:online/offline follow a user's sockets on every node, and the
// users of a node that died go offline; notifications of the API are kept
// and read on every node; a node without --redis keeps only its own.
//
// Skipped, visibly, when redis-server is not installed.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { REDIS, freePort, startRedis, eventually } from "../lib/redis.mjs";
import { launchSocketiod, stopClean, user, call, next, forget, unique, http } from "../lib/socketiod.mjs";
import { closeClient } from "../lib/sio.mjs";

const skip = REDIS ? false : "redis-server is not installed (apt-get install redis-server)";
if (skip) test("socketiod cluster tests over Redis", { skip }, () => {});

const KEY = "cluster-socketiod-key-0123456789";
const who = (tag) => ({ userId: unique(tag), username: tag });

async function notify(base, body) {
  const r = await http(base, "POST", "/api/notify", { key: KEY, body });
  assert.equal(r.status, 200, `POST /api/notify: ${r.status} ${r.body}`);
  return r.json;
}
/** The user messages' texts (chat:message's message, send-message's content). */
const texts = (list) => list.filter((m) => !m.system).map((m) => m.message ?? m.content);

describe("socketiod: chat history, unread badges, listener counts and presence on every node", { skip }, () => {
  let redis, redisUrl, nodes = [];

  before(async () => {
    const port = await freePort();
    redis = await startRedis(port);
    redisUrl = `redis://127.0.0.1:${port}`;
    nodes = await Promise.all([1, 2, 3].map(() =>
      launchSocketiod(["--redis", redisUrl, "--stats-interval", "500", "--api-key", KEY])));
  });

  after(async () => {
    const errors = [];
    for (const d of nodes) await stopClean(d).catch((e) => errors.push(e));
    if (redis) await redis.stop();
    if (errors.length) throw errors[0];
  });

  test("a message posted on one node is in the history of the others", async (t) => {
    const [n1, n2, n3] = nodes;
    const room = unique("history");
    const a = await user(t, n1.url, who("alice"));
    const b = await user(t, n2.url, who("bob"));
    await call(a, "chat:join", { room });
    await call(b, "chat:join", { room });
    // both nodes subscribed: alice's words reach bob live
    await eventually(async () => {
      const sent = await call(a, "chat:message", { room, message: "first" });
      assert.equal(sent.ok, true);
      const got = await next(b, "chat:message", (m) => m.message === "first", 1000);
      assert.equal(got.userId, a.auth.userId);
    }, "a message crossing from node 1 to node 2");
    const sent = await call(b, "chat:message", { room, message: "second" });

    // carol joins on the third node, where nobody posted
    const c = await user(t, n3.url, who("carol"));
    await eventually(async () => {
      const joined = await call(c, "chat:join", { room });
      assert.deepEqual(texts(joined.history).slice(-2), ["first", "second"]);
      await call(c, "chat:leave", { room });
    }, "node 3's history");
    const joined = await call(c, "chat:join", { room });
    const page = await call(c, "chat:history", { room, limit: 10 });
    assert.deepEqual(texts(page.messages), texts(joined.history));
    // and a message of another node can be reacted to there
    const r = await call(c, "chat:react", { room, messageId: sent.id, emoji: "+1" });
    assert.equal(r.ok, true, JSON.stringify(r));
    const reaction = await next(b, "chat:reaction", (x) => x.messageId === sent.id);
    assert.equal(reaction.emoji, "+1");
  });

  test("seed 004: a message on one node makes unread badges on the others, never for the sender", async (t) => {
    const [n1, n2, n3] = nodes;
    const serverId = unique("srv");
    const general = unique("general");
    const alice = who("alice");
    const a = await user(t, n1.url, alice);
    const a3 = await user(t, n3.url, alice); // alice's other device, elsewhere
    const b = await user(t, n2.url, who("bob"));
    const c = await user(t, n3.url, who("carol"));
    for (const s of [a, a3, b, c]) await call(s, "user:join", { serverId });
    for (const s of [a, b]) await call(s, "channel:join", { serverId, channelId: general });
    await eventually(async () => {
      await call(a, "message:send", { channelId: general, serverId, content: "ping" });
      const u = await next(c, "notification:update", () => true, 1000);
      assert.equal(u.channelId, general);
    }, "a badge crossing from node 1 to node 3");
    const before = (await call(c, "notifications:get", { serverId })).count;
    await call(b, "message:send", { channelId: general, serverId, content: "from node 2" });
    assert.deepEqual(await next(c, "notification:update", (u) => u.count === before + 1),
      { serverId, channelId: general, count: before + 1 });
    assert.equal((await call(c, "notifications:get", { serverId })).count, before + 1);
    // bob is in the channel; alice's other device gets badges for bob's
    // messages only, never for her own
    assert.deepEqual(await next(a3, "notification:update"), { serverId, channelId: general, count: 1 });
    assert.equal((await call(a3, "notifications:get", { serverId })).count, 1, "bob's message, none of alice's");
    assert.equal((await call(b, "notifications:get", { serverId })).count, 0);
    // carol opens the channel on another device, on node 2: node 3 forgets
    // her unread count too
    assert.ok((await call(c, "notifications:get", { serverId })).count > 0);
    const c2 = await user(t, n2.url, c.auth);
    await call(c2, "user:join", { serverId });
    await call(c2, "channel:join", { serverId, channelId: general });
    await eventually(async () => {
      assert.equal((await call(c, "notifications:get", { serverId })).count, 0);
    }, "the channel read on node 2 reaching node 3");
  });

  test("stats:listeners counts the sockets of every node", async (t) => {
    const [n1, , n3] = nodes;
    const probe = await user(t, n3.url, who("probe"));
    const { count: c0 } = await next(probe, "stats:listeners");
    const far = [await user(t, n1.url, who("far1")), await user(t, n1.url, who("far2"))];
    const up = await next(probe, "stats:listeners", (p) => p.count === c0 + 2);
    assert.ok(up.peak >= c0 + 2, JSON.stringify(up));
    // a socket connecting on the first node is told the cluster's total
    const near = await user(t, n1.url, who("near"));
    await next(near, "stats:listeners", (p) => p.count === c0 + 3);
    forget(probe, "stats:listeners");
    for (const s of [...far, near]) closeClient(s);
    // the peak stays (as this node sampled the others: every interval)
    const down = await next(probe, "stats:listeners", (p) => p.count === c0);
    assert.ok(down.peak >= c0 + 2, JSON.stringify(down));
  });

  test("presence: online on a user's first socket in the cluster, offline after its last, whatever the nodes", async (t) => {
    const [n1, n2, n3] = nodes;
    const watcher = await user(t, n3.url, who("watcher"));
    const watcher2 = await user(t, n2.url, who("watcher2"));
    const bob = who("bob");
    const isBob = (p) => p.userId === bob.userId;
    const b1 = await user(t, n1.url, bob);
    await next(watcher, "presence:online", isBob);
    // node 2 handled node 1's news about bob before the announcement that
    // came after it (one Redis connection delivers in order)
    await next(watcher2, "presence:online", isBob);
    // a second device on another node: no second announcement. What node 2
    // publishes reaches the watcher in order: carol's arrival after it
    // means that a duplicate would have come first.
    const b2 = await user(t, n2.url, bob);
    const carol = await user(t, n2.url, who("carol"));
    await next(watcher, "presence:online", (p) => p.userId === carol.auth.userId);
    assert.deepEqual(watcher.inbox.pending("presence:online").filter((it) => isBob(it.args[0])), []);
    // the first device goes: bob is still on node 2, so nobody is told
    // (node 1 heard of b2 before carol: the same order)
    await next(watcher2, "presence:online", (p) => p.userId === carol.auth.userId);
    closeClient(b1);
    const dave = await user(t, n1.url, who("dave"));
    await next(watcher, "presence:online", (p) => p.userId === dave.auth.userId);
    assert.deepEqual(watcher.inbox.pending("presence:offline").filter((it) => isBob(it.args[0])), []);
    // the last one goes
    closeClient(b2);
    assert.deepEqual(await next(watcher, "presence:offline", isBob), { userId: bob.userId });
  });

  test("presence: the users of a node that died are offline for the others", async (t) => {
    const [, , n3] = nodes;
    const n4 = await launchSocketiod(["--redis", redisUrl, "--stats-interval", "500"]);
    t.after(() => n4.stop("SIGKILL"));
    const watcher = await user(t, n3.url, who("watcher"));
    const erin = who("erin");
    const isErin = (p) => p.userId === erin.userId;
    const e = await user(t, n4.url, erin);
    await next(watcher, "presence:online", isErin);
    // node 4's first stats tick shares its count, then tells its sockets;
    // frank's arrival, published after, reaching node 3 means that node 3
    // has node 4's count: it knows node 4
    await next(e, "stats:listeners"); // on connect
    await next(e, "stats:listeners"); // the tick
    const frank = await user(t, n4.url, who("frank"));
    await next(watcher, "presence:online", (p) => p.userId === frank.auth.userId);
    await n4.stop("SIGKILL");
    // three stats intervals later (1.5 s), node 3 tells its own sockets
    assert.deepEqual(await next(watcher, "presence:offline", isErin, 10_000), { userId: erin.userId });
  });

  test("room counts: chat:join, chat:user-count and video:viewers count every node's members", async (t) => {
    const [n1, n2, n3] = nodes;
    const room = unique("counted");
    const videoId = unique("vid");
    const a = await user(t, n1.url, who("alice"));
    const b = await user(t, n2.url, who("bob"));
    for (const s of [a, b]) {
      await call(s, "chat:join", { room });
      await call(s, "video:join", { videoId });
    }
    const c = await user(t, n3.url, who("carol"));
    // node 3 learns the others' counts every stats interval
    await eventually(async () => {
      const joined = await call(c, "chat:join", { room });
      assert.equal(joined.count, 3);
    }, "the count of a room with members on three nodes");
    const viewing = await call(c, "video:join", { videoId });
    assert.equal(viewing.count, 3);
    assert.deepEqual(await next(c, "video:viewers", (v) => v.count === 3), { videoId, count: 3 });
    // once node 1 has heard of carol, alice leaves there: node 1 tells
    // the room at once
    await eventually(async () => {
      assert.equal((await call(a, "chat:join", { room })).count, 3);
    }, "node 1's count");
    await call(a, "chat:leave", { room });
    assert.deepEqual(await next(c, "chat:user-count", (u) => u.count === 2), { room, count: 2 });
  });

  test("presence:list lists the users of every node, once each", async (t) => {
    const [n1, n2, n3] = nodes;
    const room = unique("listed");
    const alice = who("alice");
    const sockets = [
      await user(t, n1.url, alice), await user(t, n2.url, alice), // one user, two nodes
      await user(t, n2.url, who("bob")), await user(t, n3.url, who("carol")),
    ];
    for (const s of sockets) await call(s, "join:room", { room });
    const want = [alice, sockets[2].auth, sockets[3].auth]
      .map((u) => ({ userId: u.userId, username: u.username }))
      .sort((x, y) => (x.userId < y.userId ? -1 : 1));
    for (const s of [sockets[0], sockets[3]]) {
      assert.deepEqual(await call(s, "presence:list", { room }), { ok: true, room, users: want });
    }
  });

  test("notifications: kept and read on every node", async (t) => {
    const [n1, n2, n3] = nodes;
    // to a user connected to node 2, posted to node 1's API
    const alice = who("alice");
    const a = await user(t, n2.url, alice);
    const r = await eventually(async () => {
      const sent = await notify(n1.url, { userId: alice.userId, notification: { title: "one" } });
      assert.equal((await next(a, "notification", (x) => x.id === sent.id, 1000)).title, "one");
      return sent;
    }, "a notification crossing");
    assert.deepEqual(await next(a, "notifications:count"), { unread: 1 });
    // node 2 kept it: it can be read there; node 1 hears of the read
    assert.deepEqual(await call(a, "notifications:read", { notificationId: r.id }), { ok: true, unread: 0 });
    await eventually(async () => {
      forget(a, "notifications:count");
      const r2 = await notify(n1.url, { userId: alice.userId, notification: { title: "two" } });
      await next(a, "notification", (x) => x.id === r2.id);
      const count = await next(a, "notifications:count", () => true, 1000);
      // read before checking: a later round starts with nothing unread
      const read = await call(a, "notifications:read", { notificationId: r2.id });
      assert.equal(read.ok, true, JSON.stringify(read));
      assert.deepEqual(count, { unread: 1 }, "node 1 counts the first as read");
    }, "the read reaching node 1");

    // to a channel whose subscriber is on node 3
    const channelId = unique("chan");
    const b = await user(t, n3.url, who("bob"));
    await call(b, "notifications:subscribe", { channelId });
    const sent = await notify(n1.url, { channelId, notification: { title: "news" } });
    assert.equal((await next(b, "notification", (x) => x.id === sent.id)).title, "news");
    assert.deepEqual(await next(b, "notifications:count"), { unread: 1 });
    assert.deepEqual(await call(b, "notifications:read", { notificationId: sent.id }), { ok: true, unread: 0 });
  });

  test("seed 001: send-message history crosses too", async (t) => {
    const [n1, , n3] = nodes;
    const roomId = unique("momo");
    const a = await user(t, n1.url, who("alice"));
    await call(a, "join-room", roomId);
    const posted = await call(a, "send-message", { roomId, content: "hi all" });
    assert.equal(posted.ok, true);
    const c = await user(t, n3.url, who("carol"));
    await call(c, "chat:join", { room: roomId });
    await eventually(async () => {
      const page = await call(c, "chat:history", { room: roomId });
      assert.deepEqual(page.messages.map((m) => m.id), [posted.id]);
    }, "the seed 001 message on node 3");
  });
});

describe("socketiod without --redis: a node keeps its own history", () => {
  test("two nodes in memory do not share", async (t) => {
    const d1 = await launchSocketiod([]);
    const d2 = await launchSocketiod([]);
    t.after(async () => {
      await stopClean(d1);
      await stopClean(d2);
    });
    const room = unique("alone");
    const a = await user(t, d1.url, who("alice"));
    await call(a, "chat:join", { room });
    await call(a, "chat:message", { room, message: "only here" });
    const b = await user(t, d2.url, who("bob"));
    const joined = await call(b, "chat:join", { room });
    assert.deepEqual(texts(joined.history), []);
  });
});
