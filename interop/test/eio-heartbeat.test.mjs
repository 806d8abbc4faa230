// Heartbeat (Engine.IO v4: the server pings, the client pongs) and the ping
// timeout on both transports. Waits are bounded; nothing asserts durations.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { useServer } from "../lib/harness.mjs";
import {
  handshake, poll, post, packets, sleep, WsClient, wsUrl, PING_INTERVAL, PING_TIMEOUT,
} from "../lib/util.mjs";

const srv = useServer();

describe("polling heartbeat", () => {
  test("the server pings; pongs keep the session alive", async () => {
    const { sid } = await handshake(srv.url);
    for (let i = 0; i < 3; i++) {
      const res = await poll(srv.url, sid, { what: `ping #${i + 1}` });
      assert.equal(res.status, 200);
      assert.equal(res.body, "2");
      const pong = await post(srv.url, sid, "3");
      assert.equal(pong.status, 200);
      assert.equal(pong.body, "ok");
    }
    // Three rounds outlast pingInterval + pingTimeout: the session is alive.
    assert.equal((await post(srv.url, sid, "4alive")).body, "ok");
    const res = await poll(srv.url, sid);
    assert.equal(res.status, 200);
    assert.ok(packets(res.body).includes("4alive"), `body ${JSON.stringify(res.body)}`);
  });

  test("no pong: the session times out", async () => {
    const { sid } = await handshake(srv.url);
    await sleep(2 * (PING_INTERVAL + PING_TIMEOUT) - 400); // 600 ms
    // Normally the very first GET is refused; under a slow (sanitizer) build a
    // GET may still drain the unanswered ping or the close packet first.
    for (let i = 0; i < 5; i++) {
      const res = await poll(srv.url, sid);
      if (res.status === 400) {
        assert.deepEqual(JSON.parse(res.body), { code: 1, message: "Session ID unknown" });
        return;
      }
      assert.equal(res.status, 200);
      for (const p of packets(res.body)) {
        assert.ok(p === "2" || p === "1", `unexpected packet ${JSON.stringify(p)} on a timed-out session`);
      }
    }
    assert.fail("the session did not time out");
  });

  test("a pending GET is answered with the ping", async () => {
    const { sid } = await handshake(srv.url);
    const res = await poll(srv.url, sid, { what: "the ping on a pending GET" });
    assert.equal(res.body, "2");
    await post(srv.url, sid, "1");
  });
});

describe("websocket heartbeat", () => {
  test("the server pings; pongs keep the session alive", async () => {
    const ws = await WsClient.open(wsUrl(srv.url));
    try {
      assert.equal((await ws.nextText("the open packet"))[0], "0");
      for (let i = 0; i < 3; i++) {
        assert.equal(await ws.nextText(`ping #${i + 1}`), "2");
        ws.send("3");
      }
      ws.send("4alive");
      for (;;) {
        const m = await ws.nextText("the echo after three pings");
        if (m === "2") { ws.send("3"); continue; }
        assert.equal(m, "4alive");
        break;
      }
    } finally {
      ws.terminate();
    }
  });

  test("no pong: the server closes the socket", async () => {
    const ws = await WsClient.open(wsUrl(srv.url));
    try {
      assert.equal((await ws.nextText("the open packet"))[0], "0");
      assert.equal(await ws.nextText("the first ping"), "2");
      await ws.closed("the server to close a socket that never pongs");
    } finally {
      ws.terminate();
    }
  });
});
