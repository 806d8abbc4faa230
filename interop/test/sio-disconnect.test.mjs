// Disconnect reasons on both sides. The client's reason is its "disconnect"
// event; the server's reason is reported by the conformance server to the
// "observers" room of "/" as "peer-disconnect" {nsp, id, reason}.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { useSioServer } from "../lib/harness.mjs";
import {
  Manager, Inbox, MODES, TRANSPORTS, connect, connected, disconnected, ack, echo, sioWsUrl,
} from "../lib/sio.mjs";
import { T, WsClient, withTimeout } from "../lib/util.mjs";

const srv = useSioServer();

/** A client in the "observers" room. */
async function observer(t) {
  const obs = await connect(t, srv.url, { transports: TRANSPORTS.websocket });
  assert.deepEqual(await ack(obs, "join", "observers"), ["ok"]);
  return obs;
}

/** The server-side disconnect report for socket `id`: { nsp, id, reason }. */
async function serverReason(obs, id, what = `the server's disconnect report for ${id}`) {
  const [report] = await obs.inbox.args("peer-disconnect", what, { pred: ([r]) => r?.id === id });
  return report;
}

for (const mode of MODES) {
  describe(`disconnect reasons (${mode})`, () => {
    const transports = TRANSPORTS[mode];

    test("client socket.disconnect(): server sees \"client namespace disconnect\"", async (t) => {
      const obs = await observer(t);
      const s = await connect(t, srv.url, { transports });
      const id = s.id;
      const local = disconnected(s, "the client's own disconnect event");
      s.disconnect();
      assert.equal(await local, "io client disconnect");
      assert.deepEqual(await serverReason(obs, id), { nsp: "/", id, reason: "client namespace disconnect" });
    });

    test("server socket.disconnect(): client sees \"io server disconnect\" and does not reconnect", async (t) => {
      const obs = await observer(t);
      const s = await connect(t, srv.url, { transports, reconnection: true, reconnectionDelay: 50 });
      const id = s.id;
      const reason = disconnected(s, "the disconnect event after disconnect-me");
      s.emit("disconnect-me", false);
      assert.equal(await reason, "io server disconnect");
      assert.deepEqual(await serverReason(obs, id), { nsp: "/", id, reason: "server namespace disconnect" });
      assert.equal(s.active, false, "no automatic reconnection after a server disconnect");
      // The client may connect again by hand.
      s.connect();
      await connected(s, "the manual reconnection");
      assert.deepEqual(await echo(s, "again"), ["again"]);
    });

    test("server socket.disconnect(true) closes every namespace of the connection", async (t) => {
      const obs = await observer(t);
      const m = new Manager(srv.url, { reconnection: false, timeout: T, transports });
      t.after(() => m._close());
      const root = m.socket("/");
      const custom = m.socket("/custom");
      root.inbox = new Inbox(root);
      await connected(root, "/");
      await connected(custom, "/custom");
      const ids = { root: root.id, custom: custom.id };
      const rootReason = disconnected(root, "the / disconnect event");
      const customReason = disconnected(custom, "the /custom disconnect event");
      const engineClosed = new Promise((r) => m.engine.once("close", r));
      root.emit("disconnect-me", true);
      assert.equal(await rootReason, "io server disconnect");
      assert.equal(await customReason, "io server disconnect");
      const reports = await Promise.all([serverReason(obs, ids.root), serverReason(obs, ids.custom)]);
      assert.deepEqual(reports, [
        { nsp: "/", id: ids.root, reason: "server namespace disconnect" },
        { nsp: "/custom", id: ids.custom, reason: "server namespace disconnect" },
      ]);
      // The Engine.IO connection itself goes away too.
      await withTimeout(engineClosed, T, "the Engine.IO connection to close");
    });

    test("leaving \"/custom\" only: server sees \"client namespace disconnect\" there, \"/\" stays", async (t) => {
      const obs = await observer(t);
      const m = new Manager(srv.url, { reconnection: false, timeout: T, transports });
      t.after(() => m._close());
      const root = m.socket("/");
      root.inbox = new Inbox(root);
      const custom = m.socket("/custom");
      await connected(root, "/");
      await connected(custom, "/custom");
      const id = custom.id;
      custom.disconnect();
      assert.deepEqual(await serverReason(obs, id), { nsp: "/custom", id, reason: "client namespace disconnect" });
      assert.deepEqual(await echo(root, "root lives"), ["root lives"]);
      assert.equal(root.connected, true);
    });
  });
}

describe("transport-level reasons", () => {
  test("client closes its WebSocket: server sees \"transport close\"", async (t) => {
    const obs = await observer(t);
    const s = await connect(t, srv.url, { transports: TRANSPORTS.websocket });
    const id = s.id;
    const local = disconnected(s, "the client's disconnect event");
    s.io.engine.close();
    assert.equal(await local, "forced close");
    assert.deepEqual(await serverReason(obs, id), { nsp: "/", id, reason: "transport close" });
  });

  test("a client that stops answering pings: server sees \"ping timeout\"", async (t) => {
    const obs = await observer(t);
    const ws = await WsClient.open(sioWsUrl(srv.url));
    t.after(() => ws.terminate());
    const open = await ws.nextText("the Engine.IO open packet");
    assert.equal(open[0], "0");
    ws.send("40");
    const answer = await ws.nextText("the CONNECT answer");
    assert.match(answer, /^40\{/);
    const id = JSON.parse(answer.slice(2)).sid;
    // Pings are left unanswered (and unread) until the server gives up.
    assert.deepEqual(await serverReason(obs, id), { nsp: "/", id, reason: "ping timeout" });
    await ws.closed("the server to close the silent connection");
  });
});
