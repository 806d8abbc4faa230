// A mixed cluster over Redis: two C conformance servers (--redis) and one
// Node.js socket.io server with @socket.io/redis-adapter 8.x, on one
// redis-server started here on a free loopback port; stock socket.io-client
// clients spread across them (servers/sio-node-server.mjs and
// sio-conformance-server.c, "A13", describe the events).
//
// Checks: broadcasts to all and to rooms cross every node both ways; except;
// binary arguments; serverSideEmit both ways (and with acks, from Node);
// fetchSockets, socketsJoin, disconnectSockets and broadcasts with acks from
// the Node.js server reach C sockets (and socketsJoin from C reaches Node's);
// @socket.io/redis-emitter reaches C clients; Redis killed and restarted
// mid-test (clients stay connected, broadcasts cross again after).
//
// Skipped, visibly, when redis-server is not installed (REDIS_SERVER names
// another binary).
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createClient } from "redis";
import { Emitter } from "@socket.io/redis-emitter";
import { startSioC, startSioNode } from "../lib/server.mjs";
import { REDIS, freePort, startRedis, eventually } from "../lib/redis.mjs";
import { connect, ack, norm, disconnected } from "../lib/sio.mjs";
import { fetchSocketsTests } from "../lib/cluster-fetch.mjs";
import { sleep, T } from "../lib/util.mjs";
import { SOCKETIOD, launchSocketiod, stopClean, user, call, next, http } from "../lib/socketiod.mjs";

const skip = REDIS ? false : "redis-server is not installed (apt-get install redis-server)";
// a skipped test, so that the runner's summary counts it (a skipped
// describe block alone is not counted)
if (skip) test("cluster tests over Redis", { skip }, () => {});

let seq = 0;
const uniq = (tag) => `${tag}-${process.pid}-${++seq}`;

