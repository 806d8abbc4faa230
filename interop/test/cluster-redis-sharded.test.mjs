// A mixed cluster over Redis 7 sharded pub/sub: two C conformance servers
// (--redis --redis-sharded) and one Node.js socket.io server with
// createShardedAdapter of @socket.io/redis-adapter 8.3 (subscriptionMode
// "dynamic"), on one redis-server started here on a free loopback port;
// stock socket.io-client clients spread across them
// (servers/sio-node-server.mjs and sio-conformance-server.c, "A13",
// describe the events).
//
// Checks: the server count (PUBSUB SHARDNUMSUB, asked from C and from
// Node); broadcasts to all, to a room (its own channel) and to a socket's
// id (the namespace's channel) cross every node both ways; except; binary
// arguments both ways; serverSideEmit both ways, with acks both ways
// (Node's answered by both C nodes, a C node's by Node and the other C); fetchSockets,
// socketsJoin, disconnectSockets and broadcasts with acks from the Node.js
// server reach C sockets (and socketsJoin from C reaches Node's); rooms
// left and joined again still get their broadcasts; Redis killed and
// restarted mid-test (clients stay connected, broadcasts cross again).
//
// Skipped, visibly, when redis-server is not installed (REDIS_SERVER names
// another binary).
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "redis";
import { startSioC, startSioNode } from "../lib/server.mjs";
import { REDIS, freePort, startRedis, eventually } from "../lib/redis.mjs";
import { connect, ack, norm, disconnected } from "../lib/sio.mjs";
import { fetchSocketsTests } from "../lib/cluster-fetch.mjs";
import { sleep } from "../lib/util.mjs";
import { launchSocketiod, stopClean, user, call, next, http } from "../lib/socketiod.mjs";

const skip = REDIS ? false : "redis-server is not installed (apt-get install redis-server)";
// a skipped test, so that the runner's summary counts it
if (skip) test("sharded cluster tests over Redis", { skip }, () => {});

/** PUBSUB `args` on the Redis at `url`. */
async function pubsub(url, ...args) {
  const client = createClient({ url });
  client.on("error", () => {});
  await client.connect();
  try {
    return await client.sendCommand(["PUBSUB", ...args]);
  } finally {
    await client.disconnect();
  }
}

let seq = 0;
const uniq = (tag) => `${tag}-${process.pid}-${++seq}`;

