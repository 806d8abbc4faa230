// fetchSockets asked by a C node (sio_fetch_remote_sockets, the "fetch-sockets"
// event of sio-conformance-server.c), the same checks for the classic and
// the sharded Redis adapter: cluster-redis.test.mjs and
// cluster-redis-sharded.test.mjs register them with their own nodes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "redis";
import { ack, connect } from "./sio.mjs";
import { eventually } from "./redis.mjs";

/**
 * Registers the tests. `trio(t)`: sockets [a, b, n] on C node 1, C node 2
 * and the Node.js node; `join(room, ...sockets)`; `uniq(tag)`: a fresh
 * room name; `url`(): the Redis URL; `silentPeer`: [subscribe method,
 * unsubscribe method, channel] of a redis client, where a server is
 * counted (a peer that never answers); `startC()`: one more C node of the
 * cluster (stop() rejects when it exits uncleanly or ASan reports).
 */
export function fetchSocketsTests({ trio, join, uniq, url, silentPeer, startC }) {
  const ids = (sockets) => sockets.map((s) => s.id);
  const sorted = (v) => [...v].sort();

  test("fetchSockets from a C node returns the sockets of every node (C and Node.js), with their rooms and data", async (t) => {
    const [a, b, n] = await trio(t);
    const room = uniq("c-fetch");
    await join(room, a, b, n);
    const data = new Map([[a, { who: "a", v: [1, 2.5, null] }], [b, { who: "b" }], [n, { who: "n", s: "é\"\\" }]]);
    for (const [s, d] of data) assert.deepEqual(await ack(s, "set-data", d), ["ok"]);
    for (const from of [a, b]) {
      const [err, sockets] = await ack(from, "fetch-sockets", room, null, null);
      assert.equal(err, null);
      assert.deepEqual(ids(sockets), sorted([a.id, b.id, n.id]));
      for (const s of [a, b, n]) {
        const got = sockets.find((x) => x.id === s.id);
        assert.deepEqual(sorted(got.rooms), sorted([s.id, room]), `the rooms of ${s.label}`);
        assert.deepEqual(got.data, data.get(s), `the data of ${s.label}`);
        assert.equal(got.handshake.url.startsWith("/socket.io/"), true);
      }
    }
  });

  test("fetchSockets from a C node, filtered by room: the room's members on every node only", async (t) => {
    const [a, b, n] = await trio(t);
    const room = uniq("c-fetch-room");
    await join(room, a, n);
    await join(uniq("c-fetch-other"), b);
    const [err, sockets] = await ack(b, "fetch-sockets", room, null, null);
    assert.equal(err, null);
    assert.deepEqual(ids(sockets), sorted([a.id, n.id]));
  });

  test("fetchSockets from a C node with except leaves out the excepted room's members on every node", async (t) => {
    const [a, b, n] = await trio(t);
    const all = uniq("c-fetch-all");
    const ex = uniq("c-fetch-ex");
    await join(all, a, b, n);
    await join(ex, b, n);
    for (const from of [a, b]) {
      const [err, sockets] = await ack(from, "fetch-sockets", all, ex, null);
      assert.equal(err, null);
      assert.deepEqual(ids(sockets), [a.id]);
    }
  });

  test("fetchSockets from a C node completes after its timeout when a counted peer never answers", async (t) => {
    const [a, b, n] = await trio(t);
    const room = uniq("c-fetch-silent");
    await join(room, a, b, n);
    const peer = createClient({ url: url() });
    await peer.connect();
    const [sub, unsub, channel] = silentPeer;
    try {
      await peer[sub](channel, () => {});
      // four servers counted, three answer: only the timeout ends it
      const [err, sockets] = await ack(a, "fetch-sockets", room, null, 500);
      assert.equal(err, "error -110"); // -ETIMEDOUT
      // this node's socket always; the others' when they answered in time
      assert.ok(ids(sockets).includes(a.id));
      for (const id of ids(sockets)) assert.ok([a.id, b.id, n.id].includes(id));
    } finally {
      await peer[unsub](channel); // confirmed: not counted any more
      await peer.quit();
    }
    // and without the silent peer, all answer again
    const [err, sockets] = await ack(a, "fetch-sockets", room, null, null);
    assert.equal(err, null);
    assert.deepEqual(ids(sockets), sorted([a.id, b.id, n.id]));
  });

  test("a C node stopped while its fetchSockets waits for a silent peer exits cleanly", async (t) => {
    const extra = await startC();
    const peer = createClient({ url: url() });
    let stopped = false;
    try {
      const s = await connect(t, extra.url);
      await eventually(async () => {
        assert.deepEqual(await ack(s, "redis-state"), ["connected"]);
      }, "the extra C node connected to Redis");
      await peer.connect();
      const [sub, , channel] = silentPeer;
      let seen;
      const published = new Promise((resolve) => { seen = resolve; });
      await peer[sub](channel, () => seen());
      // the request is out (the peer got it): the fetch now waits for answers
      s.emit("fetch-sockets", null, null, 60_000, () => {});
      await published;
      await extra.stop(); // pending at sio_server_free: called back and freed
      stopped = true;
    } finally {
      if (!stopped) await extra.stop().catch(() => {});
      await peer.quit();
    }
  });
}
