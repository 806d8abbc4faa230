// HTTP long-polling transport: message exchange, payload framing, parse
// errors, the size limit, overlapping GETs and the close packet.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { useServer, TARGET } from "../lib/harness.mjs";
import {
  handshake, poll, post, packets, request, eioUrl, sleep, SEP, MAX_PAYLOAD, T,
} from "../lib/util.mjs";

const srv = useServer();

/** GET until a non-ping payload arrives, answering pings; returns its packets. */
async function pollData(sid, what) {
  for (let i = 0; i < 10; i++) {
    const res = await poll(srv.url, sid, { what });
    assert.equal(res.status, 200, `${what}: ${res.status} ${res.body}`);
    const pk = packets(res.body).filter((p) => p !== "2");
    if (pk.length !== packets(res.body).length) {
      assert.equal((await post(srv.url, sid, "3")).status, 200);
    }
    if (pk.length) return pk;
  }
  throw new Error(`${what}: only pings received`);
}

async function expectSessionGone(sid) {
  const res = await poll(srv.url, sid);
  assert.equal(res.status, 400, `GET after close: ${res.status} ${JSON.stringify(res.body)}`);
  assert.deepEqual(JSON.parse(res.body), { code: 1, message: "Session ID unknown" });
}

/**
 * Start a GET and make sure it is the one pending at the server when `then`
 * runs (not answered early by a ping). Retries a few times on a ping race.
 * Returns { res (of the GET), result (of then) }.
 */
async function withPendingGet(sid, then) {
  for (let attempt = 0; attempt < 3; attempt++) {
    let answered = false;
    const get = poll(srv.url, sid).then((r) => { answered = true; return r; });
    await sleep(50);
    if (answered) {
      const r = await get;
      if (r.status === 200 && r.body === "2") {
        assert.equal((await post(srv.url, sid, "3")).status, 200);
        continue;
      }
      throw new Error(`GET answered before expected: ${r.status} ${JSON.stringify(r.body)}`);
    }
    const result = await then();
    return { res: await get, result };
  }
  throw new Error("could not keep a GET pending (pinged every time)");
}

describe("polling messages", () => {
  test("POST answers 200 ok as text/html", async () => {
    const { sid } = await handshake(srv.url);
    const res = await post(srv.url, sid, "4hello");
    assert.equal(res.status, 200);
    assert.equal(res.body, "ok");
    assert.match(res.headers.get("content-type") || "", /^text\/html\b/);
  });

  test("text message is echoed on the next GET", async () => {
    const { sid } = await handshake(srv.url);
    assert.equal((await post(srv.url, sid, "4hello")).body, "ok");
    const res = await poll(srv.url, sid);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/plain; charset=UTF-8");
    assert.equal(res.headers.get("content-length"), String(res.bytes.length));
    assert.equal(res.body, "4hello");
  });

  test("a pending GET receives the echo", async () => {
    const { sid } = await handshake(srv.url);
    const { res, result } = await withPendingGet(sid, () => post(srv.url, sid, "4pending"));
    assert.equal(result.body, "ok");
    assert.equal(res.status, 200);
    assert.equal(res.body, "4pending");
  });

  test("several packets in one POST are echoed joined by \\x1e", async () => {
    const { sid } = await handshake(srv.url);
    const body = ["4test1", "4test2", "4test3"].join(SEP);
    assert.equal((await post(srv.url, sid, body)).body, "ok");
    assert.equal((await poll(srv.url, sid)).body, body);
  });

  test("text and binary packets are echoed, binary as b+base64", async () => {
    const { sid } = await handshake(srv.url);
    const body = `4hello${SEP}bAQIDBA==`;
    assert.equal((await post(srv.url, sid, body)).body, "ok");
    assert.equal((await poll(srv.url, sid)).body, body);
  });

  test("UTF-8 text survives the round trip; Content-Length counts bytes", async () => {
    const { sid } = await handshake(srv.url);
    const body = "4héllo wörld €𝄞";
    assert.equal((await post(srv.url, sid, body)).body, "ok");
    const res = await poll(srv.url, sid);
    assert.equal(res.body, body);
    assert.equal(res.headers.get("content-length"), String(Buffer.byteLength(body)));
  });

  test("empty message", async () => {
    const { sid } = await handshake(srv.url);
    assert.equal((await post(srv.url, sid, `4${SEP}4x`)).body, "ok");
    assert.equal((await poll(srv.url, sid)).body, `4${SEP}4x`);
  });

  test("messages queued across POSTs come back in order", async () => {
    const { sid } = await handshake(srv.url);
    for (let i = 0; i < 5; i++) assert.equal((await post(srv.url, sid, `4m${i}`)).body, "ok");
    const got = [];
    while (got.length < 5) got.push(...await pollData(sid, "queued echoes"));
    assert.deepEqual(got, ["4m0", "4m1", "4m2", "4m3", "4m4"]);
  });

  test("a message of exactly maxPayload bytes is accepted", async () => {
    const { sid } = await handshake(srv.url);
    const body = "4" + "x".repeat(MAX_PAYLOAD - 1);
    const res = await post(srv.url, sid, body, { timeout: 10_000 });
    assert.equal(res.status, 200);
    assert.equal(res.body, "ok");
    const got = await pollData(sid, "the large echo");
    assert.equal(got.length, 1);
    assert.equal(got[0].length, body.length);
    assert.equal(got[0], body);
  });
});