describe("sharded cluster over Redis (C and Node.js nodes)", { skip }, () => {
  let redis, redisPort, url;
  let c1, c2, node;

  before(async () => {
    redisPort = await freePort();
    redis = await startRedis(redisPort);
    url = `redis://127.0.0.1:${redisPort}`;
    [c1, c2, node] = await Promise.all([
      startSioC({ redis: url, redisSharded: true }),
      startSioC({ redis: url, redisSharded: true }),
      startSioNode({ redis: url, redisSharded: true })]);
    await eventually(async () => {
      for (const srv of [c1, c2]) {
        const s = await connect(null, srv.url);
        try {
          assert.deepEqual(await ack(s, "redis-state"), ["connected"]);
        } finally {
          s.disconnect();
        }
      }
    }, "the C nodes connected to Redis");
  });

  after(async () => {
    const errors = [];
    for (const s of [c1, c2, node]) {
      if (s) await s.stop().catch((e) => errors.push(e));
    }
    if (redis) await redis.stop();
    if (errors.length) throw errors[0];
  });

  /** a on c1, b on c2, n on node; each socket labelled. */
  async function trio(t) {
    const a = await connect(t, c1.url);
    const b = await connect(t, c2.url);
    const n = await connect(t, node.url);
    a.label = "a (C node 1)";
    b.label = "b (C node 2)";
    n.label = "n (Node.js node)";
    [a.node, b.node, n.node] = [c1, c2, node];
    return [a, b, n];
  }

  /** PUBSUB SHARDNUMSUB of `channel`. */
  async function shardNumSub(channel) {
    const [, count] = await pubsub(url, "SHARDNUMSUB", channel);
    return Number(count);
  }

  /**
   * Joins each socket to the room (acked by its node), then waits until
   * the room's channel has a subscriber on each of their nodes: a node
   * subscribes to a room's channel (socket.io#/#ROOM#) when the room is
   * created there, without waiting for Redis, so a broadcast to that room
   * sent at once by another node could find nobody yet (Node's sharded
   * adapter behaves the same).
   */
  async function join(room, ...sockets) {
    for (const s of sockets) assert.deepEqual(await ack(s, "join", room), ["ok"]);
    const nodes = new Set(sockets.map((s) => s.node)).size;
    await eventually(async () => {
      assert.equal(await shardNumSub(`socket.io#/#${room}#`), nodes);
    }, `the channel of room ${room} subscribed on ${nodes} nodes`);
  }

  /** Until `to` gets `event` with args matching `expect` after `send()`. */
  async function crosses(send, to, event, expect) {
    await eventually(async () => {
      send();
      const args = await to.inbox.args(event, `"${event}" on ${to.label}`, { timeout: 1000 });
      assert.deepEqual(norm(args), norm(expect));
    }, `"${event}" reaching ${to.label}`);
  }

  /** The "broadcast" payloads `s` got before `sentinel`. */
  async function before_(s, sentinel) {
    const seen = [];
    for (;;) {
      const [p] = await s.inbox.args("broadcast", `the sentinel on ${s.label}`);
      if (p === sentinel) return seen;
      seen.push(p);
    }
  }

  test("server count (PUBSUB SHARDNUMSUB) is three, from C and from Node", async (t) => {
    const [a, b, n] = await trio(t);
    assert.deepEqual(await ack(a, "server-count"), [3]);
    assert.deepEqual(await ack(b, "server-count"), [3]);
    assert.deepEqual(await ack(n, "server-count"), [3]);
  });

  test("broadcast to all crosses every node both ways", async (t) => {
    const [a, b, n] = await trio(t);
    const x1 = uniq("from-c");
    a.emit("broadcast-all", x1);
    for (const s of [a, b, n]) {
      assert.deepEqual(await s.inbox.args("broadcast-all", `C's broadcast on ${s.label}`), [x1]);
    }
    const x2 = uniq("from-node");
    n.emit("broadcast-all", x2, { k: [1, 2.5, null, true, "é"] });
    for (const s of [a, b, n]) {
      assert.deepEqual(await s.inbox.args("broadcast-all", `Node's broadcast on ${s.label}`),
        [x2, { k: [1, 2.5, null, true, "é"] }]);
    }
    const x3 = uniq("no-args");
    // one after the other: two nodes publishing at once reach Redis in
    // either order
    b.emit("broadcast-all");
    assert.deepEqual(await a.inbox.args("broadcast-all", "C's empty broadcast on a"), []);
    n.emit("broadcast-all", x3);
    assert.deepEqual(await a.inbox.args("broadcast-all", "the next on a"), [x3]);
  });

  test("broadcast to a room reaches its members on every node, only them", async (t) => {
    const [a, b, n] = await trio(t);
    const all = uniq("all");
    const room = uniq("room");
    await join(all, a, b, n);
    await join(room, a, n);
    b.emit("broadcast", room, "from-c2");
    assert.deepEqual(await a.inbox.args("broadcast", "the room broadcast on a"), ["from-c2"]);
    assert.deepEqual(await n.inbox.args("broadcast", "the room broadcast on n"), ["from-c2"]);
    n.emit("broadcast", room, "from-node");
    assert.deepEqual(await a.inbox.args("broadcast", "Node's room broadcast on a"), ["from-node"]);
    assert.deepEqual(await n.inbox.args("broadcast", "Node's room broadcast on n"), ["from-node"]);
    const sentinel = uniq("sentinel");
    a.emit("broadcast", all, sentinel);
    assert.deepEqual(await before_(b, sentinel), []);
    assert.deepEqual(await before_(a, sentinel), []);
    assert.deepEqual(await before_(n, sentinel), []);
  });

  test("a room left (its channel unsubscribed) and joined again gets broadcasts again", async (t) => {
    const [a, b, n] = await trio(t);
    const room = uniq("again");
    const all = uniq("all");
    await join(all, a, b);
    await join(room, a);
    await crosses(() => n.emit("broadcast", room, "first"), a, "broadcast", ["first"]);
    assert.deepEqual(await ack(a, "leave", room), ["ok"]);
    await eventually(async () => {
      assert.equal(await shardNumSub(`socket.io#/#${room}#`), 0);
    }, "the room's channel unsubscribed");
    n.emit("broadcast", room, "while-out");
    await sleep(200);
    const sentinel = uniq("sentinel");
    b.emit("broadcast", all, sentinel);
    assert.deepEqual(await before_(a, sentinel), []);
    await join(room, a);
    await crosses(() => n.emit("broadcast", room, "second"), a, "broadcast", ["second"]);
  });

  test("a room left and joined again at once keeps its broadcasts", async (t) => {
    const [a, , n] = await trio(t);
    const room = uniq("flip");
    await join(room, a);
    // both in one write: the C node unsubscribes the room's channel and
    // subscribes it again before Redis answers the first
    for (let i = 0; i < 5; i++) {
      a.emit("leave", room);
      a.emit("join", room);
    }
    assert.deepEqual(await ack(a, "join", room), ["ok"]);
    await eventually(async () => {
      assert.equal(await shardNumSub(`socket.io#/#${room}#`), 1);
    }, "the room's channel subscribed");
    for (let i = 0; i < 3; i++) {
      const x = uniq("after-flip");
      await crosses(() => n.emit("broadcast", room, x), a, "broadcast", [x]);
    }
    // and the node's state is not left waiting for confirmations that
    // hiredis dropped
    await eventually(async () => {
      assert.deepEqual(await ack(a, "redis-state"), ["connected"]);
    }, "C node 1 says connected");
  });

  test("broadcast to a socket's id crosses both ways", async (t) => {
    const [a, b, n] = await trio(t);
    n.emit("broadcast", a.id, "to-a-from-node");
    assert.deepEqual(await a.inbox.args("broadcast", "Node's broadcast to a's id"), ["to-a-from-node"]);
    b.emit("broadcast", n.id, "to-n-from-c");
    assert.deepEqual(await n.inbox.args("broadcast", "C's broadcast to n's id"), ["to-n-from-c"]);
    b.emit("broadcast", a.id, "to-a-from-c");
    assert.deepEqual(await a.inbox.args("broadcast", "C's broadcast to a's id"), ["to-a-from-c"]);
  });

  test("except excludes the room's members on every node", async (t) => {
    const [a, b, n] = await trio(t);
    const all = uniq("all");
    const ex = uniq("ex");
    await join(all, a, b, n);
    await join(ex, a, n);
    n.emit("broadcast-except", all, ex, "not-for-ex-from-node");
    b.emit("broadcast-except", all, ex, "not-for-ex-from-c");
    const sentinel = uniq("sentinel");
    await sleep(200); // both broadcasts published before the sentinel
    b.emit("broadcast", all, sentinel);
    assert.deepEqual(await before_(a, sentinel), []);
    assert.deepEqual(await before_(n, sentinel), []);
    assert.deepEqual((await before_(b, sentinel)).sort(), ["not-for-ex-from-c", "not-for-ex-from-node"]);
  });

  test("binary arguments survive the trip both ways", async (t) => {
    const [a, b, n] = await trio(t);
    const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
    const nested = { name: "blob", data: Buffer.from("héllo"), list: [Buffer.alloc(0), 7] };
    a.emit("broadcast-all", bytes, nested);
    for (const s of [a, b, n]) {
      const args = await s.inbox.args("broadcast-all", `C's binary broadcast on ${s.label}`);
      assert.deepEqual(norm(args), norm([bytes, nested]));
    }
    n.emit("broadcast-all", "bin", bytes, { empty: Buffer.alloc(0), s: "" });
    for (const s of [a, b, n]) {
      const args = await s.inbox.args("broadcast-all", `Node's binary broadcast on ${s.label}`);
      assert.deepEqual(norm(args), norm(["bin", bytes, { empty: Buffer.alloc(0), s: "" }]));
    }
  });

  test("serverSideEmit crosses both ways; Node's with acks gets both C nodes' answers", async (t) => {
    const [a, b, n] = await trio(t);
    a.emit("server-side-emit", "from-c", { n: 1 });
    assert.deepEqual(await n.inbox.args("server-side-received", "C's serverSideEmit at the Node node"),
      ["from-c", { n: 1 }]);
    assert.deepEqual(await b.inbox.args("server-side-received", "C's serverSideEmit at the other C node"),
      ["from-c", { n: 1 }]);
    n.emit("server-side-emit", "from-node");
    assert.deepEqual(await a.inbox.args("server-side-received", "Node's serverSideEmit on C node 1"), ["from-node"]);
    assert.deepEqual(await b.inbox.args("server-side-received", "Node's serverSideEmit on C node 2"), ["from-node"]);
    assert.equal(a.inbox.pending("server-side-received").length, 0);
    const [err, responses] = await ack(n, "server-side-emit-with-ack");
    assert.equal(err, null);
    assert.deepEqual(responses, ["c", "c"]);
  });

  test("serverSideEmit with acks from a C node gets the Node node's and the other C node's answers", async (t) => {
    const [a, b, n] = await trio(t);
    const [err, responses] = await ack(a, "server-side-emit-with-ack");
    assert.equal(err, null);
    assert.deepEqual(responses.sort(), ["c", "node"]);
    // the others' handlers ran, the sender's did not
    assert.deepEqual(await n.inbox.args("server-side-received", "the emit at the Node node"), ["q"]);
    assert.deepEqual(await b.inbox.args("server-side-received", "the emit at C node 2"), ["q"]);
    assert.equal(a.inbox.pending("server-side-received").length, 0);
  });

  test("fetchSockets from the Node.js server returns C sockets", async (t) => {
    const [a, b, n] = await trio(t);
    const room = uniq("fetch");
    await join(room, a, b);
    const [err, sockets] = await ack(n, "fetch-sockets", room);
    assert.equal(err, null);
    const byId = Object.fromEntries(sockets.map((s) => [s.id, s]));
    assert.deepEqual(Object.keys(byId).sort(), [a.id, b.id].sort());
    assert.ok(byId[a.id].rooms.includes(room) && byId[a.id].rooms.includes(a.id));
    assert.equal(typeof byId[a.id].handshake.headers, "object");
    assert.equal(byId[a.id].handshake.url.startsWith("/socket.io/"), true);
    void n;
  });

  fetchSocketsTests({ trio, join, uniq, url: () => url, startC: () => startSioC({ redis: url, redisSharded: true }), silentPeer: ["sSubscribe", "sUnsubscribe", "socket.io#/#"] });

  test("socketsJoin crosses both ways", async (t) => {
    const [a, b, n] = await trio(t);
    const src = uniq("src");
    const target = uniq("target");
    await join(src, a);
    assert.deepEqual(await ack(n, "sockets-join", src, target), ["ok"]);
    await crosses(() => n.emit("broadcast", target, "joined-by-node"), a, "broadcast", ["joined-by-node"]);
    const src2 = uniq("src2");
    const target2 = uniq("target2");
    await join(src2, n);
    assert.deepEqual(await ack(b, "sockets-join", src2, target2), ["ok"]);
    await crosses(() => a.emit("broadcast", target2, "joined-by-c"), n, "broadcast", ["joined-by-c"]);
  });

  test("broadcast with acks from the Node.js server gets C clients' answers", async (t) => {
    const [a, b, n] = await trio(t);
    const room = uniq("ask");
    await join(room, a, b);
    a.on("ask", (q, cb) => cb(`a:${q}`));
    b.on("ask", (q, cb) => cb(`b:${q}`));
    const [err, responses] = await ack(n, "broadcast-with-ack", room);
    assert.equal(err, null);
    assert.deepEqual(responses.sort(), ["a:question", "b:question"]);
  });

  test("disconnectSockets from the Node.js server disconnects C sockets", async (t) => {
    const [a, b, n] = await trio(t);
    const room = uniq("kick");
    await join(room, a);
    const gone = disconnected(a, "a's disconnect");
    n.emit("disconnect-sockets", room);
    assert.equal(await gone, "io server disconnect");
    assert.equal(b.connected, true);
    const room2 = uniq("kick2");
    await join(room2, n);
    const gone2 = disconnected(n, "n's disconnect");
    b.emit("disconnect-sockets", room2);
    assert.equal(await gone2, "io server disconnect");
  });

  test("Redis killed and restarted: clients stay, broadcasts cross again", async (t) => {
    const [a, b, n] = await trio(t);
    const room = uniq("kept");
    await join(room, a, n);
    await redis.stop("SIGKILL");
    await eventually(async () => {
      assert.deepEqual(await ack(a, "redis-state"), ["connecting"]);
    }, "C node 1 sees Redis down");
    await sleep(300);
    assert.ok(a.connected && b.connected && n.connected, "clients stay connected");
    redis = await startRedis(redisPort);
    for (const s of [a, b]) {
      await eventually(async () => {
        assert.deepEqual(await ack(s, "redis-state"), ["connected"]);
      }, `${s.label}'s node reconnected`, 15_000);
    }
    await crosses(() => a.emit("broadcast-all", "after-restart-c"), b, "broadcast-all", ["after-restart-c"]);
    await crosses(() => a.emit("broadcast-all", "after-restart-c2"), n, "broadcast-all", ["after-restart-c2"]);
    await crosses(() => n.emit("broadcast-all", "after-restart-node"), b, "broadcast-all", ["after-restart-node"]);
    // the room's channel was subscribed again
    await crosses(() => n.emit("broadcast", room, "room-after-restart"), a, "broadcast", ["room-after-restart"]);
    await eventually(async () => {
      assert.deepEqual(await ack(a, "server-count"), [3]);
    }, "three servers again");
    assert.ok(a.connected && b.connected && n.connected, "clients still connected");
  });
});

