// socketiod connection limits: --max-connections, --max-connections-per-ip
// (the handshake is refused with 403 "Too many connections": the stock
// client gets connect_error).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { startSocketiod, user, call, until, WS, POLLING, refusal } from "../lib/socketiod.mjs";
import { client, closeClient } from "../lib/sio.mjs";
import { request } from "../lib/util.mjs";
import { sioUrl } from "../lib/sio.mjs";

/** Try to connect a stock client; resolves true when connected (then closes it). */
async function canConnect(t, url, transports) {
  const s = client(t, url, { transports });
  const connected = await new Promise((resolve) => {
    s.once("connect", () => resolve(true));
    s.once("connect_error", () => resolve(false));
  });
  closeClient(s);
  return connected;
}

for (const [flag, what] of [["--max-connections", "connections"], ["--max-connections-per-ip", "connections from one address"]]) {
  describe(`${flag}`, () => {
    test(`${flag} 2: the 3rd client gets connect_error, over either transport`, async (t) => {
      const d = await startSocketiod(t, [flag, "2"]);
      const a = await user(t, d.url, { userId: "a" }, { transports: WS });
      const b = await user(t, d.url, { userId: "b" }, { transports: POLLING });
      for (const transports of [WS, POLLING]) {
        const err = await refusal(client(t, d.url, { transports }), `connect_error of a 3rd client (${transports})`);
        assert.ok(err instanceof Error);
      }
      // the raw handshake: 403 with the Engine.IO error
      const r = await request(sioUrl(d.url));
      assert.equal(r.status, 403);
      assert.deepEqual(JSON.parse(r.body), { code: 4, message: "Too many connections" });
      // the two in are fine
      assert.equal((await call(a, "presence:list", { room: "x" })).ok, true);
      assert.equal((await call(b, "presence:list", { room: "x" })).ok, true);
      // one leaves: room for another
      closeClient(a);
      await until(() => canConnect(t, d.url, WS), `a free slot among the ${what}`);
    });
  });
}

describe("--max-connections 1 and --max-connections-per-ip 1", () => {
  test("the 2nd client is refused; the first is served", async (t) => {
    for (const flag of ["--max-connections", "--max-connections-per-ip"]) {
      const d = await startSocketiod(t, [flag, "1"]);
      const a = await user(t, d.url, { userId: "a" });
      assert.equal(await canConnect(t, d.url, WS), false, `${flag} 1: a 2nd client connected`);
      assert.equal((await call(a, "presence:list", { room: "x" })).ok, true);
    }
  });
});
