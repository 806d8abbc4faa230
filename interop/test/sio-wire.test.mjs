// The Socket.IO v5 wire format on a raw WebSocket (`ws`) and on raw HTTP
// long-polling (fetch): CONNECT and its answer, auth, events with ack ids,
// binary events and acks with their attachments, CONNECT_ERROR, namespaces,
// an unknown ack id, and the connect timeout.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { useSioServer } from "../lib/harness.mjs";
import { rawSio, ph, norm, sioUrl } from "../lib/sio.mjs";
import { request, T, SEP } from "../lib/util.mjs";

const srv = useSioServer();

const j = JSON.stringify;

describe("raw WebSocket", () => {
  test("open packet, CONNECT answer with sid, then the auth event", async (t) => {
    const raw = await rawSio(t, srv.url, { nsp: null });
    assert.equal(typeof raw.open.sid, "string");
    assert.deepEqual(raw.open.upgrades, []);
    assert.equal(raw.open.pingInterval, 300);
    assert.equal(raw.open.pingTimeout, 200);
    assert.equal(raw.open.maxPayload, 1_000_000);
    raw.send("0");
    const p = await raw.nextPacket("the CONNECT answer");
    assert.equal(p.type, 0);
    assert.equal(p.nsp, "/");
    assert.equal(typeof p.data.sid, "string");
    assert.notEqual(p.data.sid, raw.open.sid, "the Socket.IO id is not the Engine.IO id");
    assert.equal((await raw.nextPacket("the auth event")).text, '2["auth",{}]');
  });

  test("CONNECT with an auth payload", async (t) => {
    const auth = { token: "t0k€n", list: [1, { a: null }] };
    const raw = await rawSio(t, srv.url, { auth });
    assert.deepEqual(await raw.nextEvent("the auth event"), ["auth", auth]);
  });

  test("EVENT without and with an ack id", async (t) => {
    const raw = await rawSio(t, srv.url);
    await raw.nextEvent("the auth event");
    raw.send(`2${j(["message", 1, "two", { three: [3] }])}`);
    assert.equal((await raw.nextPacket("message-back")).text, `2${j(["message-back", 1, "two", { three: [3] }])}`);
    raw.send(`217${j(["message-with-ack", "a", { b: 1 }])}`);
    assert.equal((await raw.nextPacket("the ACK")).text, `317${j(["a", { b: 1 }])}`);
    raw.send(`20${j(["message-with-ack"])}`);
    assert.equal((await raw.nextPacket("the empty ACK")).text, "30[]");
    raw.send(`2${j(["join", "raw-room"])}`); // no ack asked: no answer, but joined
    raw.send(`2${j(["broadcast", "raw-room", "to myself"])}`);
    assert.deepEqual(await raw.nextEvent("the broadcast"), ["broadcast", "to myself"]);
  });

  test("BINARY_EVENT: one attachment, echoed with its attachment", async (t) => {
    const raw = await rawSio(t, srv.url);
    await raw.nextEvent("the auth event");
    raw.send(`51-${j(["message", ph(0), "x"])}`);
    raw.sendBinary([1, 2, 3]);
    const p = await raw.nextFull("the binary message-back");
    assert.equal(p.type, 5);
    assert.equal(p.attachments, 1);
    assert.equal(p.text, `51-${j(["message-back", ph(0), "x"])}`);
    assert.deepEqual(norm(p.data), norm(["message-back", Buffer.from([1, 2, 3]), "x"]));
  });

  test("BINARY_EVENT: several nested attachments in any placeholder order", async (t) => {
    const raw = await rawSio(t, srv.url);
    await raw.nextEvent("the auth event");
    raw.send(`53-${j(["message", { a: ph(2), b: [ph(0)] }, ph(1)])}`);
    raw.sendBinary([0xa]);
    raw.sendBinary([0xb, 0xb]);
    raw.sendBinary(Buffer.alloc(0));
    const p = await raw.nextFull("the binary message-back");
    assert.equal(p.type, 5);
    assert.equal(p.attachments, 3);
    assert.deepEqual(norm(p.data), norm(["message-back", { a: Buffer.alloc(0), b: [Buffer.from([0xa])] }, Buffer.from([0xb, 0xb])]));
  });

  test("BINARY_EVENT with an ack id gets a BINARY_ACK", async (t) => {
    const raw = await rawSio(t, srv.url);
    await raw.nextEvent("the auth event");
    raw.send(`52-9${j(["message-with-ack", [ph(0), ph(1)]])}`);
    raw.sendBinary([1]);
    raw.sendBinary([2, 2]);
    const p = await raw.nextFull("the BINARY_ACK");
    assert.equal(p.type, 6);
    assert.equal(p.id, 9);
    assert.equal(p.attachments, 2);
    assert.deepEqual(norm(p.data), norm([[Buffer.from([1]), Buffer.from([2, 2])]]));
  });

  test("server emit with ack: ack id on the wire, answered by a raw ACK", async (t) => {
    const raw = await rawSio(t, srv.url);
    await raw.nextEvent("the auth event");
    raw.send(`2${j(["server-ack", "q"])}`);
    const ping = await raw.nextPacket("ping-me");
    assert.equal(ping.type, 2);
    assert.ok(Number.isInteger(ping.id), `ping-me carries an ack id: ${ping.text}`);
    assert.deepEqual(ping.data, ["ping-me", "q"]);
    raw.send(`61-${ping.id}${j([ph(0), "r"])}`);
    raw.sendBinary([5, 5]);
    const res = await raw.nextFull("server-ack-result");
    assert.deepEqual(norm(res.data), norm(["server-ack-result", null, Buffer.from([5, 5]), "r"]));
  });

  test("an ack answered by two handlers goes out once", async (t) => {
    // two handlers each answered their own copy of the ack: two ACKs left
    const raw = await rawSio(t, srv.url);
    await raw.nextEvent("the auth event");
    raw.send(`26${j(["ack-twice"])}`);
    assert.equal((await raw.nextPacket("the ACK")).text, `36${j(["first"])}`);
    raw.send(`2${j(["message", "after"])}`);
    assert.equal((await raw.nextPacket("the next packet")).text,
      `2${j(["message-back", "after"])}`, "a second ACK came before the next answer");
  });

  test("an ACK with an unknown id is ignored", async (t) => {
    const raw = await rawSio(t, srv.url);
    await raw.nextEvent("the auth event");
    raw.send('3999["nobody asked"]');
    raw.send(`2${j(["message", "still open"])}`);
    assert.deepEqual(await raw.nextEvent("message-back"), ["message-back", "still open"]);
  });

  test("namespaces on one connection: CONNECT, EVENT and DISCONNECT carry the nsp", async (t) => {
    const raw = await rawSio(t, srv.url);
    assert.deepEqual(await raw.nextEvent("auth on /"), ["auth", {}]);
    const data = await raw.connect("/custom", { c: 1 });
    assert.equal(typeof data.sid, "string");
    const auth = await raw.nextPacket("auth on /custom");
    assert.equal(auth.text, `2/custom,${j(["auth", { c: 1 }])}`);
    raw.send(`2/custom,${j(["message", "c"])}`);
    assert.equal((await raw.nextPacket("message-back on /custom")).text, `2/custom,${j(["message-back", "c"])}`);
    raw.send("1/custom,");
    raw.send(`2${j(["message", "root"])}`);
    assert.equal((await raw.nextPacket("message-back on /")).text, `2${j(["message-back", "root"])}`);
    // /custom can be joined again after leaving it.
    await raw.connect("/custom");
    assert.equal((await raw.nextPacket("auth on /custom again")).text, `2/custom,${j(["auth", {}])}`);
  });

  test("CONNECT to an unknown namespace: CONNECT_ERROR, the connection stays", async (t) => {
    const raw = await rawSio(t, srv.url, { nsp: null });
    raw.send("0/nope,");
    const p = await raw.nextPacket("the CONNECT_ERROR");
    assert.equal(p.type, 4);
    assert.equal(p.nsp, "/nope");
    assert.deepEqual(p.data, { message: "Invalid namespace" });
    await raw.connect("/");
    assert.deepEqual(await raw.nextEvent("auth"), ["auth", {}]);
  });

  test("CONNECT refused by middleware: CONNECT_ERROR with message and data", async (t) => {
    const raw = await rawSio(t, srv.url, { nsp: null });
    raw.send("0/refuse,");
    const p = await raw.nextPacket("the CONNECT_ERROR");
    assert.equal(p.type, 4);
    assert.equal(p.nsp, "/refuse");
    assert.deepEqual(p.data, { message: "not allowed", data: { code: 42 } });
    await raw.connect("/");
    assert.deepEqual(await raw.nextEvent("auth"), ["auth", {}]);
  });

  test("server DISCONNECT packet on disconnect-me", async (t) => {
    const raw = await rawSio(t, srv.url);
    await raw.nextEvent("the auth event");
    raw.send(`2${j(["disconnect-me", false])}`);
    const p = await raw.nextPacket("the DISCONNECT");
    assert.equal(p.text, "1");
    // The Engine.IO connection is still usable for another CONNECT.
    await raw.connect("/");
    assert.deepEqual(await raw.nextEvent("auth after reconnecting"), ["auth", {}]);
  });

  test("a connection that joins no namespace is closed after connectTimeout", async (t) => {
    const raw = await rawSio(t, srv.url, { nsp: null });
    // Pings are answered meanwhile, so only the connect timeout applies.
    await raw.closed("the server to close a connection that never sent CONNECT", T);
  });
});

