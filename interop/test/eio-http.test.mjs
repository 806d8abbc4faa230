// CORS and HTTP-level robustness: what the server does with malformed,
// oversized, partial and pipelined requests, and paths it does not serve.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { useServer } from "../lib/harness.mjs";
import {
  request, eioUrl, handshake, RawConn, readResponse, EIO_PATH,
} from "../lib/util.mjs";

const srv = useServer();

const HANDSHAKE_TARGET = `${EIO_PATH}?EIO=4&transport=polling`;

function rawGet(target, extra = "") {
  return `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\n${extra}\r\n`;
}

async function stillServes() {
  const { open } = await handshake(srv.url);
  assert.match(open.sid, /^[A-Za-z0-9_-]{20}$/);
}

describe("CORS", () => {
  test("preflight is answered 204 with the allowed methods and headers", async () => {
    const res = await request(eioUrl(srv.url), {
      method: "OPTIONS",
      headers: {
        Origin: "http://example.test",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, x-custom",
      },
    });
    assert.equal(res.status, 204);
    assert.equal(res.bytes.length, 0);
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    assert.equal(res.headers.get("access-control-allow-methods"), "GET,HEAD,PUT,PATCH,POST,DELETE");
    const allowed = (res.headers.get("access-control-allow-headers") || "")
      .split(",").map((h) => h.trim().toLowerCase()).filter(Boolean).sort();
    assert.deepEqual(allowed, ["content-type", "x-custom"]);
  });

  test("POST and GET of a session carry Access-Control-Allow-Origin", async () => {
    const { sid } = await handshake(srv.url);
    const headers = { Origin: "http://example.test" };
    const p = await request(eioUrl(srv.url, { sid }), { method: "POST", body: "4x", headers });
    assert.equal(p.status, 200);
    assert.equal(p.headers.get("access-control-allow-origin"), "*");
    const g = await request(eioUrl(srv.url, { sid }), { headers });
    assert.equal(g.status, 200);
    assert.equal(g.headers.get("access-control-allow-origin"), "*");
  });
});

describe("HTTP robustness", () => {
  test("garbage bytes get 400 or a close; the server keeps serving", async () => {
    const conn = await RawConn.connect(srv.port);
    try {
      await conn.write(Buffer.from("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n", "latin1"));
      const res = await readResponse(conn, "a 400 or a close after garbage");
      if (res) assert.equal(res.status, 400);
      await conn.closed("the connection to close after garbage");
    } finally {
      conn.destroy();
    }
    await stillServes();
  });

  test("a malformed request line gets 400 or a close", async () => {
    const conn = await RawConn.connect(srv.port);
    try {
      await conn.write("NOT A REQUEST\r\n\r\n");
      const res = await readResponse(conn, "a 400 or a close");
      if (res) assert.equal(res.status, 400);
      await conn.closed("the connection to close after a bad request line");
    } finally {
      conn.destroy();
    }
    await stillServes();
  });

  test("request headers larger than 16 KiB get 431", async () => {
    const conn = await RawConn.connect(srv.port);
    try {
      await conn.write(rawGet(HANDSHAKE_TARGET, `X-Big: ${"a".repeat(17 * 1024)}\r\n`));
      const res = await readResponse(conn, "the 431 response");
      assert.ok(res, "the connection closed without a response");
      assert.equal(res.status, 431);
    } finally {
      conn.destroy();
    }
    await stillServes();
  });

  test("keep-alive: two requests on one connection are both answered", async () => {
    const conn = await RawConn.connect(srv.port);
    try {
      await conn.write(rawGet(HANDSHAKE_TARGET));
      const a = await readResponse(conn, "the first response");
      assert.ok(a, "closed before the first response");
      assert.equal(a.status, 200);
      assert.equal(a.body.toString()[0], "0");
      await conn.write(rawGet(HANDSHAKE_TARGET));
      const b = await readResponse(conn, "the second response");
      assert.ok(b, "closed before the second response");
      assert.equal(b.status, 200);
      assert.equal(b.body.toString()[0], "0");
      assert.notEqual(JSON.parse(a.body.toString().slice(1)).sid, JSON.parse(b.body.toString().slice(1)).sid);
    } finally {
      conn.destroy();
    }
  });

  test("pipelined requests are answered in order", async () => {
    const conn = await RawConn.connect(srv.port);
    try {
      await conn.write(rawGet(HANDSHAKE_TARGET) + rawGet(`${EIO_PATH}?EIO=3&transport=polling`));
      const a = await readResponse(conn, "the first pipelined response");
      assert.ok(a, "closed before the first response");
      assert.equal(a.status, 200);
      const b = await readResponse(conn, "the second pipelined response");
      assert.ok(b, "closed before the second response");
      assert.equal(b.status, 400);
      assert.deepEqual(JSON.parse(b.body.toString()), { code: 5, message: "Unsupported protocol version" });
    } finally {
      conn.destroy();
    }
  });

  test("a client that half-sends its headers and leaves does no harm", async () => {
    for (let i = 0; i < 5; i++) {
      const conn = await RawConn.connect(srv.port);
      await conn.write(`GET ${HANDSHAKE_TARGET} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: abc`);
      conn.destroy();
    }
    const conn = await RawConn.connect(srv.port);
    await conn.write(`POST ${HANDSHAKE_TARGET}&sid=AAAAAAAAAAAAAAAAAAAA HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n4abc`);
    conn.destroy();
    await stillServes();
  });

  test("a path outside /engine.io/ gets 404", async () => {
    const res = await request(`${srv.url}/not-engine-io/?EIO=4&transport=polling`);
    assert.equal(res.status, 404);
    const root = await request(`${srv.url}/`);
    assert.equal(root.status, 404);
  });

  test("HTTP/1.0 request is answered", async () => {
    const conn = await RawConn.connect(srv.port);
    try {
      await conn.write(`GET ${HANDSHAKE_TARGET} HTTP/1.0\r\n\r\n`);
      const res = await readResponse(conn, "the HTTP/1.0 response");
      assert.ok(res, "closed without a response");
      assert.equal(res.status, 200);
      assert.equal(res.body.toString()[0], "0");
    } finally {
      conn.destroy();
    }
  });
});
