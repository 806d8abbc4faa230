// WebSocket transport: message exchange, Engine.IO parse errors, and the
// RFC 6455 rules the server's WebSocket layer must enforce.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { useServer } from "../lib/harness.mjs";
import {
  WsClient, wsUrl, rawWsConnect, buildFrame, readFrame, closeCode, OP, MAX_PAYLOAD,
} from "../lib/util.mjs";

const srv = useServer();

/** Open a WebSocket session and consume its open packet. */
async function openSession() {
  const ws = await WsClient.open(wsUrl(srv.url));
  const open = await ws.nextText("the open packet");
  assert.equal(open[0], "0");
  return ws;
}

/** Raw WebSocket session with the open packet consumed. */
async function openRaw() {
  const conn = await rawWsConnect(srv.port);
  const f = await readFrame(conn, "the open packet");
  assert.ok(f, "connection closed before the open packet");
  assert.equal(f.opcode, OP.TEXT);
  assert.equal(f.masked, false, "server frames must not be masked");
  assert.equal(f.payload.toString()[0], "0");
  return conn;
}

/** Next frame other than an Engine.IO ping text frame ("2"). */
async function readNonPing(conn, what) {
  for (;;) {
    const f = await readFrame(conn, what);
    if (f && f.opcode === OP.TEXT && f.payload.toString() === "2") {
      await conn.write(buildFrame(OP.TEXT, "3"));
      continue;
    }
    return f;
  }
}

/** Expect the server to close the raw connection, optionally with a close code. */
async function expectRawClose(conn, code, what) {
  for (;;) {
    const f = await readFrame(conn, `close after ${what}`);
    if (!f) {
      // TCP closed without a close frame (a close frame is only "if one arrives").
      return null;
    }
    if (f.opcode !== OP.CLOSE) continue; // pings or data queued before the error
    if (code !== undefined) assert.equal(closeCode(f), code, `close code after ${what}`);
    await conn.closed(`the TCP connection to close after ${what}`);
    return closeCode(f);
  }
}

describe("websocket messages", () => {
  test("text message is echoed", async () => {
    const ws = await openSession();
    try {
      ws.send("4hello");
      const m = await ws.nextNonPing("the echo");
      assert.equal(m.isBinary, false);
      assert.equal(m.text, "4hello");
    } finally {
      ws.terminate();
    }
  });

  test("binary message is echoed as binary", async () => {
    const ws = await openSession();
    try {
      ws.send(Buffer.from([1, 2, 3, 4]), { binary: true });
      const m = await ws.nextNonPing("the binary echo");
      assert.equal(m.isBinary, true);
      assert.deepEqual([...m.data], [1, 2, 3, 4]);
    } finally {
      ws.terminate();
    }
  });

  test("empty binary and empty text messages", async () => {
    const ws = await openSession();
    try {
      ws.send(Buffer.alloc(0), { binary: true });
      ws.send("4");
      const a = await ws.nextNonPing("the empty binary echo");
      assert.equal(a.isBinary, true);
      assert.equal(a.data.length, 0);
      const b = await ws.nextNonPing("the empty text echo");
      assert.equal(b.text, "4");
    } finally {
      ws.terminate();
    }
  });

  test("messages are echoed in order", async () => {
    const ws = await openSession();
    try {
      for (let i = 0; i < 50; i++) {
        if (i % 2) ws.send(Buffer.from([i]), { binary: true });
        else ws.send(`4msg${i}`);
      }
      for (let i = 0; i < 50; i++) {
        const m = await ws.nextNonPing(`echo #${i}`);
        if (i % 2) {
          assert.equal(m.isBinary, true);
          assert.deepEqual([...m.data], [i]);
        } else {
          assert.equal(m.text, `4msg${i}`);
        }
      }
    } finally {
      ws.terminate();
    }
  });

  test("a message of exactly maxPayload bytes is accepted", async () => {
    const ws = await openSession();
    try {
      const big = "4" + "y".repeat(MAX_PAYLOAD - 1);
      ws.send(big);
      const m = await ws.nextNonPing("the large echo", 10_000);
      assert.equal(m.text.length, big.length);
      assert.equal(m.text, big);
    } finally {
      ws.terminate();
    }
  });

  test("fragmented text message is reassembled", async () => {
    const conn = await openRaw();
    try {
      await conn.write(Buffer.concat([
        buildFrame(OP.TEXT, "4frag", { fin: false }),
        buildFrame(OP.PING, "mid"), // control frames may be interleaved
        buildFrame(OP.CONT, "ment", { fin: false }),
        buildFrame(OP.CONT, "ed", { fin: true }),
      ]));
      // RFC 6455 does not order the pong against the echo: accept both.
      const got = [];
      for (let i = 0; i < 2; i++) {
        const f = await readNonPing(conn, "the pong and the echo");
        assert.ok(f, "connection closed");
        got.push([f.opcode, f.payload.toString()]);
      }
      got.sort((a, b) => a[0] - b[0]);
      assert.deepEqual(got, [[OP.TEXT, "4fragmented"], [OP.PONG, "mid"]]);
    } finally {
      conn.destroy();
    }
  });
});