describe("raw HTTP long-polling", () => {
  async function pollUntil(sid, pred, what) {
    const got = [];
    const deadline = Date.now() + T;
    while (Date.now() < deadline) {
      const res = await request(sioUrl(srv.url, { sid }), { what: `GET ${what}` });
      assert.equal(res.status, 200);
      for (const pkt of res.body.split(SEP)) {
        if (pkt === "2") {
          const pong = await request(sioUrl(srv.url, { sid }), { method: "POST", body: "3", what: "POST pong" });
          assert.equal(pong.status, 200);
        } else {
          got.push(pkt);
        }
      }
      if (pred(got)) return got;
    }
    throw new Error(`timed out after ${T} ms polling for ${what}; got ${JSON.stringify(got)}`);
  }

  async function post(sid, body) {
    const res = await request(sioUrl(srv.url, { sid }), {
      method: "POST", body, headers: { "Content-Type": "text/plain;charset=UTF-8" }, what: "POST",
    });
    assert.equal(res.status, 200, `POST answered ${res.status} ${res.body}`);
    assert.equal(res.body, "ok");
  }

  test("CONNECT, auth event, EVENT and binary EVENT with base64 attachments", async () => {
    const hs = await request(sioUrl(srv.url), { what: "the polling handshake" });
    assert.equal(hs.status, 200);
    assert.equal(hs.body[0], "0");
    const { sid, upgrades } = JSON.parse(hs.body.slice(1));
    assert.deepEqual(upgrades, ["websocket"]);

    await post(sid, "40");
    const first = await pollUntil(sid, (g) => g.length >= 2, "CONNECT answer and auth");
    assert.match(first[0], /^40\{"sid":"[^"]+"/);
    assert.equal(first[1], '42["auth",{}]');

    await post(sid, `42${j(["message", "over polling"])}${SEP}421${j(["message-with-ack", 1])}`);
    const second = await pollUntil(sid, (g) => g.length >= 2, "message-back and ack");
    assert.deepEqual(second, [`42${j(["message-back", "over polling"])}`, `431${j([1])}`]);

    await post(sid, `451-${j(["message", ph(0)])}${SEP}b${Buffer.from([1, 2, 3]).toString("base64")}`);
    const third = await pollUntil(sid, (g) => g.length >= 2, "binary message-back");
    assert.deepEqual(third, [`451-${j(["message-back", ph(0)])}`, "bAQID"]);

    await post(sid, "41");
    await post(sid, "1");
  });
});
