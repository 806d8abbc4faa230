// Namespaces: multiplexing "/" and "/custom" on one Manager (one Engine.IO
// connection), dynamic namespaces, unknown namespaces, and a middleware
// refusal seen by the client as connect_error with message and data.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { useSioServer } from "../lib/harness.mjs";
import {
  Manager, Inbox, MODES, TRANSPORTS, client, connect, connected, connectError, closeClient,
  echo, upgraded,
} from "../lib/sio.mjs";
import { T } from "../lib/util.mjs";

const srv = useSioServer();

/** A Manager (no reconnection) closed after the test, and its sockets with inboxes. */
function manager(t, transports) {
  const m = new Manager(srv.url, { reconnection: false, timeout: T, transports });
  t.after(() => m._close());
  return {
    m,
    socket(nsp, opts) {
      const s = m.socket(nsp, opts);
      s.inbox = new Inbox(s); // the Manager is autoConnect: s connects by itself
      t.after(() => s.disconnect());
      return s;
    },
  };
}

for (const mode of MODES) {
  describe(`multiplexing (${mode})`, () => {
    test("one Manager carries \"/\" and \"/custom\" on one connection", async (t) => {
      const mgr = manager(t, TRANSPORTS[mode]);
      const root = mgr.socket("/", { auth: { who: "root" } });
      const custom = mgr.socket("/custom", { auth: { who: "custom" } });
      await connected(root, "the / socket");
      await connected(custom, "the /custom socket");
      if (mode === "upgrade") await upgraded(root);
      assert.equal(root.io, custom.io, "both sockets share one Manager");
      assert.notEqual(root.id, custom.id, "each namespace socket has its own id");

      assert.deepEqual(await root.inbox.args("auth", "auth on /"), [{ who: "root" }]);
      assert.deepEqual(await custom.inbox.args("auth", "auth on /custom"), [{ who: "custom" }]);

      // Each namespace answers on itself only.
      assert.deepEqual(await echo(custom, "to custom", 1), ["to custom", 1]);
      assert.deepEqual(await echo(root, "to root", 2), ["to root", 2]);
      assert.deepEqual(root.inbox.pending("message-back"), []);
      assert.deepEqual(custom.inbox.pending("message-back"), []);

      // Interleaved traffic, including binary, stays on its namespace.
      for (let i = 0; i < 10; i++) {
        root.emit("message", "r", i);
        custom.emit("message", "c", i, Buffer.from([i]));
      }
      for (let i = 0; i < 10; i++) {
        assert.deepEqual(await root.inbox.args("message-back", `root #${i}`), ["r", i]);
        const [c, n, b] = await custom.inbox.args("message-back", `custom #${i}`);
        assert.deepEqual([c, n, [...new Uint8Array(b)]], ["c", i, [i]]);
      }
    });

    test("leaving \"/custom\" keeps \"/\" working on the same connection", async (t) => {
      const mgr = manager(t, TRANSPORTS[mode]);
      const root = mgr.socket("/");
      const custom = mgr.socket("/custom");
      await connected(root, "the / socket");
      await connected(custom, "the /custom socket");
      const engine = root.io.engine;
      custom.disconnect();
      assert.deepEqual(await echo(root, "after leave"), ["after leave"]);
      assert.equal(root.io.engine, engine, "still the same Engine.IO connection");
      // And joining it again works.
      custom.connect();
      await connected(custom, "/custom again");
      assert.deepEqual(await echo(custom, "back"), ["back"]);
    });
  });
}

describe("dynamic namespaces", () => {
  test("a name matching /^\\/dyn-\\d+$/ is created on demand", async (t) => {
    const a = await connect(t, `${srv.url}/dyn-1`);
    const b = await connect(t, `${srv.url}/dyn-42`, { transports: TRANSPORTS.websocket });
    assert.deepEqual(await a.inbox.args("nsp", "nsp on /dyn-1"), ["/dyn-1"]);
    assert.deepEqual(await b.inbox.args("nsp", "nsp on /dyn-42"), ["/dyn-42"]);
    assert.deepEqual(await echo(a, "dyn", Buffer.from([1])).then((x) => [x[0], [...x[1]]]), ["dyn", [1]]);
    assert.deepEqual(await echo(b, { x: 1 }), [{ x: 1 }]);
  });

  test("dynamic namespaces multiplex with static ones on one Manager", async (t) => {
    const mgr = manager(t, TRANSPORTS.websocket);
    const root = mgr.socket("/");
    const d7 = mgr.socket("/dyn-7");
    const d8 = mgr.socket("/dyn-8");
    await Promise.all([connected(root, "/"), connected(d7, "/dyn-7"), connected(d8, "/dyn-8")]);
    assert.deepEqual(await d7.inbox.args("nsp", "nsp on /dyn-7"), ["/dyn-7"]);
    assert.deepEqual(await d8.inbox.args("nsp", "nsp on /dyn-8"), ["/dyn-8"]);
    assert.deepEqual(await echo(d8, 8), [8]);
    assert.deepEqual(await echo(d7, 7), [7]);
    assert.deepEqual(await echo(root, 0), [0]);
    // A second client reaches the same, already created, namespace.
    const again = await connect(t, `${srv.url}/dyn-7`);
    assert.deepEqual(await again.inbox.args("nsp", "nsp on /dyn-7 again"), ["/dyn-7"]);
  });

  for (const name of ["/dyn-", "/dyn-x", "/dyn-1a", "/nope", "/custom/sub"]) {
    test(`"${name}" is refused as an invalid namespace`, async (t) => {
      const socket = client(t, `${srv.url}${name}`);
      const err = await connectError(socket, `connect_error for ${name}`);
      assert.equal(err.message, "Invalid namespace");
    });
  }
});

describe("middleware refusal", () => {
  for (const mode of MODES) {
    test(`"/refuse" gives connect_error with message and data (${mode})`, async (t) => {
      const socket = client(t, `${srv.url}/refuse`, { transports: TRANSPORTS[mode] });
      const err = await connectError(socket, "connect_error from /refuse");
      assert.equal(err.message, "not allowed");
      assert.deepEqual(err.data, { code: 42 });
      assert.equal(socket.connected, false);
    });
  }

  test("a refused namespace does not disturb the others on the same connection", async (t) => {
    const mgr = manager(t, TRANSPORTS.websocket);
    const root = mgr.socket("/");
    await connected(root, "the / socket");
    const refused = mgr.socket("/refuse");
    const err = await connectError(refused, "connect_error from /refuse");
    assert.equal(err.message, "not allowed");
    assert.deepEqual(err.data, { code: 42 });
    assert.deepEqual(await echo(root, "still here"), ["still here"]);
    const custom = mgr.socket("/custom");
    await connected(custom, "/custom after the refusal");
    assert.deepEqual(await echo(custom, "custom too"), ["custom too"]);
  });
});

test("closeClient leaves nothing behind (sanity of the helpers)", async () => {
  const s = await connect(null, srv.url);
  closeClient(s);
  assert.equal(s.connected, false);
});
