// The stock socket.io-client over each transport (polling only, WebSocket
// only, polling upgraded to WebSocket): handshake auth, events and acks in
// both directions, server-side ack timeout, binary in arguments and acks.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { useSioServer } from "../lib/harness.mjs";
import {
  MODES, TRANSPORTS, connect, ack, echo, norm, upgraded, transportName,
} from "../lib/sio.mjs";

const srv = useSioServer();

const PLAIN_ARGS = [
  "hello",
  42,
  -1.5,
  true,
  null,
  { a: 1, b: [1, "two", { c: null }], "ü": "héllo €𝄞" },
  [],
  "",
  "quote \" backslash \\ newline \n tab \t",
];

function binArgs() {
  return [
    Buffer.from([1, 2, 3]),
    { nested: { list: [Uint8Array.of(4, 5), "x", { deeper: Buffer.from([0, 255]) }] } },
    "plain",
    [Buffer.alloc(0), Buffer.from("text as bytes")],
  ];
}

for (const mode of MODES) {
  describe(`transport: ${mode}`, () => {
    const opts = { transports: TRANSPORTS[mode] };

    async function open(t, extra = {}) {
      const socket = await connect(t, srv.url, { ...opts, ...extra });
      if (mode === "upgrade") await upgraded(socket);
      return socket;
    }

    test("connects, gets an id, and the server sees the handshake auth", async (t) => {
      const auth = { token: "abc", n: 1, list: [true, null], "ü": "€" };
      const socket = await open(t, { auth });
      assert.equal(typeof socket.id, "string");
      assert.ok(socket.id.length > 0);
      const [seen] = await socket.inbox.args("auth", "the auth event");
      assert.deepEqual(seen, auth);
      assert.equal(transportName(socket), mode === "polling" ? "polling" : "websocket");
    });

    test("without auth the server sees an empty object", async (t) => {
      const socket = await open(t);
      const args = await socket.inbox.args("auth", "the auth event");
      assert.deepEqual(args, [{}]);
    });

    test("events come back with the same arguments, in order", async (t) => {
      const socket = await open(t);
      assert.deepEqual(await echo(socket, ...PLAIN_ARGS), PLAIN_ARGS);
      assert.deepEqual(await echo(socket), []);
      for (let i = 0; i < 30; i++) socket.emit("message", i, `n${i}`);
      for (let i = 0; i < 30; i++) {
        assert.deepEqual(await socket.inbox.args("message-back", `message-back #${i}`), [i, `n${i}`]);
      }
    });

    test("client emit with ack gets the same arguments back", async (t) => {
      const socket = await open(t);
      assert.deepEqual(await ack(socket, "message-with-ack", ...PLAIN_ARGS), PLAIN_ARGS);
      assert.deepEqual(await ack(socket, "message-with-ack"), []);
      const res = await socket.timeout(3000).emitWithAck("message-with-ack", "via emitWithAck");
      assert.equal(res, "via emitWithAck");
    });

    test("concurrent acks are each matched to their own request", async (t) => {
      const socket = await open(t);
      const got = await Promise.all(
        Array.from({ length: 40 }, (_, i) => ack(socket, "message-with-ack", i, { i })));
      got.forEach((args, i) => assert.deepEqual(args, [i, { i }]));
    });

    test("binary arguments, nested and several, come back intact", async (t) => {
      const socket = await open(t);
      assert.deepEqual(norm(await echo(socket, ...binArgs())), norm(binArgs()));
      const big = Buffer.alloc(100_000, 7);
      assert.deepEqual(norm(await echo(socket, big, "after")), norm([big, "after"]));
    });

    test("binary in acks (several attachments)", async (t) => {
      const socket = await open(t);
      assert.deepEqual(norm(await ack(socket, "message-with-ack", ...binArgs())), norm(binArgs()));
    });

    test("server emit with ack: the client's answer reaches the server", async (t) => {
      const socket = await open(t);
      let seen;
      socket.on("ping-me", (...args) => {
        const cb = args.pop();
        seen = args;
        cb("pong", { n: 2 }, [3]);
      });
      socket.emit("server-ack", "a", { b: 1 });
      const result = await socket.inbox.args("server-ack-result", "the server-ack-result event");
      assert.deepEqual(seen, ["a", { b: 1 }]);
      assert.deepEqual(result, [null, "pong", { n: 2 }, [3]]);
    });

    test("server emit with ack: binary both ways", async (t) => {
      const socket = await open(t);
      let seen;
      socket.on("ping-me", (...args) => {
        const cb = args.pop();
        seen = args;
        cb(Buffer.from([7, 7]), { deep: [Buffer.from([8]), { x: Uint8Array.of(9, 10) }] });
      });
      socket.emit("server-ack", Buffer.from([1]), { two: Buffer.from([2, 2]) });
      const result = await socket.inbox.args("server-ack-result", "the server-ack-result event");
      assert.deepEqual(norm(seen), norm([Buffer.from([1]), { two: Buffer.from([2, 2]) }]));
      assert.deepEqual(norm(result),
        norm([null, Buffer.from([7, 7]), { deep: [Buffer.from([8]), { x: Uint8Array.of(9, 10) }] }]));
    });

    test("server emit with ack times out when the client does not answer; a late answer is ignored", async (t) => {
      const socket = await open(t);
      let late;
      socket.on("ping-me", (...args) => { late = args.pop(); });
      socket.emit("server-ack", "no answer");
      const result = await socket.inbox.args("server-ack-result", "the server-ack-result timeout report");
      assert.deepEqual(result, ["timeout"]);
      assert.equal(typeof late, "function", "the client got ping-me with an ack callback");
      late("too late");
      // The connection still works, and the late answer produced nothing:
      // the server would have reported it before answering this message.
      assert.deepEqual(await echo(socket, "still alive"), ["still alive"]);
      assert.deepEqual(socket.inbox.pending("server-ack-result"), []);
    });
  });
}

test("upgrade: messages sent while upgrading all arrive, in order", async (t) => {
  const socket = await connect(t, srv.url, { transports: TRANSPORTS.upgrade });
  const N = 60;
  const sending = (async () => {
    for (let i = 0; i < N; i++) {
      socket.emit("message", i);
      if (i % 10 === 0) await new Promise((r) => setImmediate(r));
    }
  })();
  await upgraded(socket);
  await sending;
  for (let i = 0; i < N; i++) {
    assert.deepEqual(await socket.inbox.args("message-back", `message-back #${i}`), [i]);
  }
  assert.equal(transportName(socket), "websocket");
});