// The server gives its WebSocket parser whole frames only and keeps no
// parser state for an idle connection: frames cut anywhere, and messages
// left open between reads, must come through all the same.
describe("websocket frames across reads", () => {
  /** A PING round trip: the server has read all that was written before. */
  async function roundTrip(conn, tag) {
    await conn.write(buildFrame(OP.PING, tag));
    const f = await readNonPing(conn, `the pong ${tag}`);
    assert.deepEqual([f?.opcode, f?.payload.toString()], [OP.PONG, tag]);
  }

  test("a fragmented message open across reads, a ping in between", async () => {
    const conn = await openRaw();
    try {
      await conn.write(buildFrame(OP.TEXT, "4open", { fin: false }));
      await roundTrip(conn, "a");
      await conn.write(buildFrame(OP.CONT, " across", { fin: false }));
      await roundTrip(conn, "b");
      await conn.write(buildFrame(OP.CONT, " reads", { fin: true }));
      const f = await readNonPing(conn, "the echo");
      assert.deepEqual([f?.opcode, f?.payload.toString()], [OP.TEXT, "4open across reads"]);
    } finally {
      conn.destroy();
    }
  });

  test("frames cut at every byte, and several frames in one write", async () => {
    const conn = await openRaw();
    try {
      const frames = Buffer.concat([
        buildFrame(OP.TEXT, "4" + "x".repeat(200)), // a 16-bit length
        buildFrame(OP.TEXT, "4second"),
      ]);
      for (let i = 0; i < frames.length; i += 7) {
        await conn.write(frames.subarray(i, i + 7));
        if (i < 40) await new Promise((r) => setImmediate(r));
      }
      const a = await readNonPing(conn, "the first echo");
      assert.equal(a?.payload.toString(), "4" + "x".repeat(200));
      const b = await readNonPing(conn, "the second echo");
      assert.equal(b?.payload.toString(), "4second");
      for (const byte of buildFrame(OP.TEXT, "4bytewise")) {
        await conn.write(Buffer.from([byte]));
        await new Promise((r) => setImmediate(r));
      }
      const c = await readNonPing(conn, "the bytewise echo");
      assert.equal(c?.payload.toString(), "4bytewise");
    } finally {
      conn.destroy();
    }
  });

  test("a header announcing more than maxPayload is refused (1009) before its payload comes", async () => {
    const conn = await openRaw();
    try {
      const head = Buffer.alloc(14);
      head[0] = 0x81; // FIN, text
      head[1] = 0x80 | 127;
      head.writeBigUInt64BE(BigInt(MAX_PAYLOAD + 1), 2);
      await conn.write(head); // and nothing more
      assert.equal(await expectRawClose(conn, 1009, "an oversized header"), 1009);
    } finally {
      conn.destroy();
    }
  });
});

describe("websocket errors", () => {
  test("invalid packet closes the connection", async () => {
    const ws = await openSession();
    ws.send("abc");
    await ws.closed("the server to close after an invalid packet");
  });

  test("message larger than maxPayload closes with 1009", async () => {
    const ws = await openSession();
    ws.send("4" + "z".repeat(MAX_PAYLOAD));
    const { code } = await ws.closed("close after an oversized message", 10_000);
    assert.equal(code, 1009);
  });

  test("text frame with invalid UTF-8 closes with 1007", async () => {
    const conn = await openRaw();
    try {
      await conn.write(buildFrame(OP.TEXT, Buffer.from([0x34, 0x68, 0xff, 0xfe, 0x69])));
      const code = await expectRawClose(conn, 1007, "invalid UTF-8");
      assert.equal(code, 1007, "expected a close frame with code 1007");
    } finally {
      conn.destroy();
    }
  });

  test("unmasked client frame closes the connection (1002)", async () => {
    const conn = await openRaw();
    try {
      await conn.write(buildFrame(OP.TEXT, "4unmasked", { mask: false }));
      await expectRawClose(conn, 1002, "an unmasked frame");
    } finally {
      conn.destroy();
    }
  });

  test("unknown opcode closes the connection (1002)", async () => {
    const conn = await openRaw();
    try {
      await conn.write(buildFrame(0x3, "x"));
      await expectRawClose(conn, 1002, "a reserved opcode");
    } finally {
      conn.destroy();
    }
  });
});

describe("websocket control frames", () => {
  test("ping frame is answered with a pong carrying the same payload", async () => {
    const conn = await openRaw();
    try {
      await conn.write(buildFrame(OP.PING, "hello-ping"));
      const f = await readNonPing(conn, "the pong frame");
      assert.ok(f, "connection closed instead of answering the ping");
      assert.equal(f.opcode, OP.PONG);
      assert.equal(f.payload.toString(), "hello-ping");
    } finally {
      conn.destroy();
    }
  });

  test("client close frame is answered with a close frame, then TCP close", async () => {
    const conn = await openRaw();
    try {
      const payload = Buffer.alloc(2);
      payload.writeUInt16BE(1000);
      await conn.write(buildFrame(OP.CLOSE, payload));
      const code = await expectRawClose(conn, undefined, "a client close frame");
      assert.notEqual(code, null, "the server must answer with a close frame");
      assert.ok(code === 1000 || code === 1005, `close code ${code}`);
    } finally {
      conn.destroy();
    }
  });

  test("Engine.IO close packet closes the connection", async () => {
    const ws = await openSession();
    ws.send("1");
    await ws.closed("the server to close after a close packet");
  });
});
