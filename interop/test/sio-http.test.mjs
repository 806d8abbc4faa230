// CORS on the Socket.IO path as a browser sees it: the preflight a
// cross-origin request with a custom header triggers, and the
// Access-Control-Allow-Origin of the actual polling requests. (The browser
// test, sio-browser.test.mjs, checks the same end to end in Chromium.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { useSioServer } from "../lib/harness.mjs";
import { sioUrl } from "../lib/sio.mjs";
import { request } from "../lib/util.mjs";

const srv = useSioServer();

const ORIGIN = "http://127.0.0.1:1";

function headerList(v) {
  return (v || "").split(",").map((h) => h.trim().toLowerCase()).filter(Boolean).sort();
}

test("preflight on /socket.io/ allows the origin, the method and the requested headers", async () => {
  const res = await request(sioUrl(srv.url), {
    method: "OPTIONS",
    headers: {
      Origin: ORIGIN,
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers": "content-type,x-test",
    },
    what: "the CORS preflight",
  });
  assert.ok(res.status >= 200 && res.status < 300, `preflight answered ${res.status}`);
  assert.equal(res.bytes.length, 0);
  const allowOrigin = res.headers.get("access-control-allow-origin");
  assert.ok(allowOrigin === "*" || allowOrigin === ORIGIN, `Access-Control-Allow-Origin: ${allowOrigin}`);
  const methods = headerList(res.headers.get("access-control-allow-methods"));
  for (const m of ["get", "post"]) assert.ok(methods.includes(m), `${m} not in allowed methods ${methods}`);
  const headers = res.headers.get("access-control-allow-headers");
  assert.ok(headers === "*" || ["content-type", "x-test"].every((h) => headerList(headers).includes(h)),
    `Access-Control-Allow-Headers: ${headers}`);
});

test("the polling handshake, POST and GET carry Access-Control-Allow-Origin", async () => {
  const headers = { Origin: ORIGIN };
  const hs = await request(sioUrl(srv.url), { headers, what: "the polling handshake" });
  assert.equal(hs.status, 200);
  assert.equal(hs.headers.get("access-control-allow-origin"), "*");
  const { sid } = JSON.parse(hs.body.slice(1));
  const p = await request(sioUrl(srv.url, { sid }), {
    method: "POST", body: "40", headers: { ...headers, "Content-Type": "text/plain;charset=UTF-8" }, what: "POST CONNECT",
  });
  assert.equal(p.status, 200);
  assert.equal(p.headers.get("access-control-allow-origin"), "*");
  const g = await request(sioUrl(srv.url, { sid }), { headers, what: "GET the CONNECT answer" });
  assert.equal(g.status, 200);
  assert.equal(g.headers.get("access-control-allow-origin"), "*");
  assert.match(g.body, /^40\{"sid":/);
  await request(sioUrl(srv.url, { sid }), { method: "POST", body: "1", headers, what: "POST close" });
});

test("an error answer (unknown sid) carries Access-Control-Allow-Origin too", async () => {
  const res = await request(sioUrl(srv.url, { sid: "nope" }), { headers: { Origin: ORIGIN }, what: "GET unknown sid" });
  assert.equal(res.status, 400);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
});
