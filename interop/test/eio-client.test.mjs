// The stock engine.io-client against the server: each transport alone, and
// the default polling-then-upgrade path, with text, binary and bursts.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Socket } from "engine.io-client";
import { useServer } from "../lib/harness.mjs";
import { withTimeout, T } from "../lib/util.mjs";

const srv = useServer();

/** Connect a stock client; resolves once it is open. Always close it. */
function connect(opts = {}) {
  const socket = new Socket(srv.url, { path: "/engine.io/", ...opts });
  const messages = [];
  const waiters = [];
  socket.on("message", (data) => {
    const w = waiters.shift();
    if (w) w(data); else messages.push(data);
  });
  socket.next = (what = "a message") => {
    if (messages.length) return Promise.resolve(messages.shift());
    return withTimeout(new Promise((r) => waiters.push(r)), T, what);
  };
  const opened = new Promise((resolve, reject) => {
    socket.once("open", () => resolve(socket));
    socket.once("error", (e) => reject(new Error(`client error: ${e?.message || e}`)));
  });
  return withTimeout(opened, T, `client open (${JSON.stringify(opts)})`).catch((e) => {
    socket.close();
    throw e;
  });
}

function waitUpgrade(socket) {
  if (socket.transport.name === "websocket") return Promise.resolve();
  return withTimeout(new Promise((resolve, reject) => {
    socket.once("upgrade", resolve);
    socket.once("upgradeError", (e) => reject(new Error(`upgradeError: ${e?.message || e}`)));
  }), T, "the upgrade event");
}

function asBytes(data) {
  assert.ok(typeof data !== "string", `expected binary, got string ${JSON.stringify(data)}`);
  return [...new Uint8Array(data.buffer ? data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) : data)];
}

async function exercise(socket) {
  socket.send("hello");
  assert.equal(await socket.next("the text echo"), "hello");

  socket.send("héllo €𝄞");
  assert.equal(await socket.next("the UTF-8 echo"), "héllo €𝄞");

  socket.send(Uint8Array.of(1, 2, 3, 4));
  assert.deepEqual(asBytes(await socket.next("the Uint8Array echo")), [1, 2, 3, 4]);

  socket.send(Buffer.from([0, 255, 128]));
  assert.deepEqual(asBytes(await socket.next("the Buffer echo")), [0, 255, 128]);

  const N = 50;
  for (let i = 0; i < N; i++) socket.send(i % 5 === 4 ? Uint8Array.of(i) : `burst-${i}`);
  for (let i = 0; i < N; i++) {
    const m = await socket.next(`burst message #${i}`);
    if (i % 5 === 4) assert.deepEqual(asBytes(m), [i], `burst #${i}`);
    else assert.equal(m, `burst-${i}`, `burst #${i}`);
  }
}

describe("engine.io-client", () => {
  test("polling only", async () => {
    const socket = await connect({ transports: ["polling"] });
    try {
      assert.equal(socket.transport.name, "polling");
      await exercise(socket);
      assert.equal(socket.transport.name, "polling");
    } finally {
      socket.close();
    }
  });

  test("websocket only", async () => {
    const socket = await connect({ transports: ["websocket"] });
    try {
      assert.equal(socket.transport.name, "websocket");
      await exercise(socket);
    } finally {
      socket.close();
    }
  });

  test("default: polling, then upgrade to websocket", async () => {
    const socket = new Socket(srv.url, { path: "/engine.io/", transports: ["polling", "websocket"] });
    const upgradedP = withTimeout(new Promise((resolve, reject) => {
      socket.once("upgrade", () => resolve());
      socket.once("upgradeError", (e) => reject(new Error(`upgradeError: ${e?.message || e}`)));
      socket.once("error", (e) => reject(new Error(`client error: ${e?.message || e}`)));
    }), T, "the upgrade event");
    try {
      await upgradedP;
      assert.equal(socket.transport.name, "websocket");
    } finally {
      socket.close();
    }
  });

  test("default: messages flow across the upgrade", async () => {
    const socket = await connect({ transports: ["polling", "websocket"] });
    try {
      assert.equal(socket.transport.name, "polling");
      const upgrade = waitUpgrade(socket);
      await exercise(socket);
      await upgrade;
      assert.equal(socket.transport.name, "websocket");
      await exercise(socket);
    } finally {
      socket.close();
    }
  });

  test("survives several heartbeats", async () => {
    const socket = await connect({ transports: ["websocket"] });
    try {
      let pings = 0;
      socket.on("ping", () => { pings++; });
      const closed = new Promise((r) => socket.once("close", (reason) => r(reason)));
      await withTimeout(new Promise((resolve) => {
        const check = () => (pings >= 3 ? resolve() : setTimeout(check, 20));
        check();
      }), 5 * T, "three pings");
      const race = await Promise.race([closed, Promise.resolve("open")]);
      assert.equal(race, "open");
      socket.send("still");
      assert.equal(await socket.next("the echo after heartbeats"), "still");
    } finally {
      socket.close();
    }
  });

  test("closing the client ends the session on the server", async () => {
    const socket = await connect({ transports: ["polling"] });
    const sid = socket.id;
    socket.close();
    // Probe with POSTs (a GET would overlap the client's own poll): the
    // session must be gone shortly after the client's close packet.
    const url = `${srv.url}/engine.io/?EIO=4&transport=polling&sid=${sid}`;
    for (let i = 0; i < 20; i++) {
      const res = await withTimeout(
        fetch(url, { method: "POST", body: "4after-close" }).then(async (r) => ({ status: r.status, body: await r.text() })),
        T, "a POST after close");
      if (res.status === 400) {
        assert.deepEqual(JSON.parse(res.body), { code: 1, message: "Session ID unknown" });
        return;
      }
      assert.equal(res.status, 200);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail("the session survived the client's close");
  });
});
