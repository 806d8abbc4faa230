// Rooms and broadcast: join, leave, broadcast to a room (sender included),
// broadcast with except, the per-socket room, binary broadcast, volatile.
//
// "Did not receive" is checked without timing: after the broadcast under
// test, its sender broadcasts a sentinel to a room every client is in. The
// server handles one connection's packets in order and packets to one socket
// keep their order, so a client that got the sentinel but not the broadcast
// before it did not get that broadcast.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { useSioServer } from "../lib/harness.mjs";
import { MODES, TRANSPORTS, connect, ack, echo, norm } from "../lib/sio.mjs";

const srv = useSioServer();

let roomSeq = 0;
/** A room name unique to this file run. */
function room(tag) {
  return `${tag}-${process.pid}-${++roomSeq}`;
}

/** Connect n clients (transports cycling through the modes) that all join `all`. */
async function clients(t, n, all) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const mode = MODES[i % MODES.length];
    const s = await connect(t, srv.url, { transports: TRANSPORTS[mode] });
    s.label = `client ${i} (${mode})`;
    assert.deepEqual(await ack(s, "join", all), ["ok"]);
    out.push(s);
  }
  return out;
}

/**
 * Broadcast a sentinel to `all` from `from` (the sender of the broadcasts
 * under test), then for each client return the
 * payloads of the "broadcast" events it got before the sentinel.
 */
async function drain(sockets, from, all) {
  const sentinel = `sentinel-${++roomSeq}`;
  from.emit("broadcast", all, sentinel);
  const got = [];
  for (const s of sockets) {
    const seen = [];
    for (;;) {
      const [p] = await s.inbox.args("broadcast", `the sentinel broadcast on ${s.label}`);
      if (p === sentinel) break;
      seen.push(p);
    }
    got.push(seen);
  }
  return got;
}