describe("socketiod nodes over sharded Redis", { skip }, () => {
  const KEY = "sharded-cluster-test-key-0123456789";
  let redis, url, d1, d2;

  before(async () => {
    const port = await freePort();
    redis = await startRedis(port);
    url = `redis://127.0.0.1:${port}`;
    d1 = await launchSocketiod(["--api-key", KEY, "--redis", url, "--redis-sharded"]);
    d2 = await launchSocketiod(["--api-key", KEY, "--redis", url], { env: { SOCKETIOD_REDIS_SHARDED: "true" } });
  });

  after(async () => {
    const errors = [];
    for (const d of [d1, d2]) if (d) await stopClean(d).catch((e) => errors.push(e));
    if (redis) await redis.stop();
    if (errors.length) throw errors[0];
  });

  test("a chat room spans the nodes; /api/emit on one reaches the other's clients", async (t) => {
    for (const d of [d1, d2]) {
      await eventually(async () => {
        assert.equal((await http(d.url, "GET", "/health")).json.redis, "connected");
      }, "/health says connected");
    }
    const room = uniq("chat");
    const a = await user(t, d1.url, { userId: uniq("alice"), username: "alice" });
    const b = await user(t, d2.url, { userId: uniq("bob"), username: "bob" });
    assert.equal((await call(a, "chat:join", { room })).ok, true);
    // node 1 subscribed to the room's channel (without waiting for
    // Redis) before node 2 announces bob there
    await eventually(async () => {
      assert.equal((await pubsub(url, "SHARDCHANNELS", `socket.io#/#*${room}*`)).length, 1);
    }, "the chat room's channel subscribed");
    assert.equal((await call(b, "chat:join", { room })).ok, true);
    const sys = await next(a, "chat:message", (m) => m.system);
    assert.equal(sys.message, "bob joined");
    assert.equal((await call(a, "chat:message", { room, message: "hello from node 1" })).ok, true);
    const m = await next(b, "chat:message", (x) => !x.system);
    assert.equal(m.message, "hello from node 1");
    const r = await http(d2.url, "POST", "/api/emit", { key: KEY, body: { event: "now-playing", data: { title: "x" } } });
    assert.equal(r.status, 200);
    assert.deepEqual(await next(a, "now-playing"), { title: "x" });
  });
});
