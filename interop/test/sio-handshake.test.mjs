// The handshake a server sees (Node's socket.handshake): what the client
// sent and where from, as the application reads it.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { useSioServer } from "../lib/harness.mjs";
import { connect, ack } from "../lib/sio.mjs";

const srv = useSioServer();

describe("handshake", () => {
  test("headers, address, url, query, auth, xdomain, secure, issued, time", async (t) => {
    const before = Date.now();
    const socket = await connect(t, srv.url, {
      transports: ["polling"],
      auth: { token: "abc", n: 1 },
      query: { room: "lobby", "spaced key": "a b&c" },
      extraHeaders: { "X-Custom": "yes", Origin: "http://example.test" },
    });
    const [hs] = await ack(socket, "handshake");
    assert.deepEqual(Object.keys(hs).sort(),
      ["address", "auth", "headers", "issued", "query", "secure", "time", "url", "xdomain"]);
    assert.deepEqual(hs.auth, { token: "abc", n: 1 });
    assert.equal(hs.headers["x-custom"], "yes");
    assert.equal(hs.headers.origin, "http://example.test");
    assert.match(hs.headers.host, /^127\.0\.0\.1:\d+$/);
    assert.match(hs.address, /^(::ffff:)?127\.0\.0\.1$/);
    assert.equal(hs.xdomain, true);
    assert.equal(hs.secure, false);
    assert.equal(hs.query.EIO, "4");
    assert.equal(hs.query.transport, "polling");
    assert.equal(hs.query.room, "lobby");
    assert.equal(hs.query["spaced key"], "a b&c");
    assert.match(hs.url, /^\/socket\.io\/\?/);
    assert.ok(hs.url.includes("room=lobby"));
    assert.equal(typeof hs.issued, "number");
    assert.ok(hs.issued >= before - 1000 && hs.issued <= Date.now() + 1000,
      `issued ${hs.issued} is not the connection time`);
    assert.equal(new Date(hs.time).getTime(), Math.floor(hs.issued / 1000) * 1000,
      `time ${JSON.stringify(hs.time)} does not name the second of issued`);
  });

  test("no Origin: xdomain false; no auth: {}", async (t) => {
    const socket = await connect(t, srv.url, { transports: ["websocket"] });
    const [hs] = await ack(socket, "handshake");
    assert.equal(hs.xdomain, false);
    assert.deepEqual(hs.auth, {});
    assert.equal(hs.query.transport, "websocket");
  });
});