describe("rooms", () => {
  test("broadcast reaches the room's members only, sender included", async (t) => {
    const all = room("all");
    const r1 = room("r1");
    const [a, b, c] = await clients(t, 3, all);
    assert.deepEqual(await ack(a, "join", r1), ["ok"]);
    assert.deepEqual(await ack(b, "join", r1), ["ok"]);
    a.emit("broadcast", r1, { from: "a" });
    assert.deepEqual(await drain([a, b, c], a, all), [[{ from: "a" }], [{ from: "a" }], []]);
    c.emit("broadcast", r1, "from c");
    assert.deepEqual(await drain([a, b, c], c, all), [["from c"], ["from c"], []]);
  });

  test("broadcast-except skips the members of the excepted room", async (t) => {
    const all = room("all");
    const r = room("r");
    const ex = room("ex");
    const [a, b, c, d] = await clients(t, 4, all);
    for (const s of [a, b, c]) assert.deepEqual(await ack(s, "join", r), ["ok"]);
    assert.deepEqual(await ack(b, "join", ex), ["ok"]);
    assert.deepEqual(await ack(d, "join", ex), ["ok"]);
    a.emit("broadcast-except", r, ex, [1, 2]);
    assert.deepEqual(await drain([a, b, c, d], a, all), [[[1, 2]], [], [[1, 2]], []]);
    // The sender itself can be excepted; excepting the room itself reaches nobody.
    b.emit("broadcast-except", r, ex, "not to b");
    assert.deepEqual(await drain([a, b, c, d], b, all), [["not to b"], [], ["not to b"], []]);
    c.emit("broadcast-except", r, r, "nobody");
    assert.deepEqual(await drain([a, b, c, d], c, all), [[], [], [], []]);
  });

  test("leave stops the broadcasts of that room only", async (t) => {
    const all = room("all");
    const r1 = room("r1");
    const r2 = room("r2");
    const [a, b] = await clients(t, 2, all);
    for (const s of [a, b]) {
      assert.deepEqual(await ack(s, "join", r1), ["ok"]);
      assert.deepEqual(await ack(s, "join", r2), ["ok"]);
    }
    assert.deepEqual(await ack(b, "leave", r1), ["ok"]);
    a.emit("broadcast", r1, "r1");
    a.emit("broadcast", r2, "r2");
    // Leaving a room one is not in is harmless.
    assert.deepEqual(await ack(b, "leave", room("never-joined")), ["ok"]);
    const [ga, gb] = await drain([a, b], a, all);
    assert.deepEqual(ga, ["r1", "r2"]);
    assert.deepEqual(gb, ["r2"]);
  });

  test("joining twice delivers once", async (t) => {
    const all = room("all");
    const r = room("r");
    const [a, b] = await clients(t, 2, all);
    assert.deepEqual(await ack(a, "join", r), ["ok"]);
    assert.deepEqual(await ack(a, "join", r), ["ok"]);
    b.emit("broadcast", r, "once");
    const [ga, gb] = await drain([a, b], b, all);
    assert.deepEqual(ga, ["once"]);
    assert.deepEqual(gb, []);
  });

  test("each socket is in a room named by its id", async (t) => {
    const all = room("all");
    const [a, b, c] = await clients(t, 3, all);
    a.emit("broadcast", b.id, "for b");
    const got = await drain([a, b, c], a, all);
    assert.deepEqual(got, [[], ["for b"], []]);
  });

  test("binary payloads are broadcast intact", async (t) => {
    const all = room("all");
    const r = room("r");
    const [a, b, c] = await clients(t, 3, all);
    for (const s of [a, b, c]) assert.deepEqual(await ack(s, "join", r), ["ok"]);
    const payload = { img: Buffer.from([0, 1, 2, 250]), more: [Buffer.from("x"), 3] };
    a.emit("broadcast", r, payload);
    const got = await drain([a, b, c], a, all);
    for (const g of got) assert.deepEqual(norm(g), norm([payload]));
  });

  test("a disconnected member no longer counts, the room keeps working", async (t) => {
    const all = room("all");
    const r = room("r");
    const [a, b, c] = await clients(t, 3, all);
    for (const s of [a, b, c]) assert.deepEqual(await ack(s, "join", r), ["ok"]);
    b.disconnect();
    // b's DISCONNECT may reach the server before or after this broadcast;
    // either way a and c get it once.
    a.emit("broadcast", r, "after b left");
    const [ga, gc] = await drain([a, c], a, all);
    assert.deepEqual(ga, ["after b left"]);
    assert.deepEqual(gc, ["after b left"]);
  });

  test("a broadcast to an empty or unknown room reaches nobody", async (t) => {
    const all = room("all");
    const [a, b] = await clients(t, 2, all);
    a.emit("broadcast", room("empty"), "void");
    const got = await drain([a, b], a, all);
    assert.deepEqual(got, [[], []]);
  });
});

describe("volatile", () => {
  for (const mode of MODES) {
    test(`volatile packets are dropped or delivered whole and in order (${mode})`, async (t) => {
      const s = await connect(t, srv.url, { transports: TRANSPORTS[mode] });
      const N = 50;
      s.emit("volatile", N);
      const [n] = await s.inbox.args("volatile-done", "the volatile-done event");
      assert.equal(n, N);
      const got = s.inbox.pending("volatile").map((it) => it.args);
      for (const args of got) {
        assert.equal(args.length, 1, `one argument per volatile packet, got ${JSON.stringify(args)}`);
        assert.ok(Number.isInteger(args[0]) && args[0] >= 0 && args[0] < N, `unexpected ${args[0]}`);
      }
      const seq = got.map((a) => a[0]);
      for (let i = 1; i < seq.length; i++) assert.ok(seq[i] > seq[i - 1], `out of order or duplicated: ${seq}`);
      // Whatever was dropped, the connection is intact.
      assert.deepEqual(await echo(s, "after volatile"), ["after volatile"]);
    });
  }
});
