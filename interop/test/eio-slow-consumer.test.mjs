// A client that never reads must cost only its own connection: once the
// output queued for it passes the server's cap (8 MiB by default), the
// server closes it instead of buffering without bound, and keeps serving
// everyone else.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { useServer, TARGET } from "../lib/harness.mjs";
import { rawWsConnect, buildFrame, OP, handshake } from "../lib/util.mjs";

describe("slow consumer", () => {
  const srv = useServer();

  it("a WebSocket client that never reads is closed, others are served", {
    skip: TARGET === "node" && "Node's engine.io queues output without a cap",
  }, async () => {
    const conn = await rawWsConnect(srv.port);
    conn.sock.pause(); // never read: the echoes pile up on the server
    const payload = Buffer.alloc(900_000, "a");
    payload[0] = 0x34; // "4": a message packet
    const frame = buildFrame(OP.TEXT, payload);
    let sent = 0;
    // 60 messages (54 MB) is far past the cap plus what the kernel's
    // socket buffers hold
    for (let i = 0; i < 60 && !conn.ended; i++) {
      if (!(await conn.write(frame))) break;
      sent += payload.length;
    }
    conn.sock.resume();
    await conn.closed("the server to close the slow consumer", 20_000);
    assert.ok(conn.buf.length < sent,
      `the server echoed all ${sent} bytes instead of closing the connection`);
    const { sid } = await handshake(srv.url); // throws unless served
    assert.equal(sid.length, 20);
  });
});
