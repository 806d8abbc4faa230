// Malformed Socket.IO packets on a raw WebSocket and oversized messages:
// each closes only the offending connection. After each case, a stock client
// connected before it must still get answers, and the server must still
// accept new connections (a crash also fails the file when it is stopped).
import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { useSioServer } from "../lib/harness.mjs";
import {
  TRANSPORTS, MAX_PAYLOAD, rawSio, connect, client, closeClient, disconnected, echo, ack, ph,
} from "../lib/sio.mjs";

const srv = useSioServer();

const j = JSON.stringify;

// A bystander on each transport, connected on first use and kept for the
// whole file.
const bystanders = [];
after(() => { for (const b of bystanders) closeClient(b); });

let seq = 0;
async function bystandersStillWork(label) {
  if (!bystanders.length) {
    for (const mode of ["polling", "websocket"]) {
      bystanders.push(await connect(null, srv.url, { transports: TRANSPORTS[mode] }));
    }
  }
  for (const b of bystanders) {
    const n = ++seq;
    assert.deepEqual(await ack(b, "message-with-ack", label, n), [label, n],
      `a bystander (${b.io.engine.transport.name}) stopped answering after: ${label}`);
  }
}

/** A raw client connected to "/" (auth event read). */
async function victim(t) {
  await bystandersStillWork("before the case");
  const raw = await rawSio(t, srv.url);
  assert.deepEqual(await raw.nextEvent("the auth event"), ["auth", {}]);
  return raw;
}

// Each entry: a name and what the raw client sends after connecting to "/".
const MALFORMED = [
  ["bad packet type \"4abc\"", (r) => r.sendEio("4abc")],
  ["packet type out of range \"47[...]\"", (r) => r.send(`7${j(["message"])}`)],
  ["invalid JSON \"42{\"", (r) => r.sendEio("42{")],
  ["truncated JSON \"42[\\\"message\\\",\"", (r) => r.sendEio('42["message",')],
  ["EVENT whose data is not an array", (r) => r.send(`2${j({ a: 1 })}`)],
  ["EVENT with an empty array", (r) => r.send("2[]")],
  ["EVENT named after a reserved event (\"disconnecting\")", (r) => r.send(`2${j(["disconnecting"])}`)],
  ["ACK whose data is not an array", (r) => r.send('31"x"')],
  ["DISCONNECT with a payload", (r) => r.send("1{}")],
  ["too many attachments \"4511-[...]\"", (r) => r.send(`511-${j(["message", ph(0)])}`)],
  ["attachment count not followed by \"-\"", (r) => r.send(`51${j(["message", ph(0)])}`)],
  ["binary frame with no pending packet", (r) => r.sendBinary([1, 2, 3])],
  ["text packet while attachments are pending", (r) => {
    r.send(`52-${j(["message", ph(0), ph(1)])}`);
    r.sendBinary([1]);
    r.send(`2${j(["message", "not an attachment"])}`);
  }],
  ["placeholder index out of range", (r) => {
    r.send(`51-${j(["message", ph(5)])}`);
    r.sendBinary([1]);
  }],
  ["EVENT for a namespace not joined \"42/custom,[\\\"x\\\"]\"", (r) => r.sendEio('42/custom,["x"]')],
  ["CONNECT twice (\"40\" again)", (r) => r.sendEio("40")],
  ["text message over maxPayload", (r) => r.send(`2${j(["message", "x".repeat(MAX_PAYLOAD)])}`)],
  ["binary attachment over maxPayload", (r) => {
    r.send(`51-${j(["message", ph(0)])}`);
    r.sendBinary(Buffer.alloc(MAX_PAYLOAD + 1));
  }],
];

describe("malformed packets on a raw WebSocket close only that connection", () => {
  for (const [name, send] of MALFORMED) {
    test(name, async (t) => {
      const raw = await victim(t);
      send(raw);
      await raw.closed(`the server to close the connection after: ${name}`);
      await bystandersStillWork(name);
    });
  }

  test("CONNECT with a non-object payload (no namespace joined yet)", async (t) => {
    const raw = await rawSio(t, srv.url, { nsp: null });
    raw.send('0"not an object"');
    await raw.closed("the server to close the connection after a CONNECT with a string payload");
    await bystandersStillWork("CONNECT with a string payload");
  });

  test("deeply nested JSON (depth 100): answered intact or the connection closed", async (t) => {
    // Node's parser accepts any depth and echoes it; a server with a nesting
    // limit closes the connection instead. Either way nothing else breaks.
    const raw = await victim(t);
    const deep = JSON.parse("[".repeat(99) + "]".repeat(99));
    raw.send(`2${j(["message", deep])}`);
    let outcome;
    try {
      outcome = await raw.nextEvent("message-back of the deep array or the close");
    } catch (e) {
      if (!/closed/.test(e.message)) throw e;
      outcome = "closed";
    }
    if (outcome !== "closed") assert.deepEqual(outcome, ["message-back", deep]);
    await bystandersStillWork("depth 100");
  });

  test("a new client connects fine after all of the above", async (t) => {
    const s = await connect(t, srv.url, { transports: TRANSPORTS.websocket });
    assert.deepEqual(await echo(s, "fresh"), ["fresh"]);
  });
});

describe("maxPayload (1e6 bytes)", () => {
  for (const mode of ["polling", "websocket"]) {
    test(`a message just under the limit is delivered (${mode})`, async (t) => {
      const s = await connect(t, srv.url, { transports: TRANSPORTS[mode] });
      const big = "y".repeat(MAX_PAYLOAD - 1000);
      const [back] = await echo(s, big);
      assert.equal(back.length, big.length);
      assert.equal(back, big);
    });

    test(`a message over the limit closes the connection (${mode})`, async (t) => {
      const s = client(t, srv.url, { transports: TRANSPORTS[mode] });
      await new Promise((r, rej) => { s.once("connect", r); s.once("connect_error", rej); });
      const reason = disconnected(s, "the disconnect after an oversized message");
      s.emit("message", "z".repeat(MAX_PAYLOAD + 10));
      assert.ok(["transport close", "transport error"].includes(await reason),
        `unexpected disconnect reason ${await reason}`);
      await bystandersStillWork(`oversized message over ${mode}`);
    });
  }
});
