// Upgrade from polling to WebSocket: probe, noop on the pending poll, the
// upgrade packet, and what happens to the old transport and to messages
// queued meanwhile.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { useServer } from "../lib/harness.mjs";
import {
  handshake, poll, post, packets, WsClient, wsUrl, tryWs, T,
} from "../lib/util.mjs";

const srv = useServer();

/**
 * GET until a payload containing a noop arrives (answering pings with pongs).
 * Returns every packet seen, noop included.
 */
async function pollUntilNoop(sid, first) {
  const seen = [];
  let pending = first;
  for (let i = 0; i < 10; i++) {
    const res = await (pending || poll(srv.url, sid, { what: "the noop on the polling transport" }));
    pending = null;
    assert.equal(res.status, 200, `poll during upgrade: ${res.status} ${res.body}`);
    const pk = packets(res.body);
    seen.push(...pk);
    if (pk.includes("6")) return seen;
    if (pk.includes("2")) await post(srv.url, sid, "3");
  }
  throw new Error(`no noop on the polling transport, got ${JSON.stringify(seen)}`);
}

/** polling session + WebSocket with its sid, probed and upgraded. */
async function upgraded() {
  const { sid } = await handshake(srv.url);
  const ws = await WsClient.open(wsUrl(srv.url, { sid }));
  const get = poll(srv.url, sid, { what: "the pending poll during upgrade" });
  ws.send("2probe");
  assert.equal(await ws.nextText("the probe answer"), "3probe");
  await pollUntilNoop(sid, get);
  ws.send("5");
  return { sid, ws };
}

async function expectEcho(ws, text) {
  ws.send(text);
  const m = await ws.nextNonPing(`the echo of ${text}`);
  assert.equal(m.isBinary, false);
  assert.equal(m.text, text);
}

describe("upgrade", () => {
  test("probe, noop, upgrade, then messages flow over the WebSocket", async () => {
    const { sid } = await handshake(srv.url);
    const ws = await WsClient.open(wsUrl(srv.url, { sid }));
    try {
      // The WebSocket of an upgrade gets no open packet.
      const get = poll(srv.url, sid, { what: "the pending poll during upgrade" });
      ws.send("2probe");
      assert.equal(await ws.nextText("the probe answer"), "3probe");
      const seen = await pollUntilNoop(sid, get);
      for (const p of seen) assert.ok(p === "6" || p === "2", `unexpected packet ${p}`);
      ws.send("5");
      await expectEcho(ws, "4hello");
      ws.send(Buffer.from([9, 8, 7]), { binary: true });
      const b = await ws.nextNonPing("the binary echo");
      assert.equal(b.isBinary, true);
      assert.deepEqual([...b.data], [9, 8, 7]);
    } finally {
      ws.terminate();
    }
  });

  test("after the upgrade, polling with that sid is refused", async () => {
    const { sid, ws } = await upgraded();
    try {
      await expectEcho(ws, "4sync"); // the upgrade packet has been processed
      const res = await poll(srv.url, sid);
      assert.equal(res.status, 400);
      assert.match(res.headers.get("content-type") || "", /^application\/json\b/);
      const body = JSON.parse(res.body);
      assert.ok(body.code === 1 || body.code === 3, `error body ${res.body}`);
      const p = await post(srv.url, sid, "4late");
      assert.equal(p.status, 400);
      await expectEcho(ws, "4still-open");
    } finally {
      ws.terminate();
    }
  });

  test("the server pings over the WebSocket after the upgrade", async () => {
    const { ws } = await upgraded();
    try {
      for (let i = 0; i < 2; i++) {
        assert.equal(await ws.nextText(`ping #${i + 1} over the WebSocket`), "2");
        ws.send("3");
      }
    } finally {
      ws.terminate();
    }
  });

  test("a second WebSocket for an upgraded session is refused; the first keeps working", async () => {
    const { sid, ws } = await upgraded();
    try {
      await expectEcho(ws, "4first");
      const r = await tryWs(wsUrl(srv.url, { sid }));
      if (r.refused) {
        if (r.statusCode !== null) assert.equal(r.statusCode, 400);
      } else {
        r.client.send("2probe");
        await r.client.closed("the server to close the second WebSocket");
        assert.ok(!r.client.queue.some((m) => m.text === "3probe"), "the second WebSocket was probed");
      }
      await expectEcho(ws, "4first-again");
    } finally {
      ws.terminate();
    }
  });

  test("a second WebSocket while upgrading is refused; the first completes", async () => {
    const { sid } = await handshake(srv.url);
    const ws = await WsClient.open(wsUrl(srv.url, { sid }));
    try {
      const get = poll(srv.url, sid, { what: "the pending poll during upgrade" });
      ws.send("2probe");
      assert.equal(await ws.nextText("the probe answer"), "3probe");
      const r = await tryWs(wsUrl(srv.url, { sid }));
      if (r.refused) {
        if (r.statusCode !== null) assert.equal(r.statusCode, 400);
      } else {
        r.client.send("2probe");
        await r.client.closed("the server to close the second WebSocket");
        assert.ok(!r.client.queue.some((m) => m.text === "3probe"), "the second WebSocket was probed");
      }
      await pollUntilNoop(sid, get);
      ws.send("5");
      await expectEcho(ws, "4done");
    } finally {
      ws.terminate();
    }
  });

  test("messages echoed while upgrading are delivered exactly once", async () => {
    const { sid } = await handshake(srv.url);
    const ws = await WsClient.open(wsUrl(srv.url, { sid }));
    try {
      const get = poll(srv.url, sid, { what: "the pending poll during upgrade" });
      ws.send("2probe");
      assert.equal(await ws.nextText("the probe answer"), "3probe");
      // The client still writes over polling while it pauses it.
      const p = await post(srv.url, sid, "4during");
      assert.equal(p.status, 200);
      assert.equal(p.body, "ok");
      const seen = await pollUntilNoop(sid, get);
      ws.send("5");
      ws.send("4after");
      const onWs = [];
      for (;;) {
        const m = await ws.nextNonPing("messages after the upgrade");
        onWs.push(m.text);
        if (m.text === "4after") break;
      }
      const all = [...seen, ...onWs];
      assert.equal(all.filter((x) => x === "4during").length, 1,
        `"4during" must arrive exactly once; polling got ${JSON.stringify(seen)}, WebSocket got ${JSON.stringify(onWs)}`);
      assert.ok(onWs.indexOf("4during") < onWs.indexOf("4after"), "order kept");
    } finally {
      ws.terminate();
    }
  });

  test("closing the probing WebSocket leaves the polling session usable", async () => {
    const { sid } = await handshake(srv.url);
    const ws = await WsClient.open(wsUrl(srv.url, { sid }));
    ws.send("2probe");
    assert.equal(await ws.nextText("the probe answer"), "3probe");
    ws.terminate();
    await ws.closed();
    assert.equal((await post(srv.url, sid, "4fallback")).body, "ok");
    for (let i = 0; i < 10; i++) {
      const res = await poll(srv.url, sid, { timeout: T });
      assert.equal(res.status, 200);
      const pk = packets(res.body);
      if (pk.includes("4fallback")) return;
      if (pk.includes("2")) await post(srv.url, sid, "3");
    }
    assert.fail("the message never came back over polling");
  });
});
