// Reconnection after a server restart: the server is stopped (it must exit
// cleanly with clients connected), a new one is started on the same port,
// and the stock client reconnects by itself, every namespace of its Manager
// included.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startSio } from "../lib/server.mjs";
import { Manager, Inbox, MODES, TRANSPORTS, connected, disconnected, echo, once, closeClient } from "../lib/sio.mjs";
import { T } from "../lib/util.mjs";

const RECONNECT = { reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 300, randomizationFactor: 0 };

for (const mode of MODES) {
  test(`the client reconnects to a restarted server (${mode})`, async (t) => {
    let server = await startSio();
    t.after(async () => { if (server) await server.stop(); });
    const { port } = server;

    const m = new Manager(server.url, { ...RECONNECT, timeout: T, transports: TRANSPORTS[mode] });
    const root = m.socket("/", { auth: { who: "root" } });
    const custom = m.socket("/custom", { auth: { who: "custom" } });
    root.inbox = new Inbox(root);
    custom.inbox = new Inbox(custom);
    t.after(() => { closeClient(root); closeClient(custom); });
    await connected(root, "the first connection to /");
    await connected(custom, "the first connection to /custom");
    assert.deepEqual(await root.inbox.args("auth", "auth on /"), [{ who: "root" }]);
    assert.deepEqual(await custom.inbox.args("auth", "auth on /custom"), [{ who: "custom" }]);
    const firstIds = [root.id, custom.id];

    const rootGone = disconnected(root, "the / disconnect when the server stops");
    const customGone = disconnected(custom, "the /custom disconnect when the server stops");
    const old = server;
    server = null;
    await old.stop();
    for (const reason of [await rootGone, await customGone]) {
      assert.ok(["transport close", "transport error"].includes(reason),
        `disconnect reason after the server stopped: ${reason} (a DISCONNECT packet would stop reconnection)`);
    }
    assert.equal(root.active, true, "the client keeps trying to reconnect");

    const reconnected = once(m, "reconnect", "the Manager's reconnect event", 3 * T);
    server = await startSio({ port });
    await reconnected;
    await connected(root, "/ after the restart");
    await connected(custom, "/custom after the restart");
    // The handshake auth is sent again; the sockets are new ones.
    assert.deepEqual(await root.inbox.args("auth", "auth on / again"), [{ who: "root" }]);
    assert.deepEqual(await custom.inbox.args("auth", "auth on /custom again"), [{ who: "custom" }]);
    assert.notDeepEqual([root.id, custom.id], firstIds);
    assert.ok(!root.recovered, "no connection-state recovery here");
    assert.deepEqual(await echo(root, "after restart"), ["after restart"]);
    assert.deepEqual((await root.timeout(T).emitWithAck("message-with-ack", "ack after restart")), "ack after restart");
  });
}