describe("cluster over Redis (C and Node.js nodes)", { skip }, () => {
  let redis, redisPort, url;
  let c1, c2, node;

  before(async () => {
    redisPort = await freePort();
    redis = await startRedis(redisPort);
    url = `redis://127.0.0.1:${redisPort}`;
    [c1, c2, node] = await Promise.all([
      startSioC({ redis: url }), startSioC({ redis: url }), startSioNode({ redis: url })]);
    // every node subscribed: a broadcast from each reaches the others
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
    return [a, b, n];
  }

  /** Joins each socket to the room (acked by its node). */
  async function join(room, ...sockets) {
    for (const s of sockets) assert.deepEqual(await ack(s, "join", room), ["ok"]);
  }

  /** Until `to` gets `event` with args matching `expect` after `send()`. */
  async function crosses(send, to, event, expect) {
    await eventually(async () => {
      send();
      const args = await to.inbox.args(event, `"${event}" on ${to.label}`, { timeout: 1000 });
      assert.deepEqual(norm(args), norm(expect));
    }, `"${event}" reaching ${to.label}`);
  }

  /** The "broadcast" payloads `s` got before `sentinel` (sent to a room it is in). */
  async function before_(s, sentinel) {
    const seen = [];
    for (;;) {
      const [p] = await s.inbox.args("broadcast", `the sentinel on ${s.label}`);
      if (p === sentinel) return seen;
      seen.push(p);
    }
  }

  test("server count (PUBSUB NUMSUB) counts the three nodes", async (t) => {
    const [a] = await trio(t);
    assert.deepEqual(await ack(a, "server-count"), [3]);
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
    // b is not in the room: nothing before the sentinel
    const sentinel = uniq("sentinel");
    a.emit("broadcast", all, sentinel);
    assert.deepEqual(await before_(b, sentinel), []);
    assert.deepEqual(await before_(a, sentinel), []);
    assert.deepEqual(await before_(n, sentinel), []);
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

  test("serverSideEmit crosses both ways, with acks from C nodes", async (t) => {
    const [a, b, n] = await trio(t);
    a.emit("server-side-emit", "from-c", { n: 1 });
    assert.deepEqual(await n.inbox.args("server-side-received", "C's serverSideEmit at the Node node"),
      ["from-c", { n: 1 }]);
    assert.deepEqual(await b.inbox.args("server-side-received", "C's serverSideEmit at the other C node"),
      ["from-c", { n: 1 }]);
    n.emit("server-side-emit", "from-node");
    assert.deepEqual(await a.inbox.args("server-side-received", "Node's serverSideEmit on C node 1"), ["from-node"]);
    assert.deepEqual(await b.inbox.args("server-side-received", "Node's serverSideEmit on C node 2"), ["from-node"]);
    // the sender does not get its own
    assert.equal(a.inbox.pending("server-side-received").length, 0);
    const [err, responses] = await ack(n, "server-side-emit-with-ack");
    assert.equal(err, null);
    assert.deepEqual(responses, ["c", "c"]);
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
  });

  fetchSocketsTests({ trio, join, uniq, url: () => url, startC: () => startSioC({ redis: url }), silentPeer: ["subscribe", "unsubscribe", "socket.io-request#/#"] });

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
  });

  test("@socket.io/redis-emitter reaches C clients", async (t) => {
    const [a, b, n] = await trio(t);
    const redisClient = createClient({ url });
    await redisClient.connect();
    t.after(() => redisClient.disconnect());
    const emitter = new Emitter(redisClient);
    const room = uniq("emitter");
    await join(room, a);
    emitter.emit("from-emitter", 1, { two: [2] }, Buffer.from([9, 8]));
    for (const s of [a, b, n]) {
      const args = await s.inbox.args("from-emitter", `the emitter's event on ${s.label}`);
      assert.deepEqual(norm(args), norm([1, { two: [2] }, Buffer.from([9, 8])]));
    }
    emitter.to(room).emit("broadcast", "emitted-to-room");
    assert.deepEqual(await a.inbox.args("broadcast", "the emitter's room event on a"), ["emitted-to-room"]);
    const all = uniq("all");
    await join(all, a, b);
    const sentinel = uniq("sentinel");
    a.emit("broadcast", all, sentinel);
    assert.deepEqual(await before_(b, sentinel), []);
  });

  test("Redis killed and restarted: clients stay, broadcasts cross again", async (t) => {
    const [a, b, n] = await trio(t);
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
    assert.ok(a.connected && b.connected && n.connected, "clients still connected");
  });
});

describe("socketiod nodes over Redis", { skip }, () => {
  const KEY = "cluster-test-key-0123456789";
  let redis, url, d1, d2;

  before(async () => {
    const port = await freePort();
    redis = await startRedis(port);
    url = `redis://127.0.0.1:${port}`;
    d1 = await launchSocketiod(["--api-key", KEY, "--redis", url]);
    d2 = await launchSocketiod(["--api-key", KEY, "--redis", url]);
  });

  after(async () => {
    const errors = [];
    for (const d of [d1, d2]) if (d) await stopClean(d).catch((e) => errors.push(e));
    if (redis) await redis.stop();
    if (errors.length) throw errors[0];
  });

  test("/health and /ready report the Redis state", async () => {
    for (const d of [d1, d2]) {
      await eventually(async () => {
        const h = await http(d.url, "GET", "/health");
        assert.equal(h.json.redis, "connected");
      }, "/health says connected");
      const r = await http(d.url, "GET", "/ready");
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, { ready: true, redis: "connected" });
    }
  });

  test("a chat room spans the nodes; /api/emit on one reaches the other's clients", async (t) => {
    const room = uniq("chat");
    const a = await user(t, d1.url, { userId: uniq("alice"), username: "alice" });
    const b = await user(t, d2.url, { userId: uniq("bob"), username: "bob" });
    assert.equal((await call(a, "chat:join", { room })).ok, true);
    assert.equal((await call(b, "chat:join", { room })).ok, true);
    // bob's join announcement, made on node 2, reaches alice on node 1
    const sys = await next(a, "chat:message", (m) => m.system);
    assert.equal(sys.message, "bob joined");
    assert.equal((await call(a, "chat:message", { room, message: "hello from node 1" })).ok, true);
    const m = await next(b, "chat:message", (x) => !x.system);
    assert.equal(m.message, "hello from node 1");
    assert.equal(m.username, "alice");
    const r = await http(d2.url, "POST", "/api/emit", { key: KEY, body: { event: "now-playing", data: { title: "x" } } });
    assert.equal(r.status, 200);
    assert.deepEqual(await next(a, "now-playing"), { title: "x" });
  });

  test("Redis down at start: the node serves, says connecting, then joins", async (t) => {
    const port = await freePort();
    const d = await launchSocketiod(["--redis", `redis://127.0.0.1:${port}`]);
    let late;
    t.after(async () => {
      await stopClean(d);
      if (late) await late.stop();
    });
    const a = await user(t, d.url, { userId: uniq("early"), username: "early" });
    const h = await http(d.url, "GET", "/health");
    assert.equal(h.json.redis, "connecting");
    const r = await http(d.url, "GET", "/ready");
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { ready: true, redis: "connecting" });
    await sleep(700); // a few failed attempts
    late = await startRedis(port);
    await eventually(async () => {
      assert.equal((await http(d.url, "GET", "/health")).json.redis, "connected");
    }, "connected once Redis is up");
    assert.equal(a.connected, true);
  });

  test("a password (AUTH) and a Unix socket", async (t) => {
    const port = await freePort();
    const sock = path.join(os.tmpdir(), `socketiod-redis-${process.pid}.sock`);
    const r = await startRedis(port, ["--requirepass", "s3cret", "--unixsocket", sock]);
    const nodes = [];
    t.after(async () => {
      for (const d of nodes) await stopClean(d);
      await r.stop();
    });
    const good = await launchSocketiod(["--redis", `redis://:s3cret@127.0.0.1:${port}`]);
    nodes.push(good);
    const bad = await launchSocketiod(["--redis", `redis://:wrong@127.0.0.1:${port}`]);
    nodes.push(bad);
    const unix = await launchSocketiod(["--redis", `unix:${sock}`, "--api-key", KEY]);
    nodes.push(unix);
    for (const d of [good]) {
      await eventually(async () => {
        assert.equal((await http(d.url, "GET", "/health")).json.redis, "connected");
      }, "connected with the password");
    }
    // the Unix socket needs the password too: not connected
    await sleep(500);
    assert.equal((await http(bad.url, "GET", "/health")).json.redis, "connecting");
    assert.equal((await http(unix.url, "GET", "/health")).json.redis, "connecting");
  });

  test("a Unix socket", async (t) => {
    const port = await freePort();
    const sock = path.join(os.tmpdir(), `socketiod-redis-${process.pid}-2.sock`);
    const r = await startRedis(port, ["--unixsocket", sock]);
    const d = await launchSocketiod(["--redis", `unix://${sock}`]);
    t.after(async () => {
      await stopClean(d);
      await r.stop();
    });
    await eventually(async () => {
      assert.equal((await http(d.url, "GET", "/health")).json.redis, "connected");
    }, "connected over the Unix socket");
  });

  test("a host name is refused at start (no DNS lookup on the loop): exit 2", async () => {
    const proc = spawn(SOCKETIOD, ["--port", "0", "--redis", "redis://redis.example:6379"],
      { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    proc.stderr.on("data", (d) => { stderr += d; });
    const code = await new Promise((r) => proc.on("exit", r));
    assert.equal(code, 2);
    assert.match(stderr, /--redis: .*IP address or localhost/);
  });
});

void T;