describe("polling errors", () => {
  test("invalid packet closes the session", async () => {
    const { sid } = await handshake(srv.url);
    const res = await post(srv.url, sid, "abc");
    assert.ok(res.status === 200 || res.status === 400, `POST status ${res.status}`);
    await expectSessionGone(sid);
  });

  test("invalid base64 after b closes the session",
    { skip: TARGET === "node" && "engine.io decodes base64 with Buffer.from(), which never rejects" },
    async () => {
      const { sid } = await handshake(srv.url);
      const res = await post(srv.url, sid, "b!!!*");
      assert.ok(res.status === 200 || res.status === 400, `POST status ${res.status}`);
      await expectSessionGone(sid);
    });

  test("POST body larger than maxPayload gets 413", async () => {
    const { sid } = await handshake(srv.url);
    const body = "4" + "x".repeat(MAX_PAYLOAD);
    // A real client (fetch) must get to see the 413. A server that answers
    // early from Content-Length and then closes while request bytes are still
    // unread makes the kernel send RST, and the client may see ECONNRESET
    // instead: HTTP/1.1 (RFC 9112, 9.6) asks for a staged (lingering) close.
    let res;
    try {
      res = await post(srv.url, sid, body, { timeout: 10_000 });
    } catch (e) {
      assert.fail(`no 413 response, the request failed: ${e.cause?.message || e.message}`);
    }
    assert.equal(res.status, 413);
  });

  test("overlapping GETs: the first gets a close packet, the second an error", async () => {
    const { sid } = await handshake(srv.url);
    const { res: first, result: second } = await withPendingGet(sid, () => poll(srv.url, sid));
    assert.equal(first.status, 200);
    assert.equal(first.body, "1");
    if (TARGET === "node") {
      assert.ok(second.status === 400 || second.status === 500, `second GET ${second.status}`);
    } else {
      assert.equal(second.status, 400);
    }
    await expectSessionGone(sid);
  });

  test("POST with sid of a closed session gets 400", async () => {
    const { sid } = await handshake(srv.url);
    await post(srv.url, sid, "1");
    const res = await post(srv.url, sid, "4late");
    assert.equal(res.status, 400);
    assert.deepEqual(JSON.parse(res.body), { code: 1, message: "Session ID unknown" });
  });

  test("websocket transport with a polling sid and no upgrade header is refused", async () => {
    const { sid } = await handshake(srv.url);
    const res = await request(eioUrl(srv.url, { transport: "websocket", sid }));
    assert.equal(res.status, 400);
  });
});

describe("polling close", () => {
  test("POST 1 answers the pending GET with a noop and ends the session", async () => {
    const { sid } = await handshake(srv.url);
    const { res, result } = await withPendingGet(sid, () => post(srv.url, sid, "1"));
    assert.equal(result.status, 200);
    assert.equal(res.status, 200);
    assert.equal(res.body, "6");
    await expectSessionGone(sid);
  });

  test("POST 1 without a pending GET ends the session", async () => {
    const { sid } = await handshake(srv.url);
    assert.equal((await post(srv.url, sid, "1")).status, 200);
    await expectSessionGone(sid);
  });

  test("close packet after a message in the same payload", async () => {
    const { sid } = await handshake(srv.url);
    assert.equal((await post(srv.url, sid, `4bye${SEP}1`)).status, 200);
    // The message may or may not be delivered; the session must end.
    const res = await poll(srv.url, sid, { timeout: T });
    if (res.status === 200) {
      for (const p of packets(res.body)) assert.ok(["4bye", "1", "6"].includes(p), `unexpected ${p}`);
      await expectSessionGone(sid);
    } else {
      assert.equal(res.status, 400);
    }
  });
});
