// socketiod identity: --auth none|optional|required, JWT (HS256, HS384,
// HS512, EdDSA), the claims (sub, name, preferred_username, role/roles,
// rooms, iss, aud, exp, nbf), the CONNECT_ERROR messages of refused
// tokens, and the room permissions that follow.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  useSocketiod, startSocketiod, launchSocketiod, user, call, next, sync, unique, hsToken, edToken, b64url, refusal, WS, POLLING,
} from "../lib/socketiod.mjs";
import { client } from "../lib/sio.mjs";

const SECRET = "a-test-secret-of-some-length-0123456789";
const now = () => Math.floor(Date.now() / 1000);

/** The connect_error message of a refused connection (with `auth`). */
async function refused(t, url, auth, opts = {}) {
  const s = client(t, url, { transports: WS, auth, ...opts });
  const err = await refusal(s, `connect_error for ${JSON.stringify(auth)}`);
  return err.message;
}

/** The {userId, username} the service sees for socket s. */
async function identity(s) {
  const r = await call(s, "presence:list", { room: s.id });
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.equal(r.users.length, 1);
  return r.users[0];
}

describe("--auth none", () => {
  const srv = useSocketiod(["--jwt-secret", SECRET]);

  test("auth.userId and auth.username name the user; tokens are not looked at", async (t) => {
    const a = await user(t, srv.url, { userId: "u-none-1", username: "Alice" });
    assert.deepEqual(await identity(a), { userId: "u-none-1", username: "Alice" });
    // a bad token is ignored, as is a good one
    const b = await user(t, srv.url, { token: "not.a.token", userId: "u-none-2" });
    assert.deepEqual(await identity(b), { userId: "u-none-2", username: "anonymous" });
    const c = await user(t, srv.url, { token: hsToken(SECRET, { sub: "from-token", role: "admin" }) });
    assert.deepEqual(await identity(c), { userId: c.id, username: "anonymous" });
    assert.deepEqual(await call(c, "join:room", { room: "admin" }), { ok: false, error: "forbidden" });
  });

  test("no auth: the socket id and \"anonymous\"; names over 64 are not taken", async (t) => {
    const a = await user(t, srv.url);
    assert.deepEqual(await identity(a), { userId: a.id, username: "anonymous" });
    const b = await user(t, srv.url, { username: "x".repeat(64) });
    assert.equal((await identity(b)).username, "x".repeat(64));
    const c = await user(t, srv.url, { username: "x".repeat(65) });
    assert.equal((await identity(c)).username, "anonymous");
  });

  test("auth.username: at most 64 characters, not bytes", async (t) => {
    const a = await user(t, srv.url, { username: "é".repeat(64) });
    assert.equal((await identity(a)).username, "é".repeat(64), "a 64-character (128-byte) name");
    const b = await user(t, srv.url, { username: "Жанна Ивановна Петрова-Водкина" });
    assert.equal((await identity(b)).username, "Жанна Ивановна Петрова-Водкина", "a 30-character (57-byte) name");
    const c = await user(t, srv.url, { username: "é".repeat(65) });
    assert.equal((await identity(c)).username, "anonymous");
  });

  test("two sockets with the same auth.userId are one user", async (t) => {
    const room = unique("r");
    const a1 = await user(t, srv.url, { userId: "same-user", username: "S" });
    const a2 = await user(t, srv.url, { userId: "same-user", username: "S" });
    await call(a1, "join:room", { room });
    await call(a2, "join:room", { room });
    assert.deepEqual((await call(a1, "presence:list", { room })).users, [{ userId: "same-user", username: "S" }]);
  });
});

describe("--auth optional", () => {
  const srv = useSocketiod(["--auth", "optional", "--jwt-secret", SECRET]);

  test("without a token: anonymous; auth.userId is not trusted", async (t) => {
    const a = await user(t, srv.url, { userId: "claimed", username: "Anon" });
    assert.deepEqual(await identity(a), { userId: a.id, username: "Anon" });
  });

  test("a valid token: sub is the userId", async (t) => {
    const a = await user(t, srv.url, { token: hsToken(SECRET, { sub: "opt-1", name: "Opt One" }) });
    assert.deepEqual(await identity(a), { userId: "opt-1", username: "Opt One" });
  });

  test("a bad token is refused, not downgraded to anonymous", async (t) => {
    const bad = hsToken("another secret", { sub: "opt-2" });
    assert.equal(await refused(t, srv.url, { token: bad }), "invalid signature");
  });
});

describe("--auth required (HS256/384/512)", () => {
  const srv = useSocketiod(["--auth", "required", "--jwt-secret", SECRET]);

  test("no token: connect_error \"authentication required\"", async (t) => {
    assert.equal(await refused(t, srv.url, undefined), "authentication required");
    assert.equal(await refused(t, srv.url, { userId: "x" }), "authentication required");
    assert.equal(await refused(t, srv.url, { token: "" }), "authentication required");
  });

  for (const alg of ["HS256", "HS384", "HS512"]) {
    test(`${alg}: sub -> userId, name -> username`, async (t) => {
      const sub = unique(alg);
      const a = await user(t, srv.url, { token: hsToken(SECRET, { sub, name: `${alg} user` }, { alg }) });
      assert.deepEqual(await identity(a), { userId: sub, username: `${alg} user` });
      // it is in its user room
      assert.deepEqual((await call(a, "presence:list", { room: `user:${sub}` })).users, [{ userId: sub, username: `${alg} user` }]);
    });
  }

  test("username falls back to preferred_username, then sub", async (t) => {
    const a = await user(t, srv.url, { token: hsToken(SECRET, { sub: "pu-1", preferred_username: "pref" }) });
    assert.deepEqual(await identity(a), { userId: "pu-1", username: "pref" });
    const b = await user(t, srv.url, { token: hsToken(SECRET, { sub: "pu-2" }) });
    assert.deepEqual(await identity(b), { userId: "pu-2", username: "pu-2" });
  });

  test("the token may come in an Authorization: Bearer header (WebSocket and polling)", async (t) => {
    for (const transports of [WS, POLLING]) {
      const sub = unique("hdr");
      const s = await user(t, srv.url, undefined, {
        transports, extraHeaders: { Authorization: `Bearer ${hsToken(SECRET, { sub })}` },
      });
      assert.equal((await identity(s)).userId, sub);
    }
  });

  test("refusals and their connect_error messages", async (t) => {
    const cases = [
      ["alg none", `${b64url({ alg: "none", typ: "JWT" })}.${b64url({ sub: "x", exp: now() + 60 })}.`, "unsupported algorithm"],
      ["alg RS256", hsToken(SECRET, { sub: "x" }, { header: { alg: "RS256" } }), "unsupported algorithm"],
      ["EdDSA without a public key", `${b64url({ alg: "EdDSA" })}.${b64url({ sub: "x" })}.${Buffer.alloc(64).toString("base64url")}`,
        "unsupported algorithm"],
      ["bad signature", hsToken("wrong secret", { sub: "x" }), "invalid signature"],
      ["tampered payload", (() => {
        const [h, , s] = hsToken(SECRET, { sub: "x" }).split(".");
        return `${h}.${b64url({ sub: "admin", role: "admin" })}.${s}`;
      })(), "invalid signature"],
      ["HS384 signature under an HS256 header", (() => {
        const good = hsToken(SECRET, { sub: "x" }, { alg: "HS384" }).split(".");
        return `${b64url({ alg: "HS256", typ: "JWT" })}.${good[1]}.${good[2]}`;
      })(), "invalid signature"],
      ["expired", hsToken(SECRET, { sub: "x", exp: now() - 3600 }), "token expired"],
      ["nbf in the future", hsToken(SECRET, { sub: "x", nbf: now() + 3600 }), "token not yet valid"],
      ["not a JWT", "hello", "invalid token"],
      ["four parts", `${hsToken(SECRET, { sub: "x" })}.x`, "invalid token"],
      ["no sub", hsToken(SECRET, { name: "nobody" }), "invalid token"],
      ["sub not a string", hsToken(SECRET, { sub: 42 }), "invalid token"],
    ];
    for (const [what, token, message] of cases) {
      assert.equal(await refused(t, srv.url, { token }), message, what);
    }
  });

  test("exp and nbf within the default leeway (30 s) are accepted", async (t) => {
    const a = await user(t, srv.url, { token: hsToken(SECRET, { sub: "lw-1", exp: now() - 10 }) });
    assert.equal((await identity(a)).userId, "lw-1");
    const b = await user(t, srv.url, { token: hsToken(SECRET, { sub: "lw-2", nbf: now() + 10 }) });
    assert.equal((await identity(b)).userId, "lw-2");
  });

  test("role admin / roles [admin]: the admin room; others may not join it", async (t) => {
    const [sub1, sub2, sub3] = [unique("adm"), unique("adm"), unique("usr")];
    const admin1 = await user(t, srv.url, { token: hsToken(SECRET, { sub: sub1, name: "Root", role: "admin" }) });
    const admin2 = await user(t, srv.url, { token: hsToken(SECRET, { sub: sub2, roles: ["editor", "admin"] }) });
    const plain = await user(t, srv.url, { token: hsToken(SECRET, { sub: sub3, role: "editor", roles: ["user"] }) });
    // admins are put in "admin" when they connect
    const list = await call(admin1, "presence:list", { room: "admin" });
    assert.equal(list.ok, true);
    const ids = list.users.map((u) => u.userId);
    assert.ok(ids.includes(sub1) && ids.includes(sub2) && !ids.includes(sub3), JSON.stringify(list));
    assert.deepEqual(await call(admin2, "join:room", { room: "admin" }), { ok: true, room: "admin", count: ids.length });
    assert.deepEqual(await call(plain, "join:room", { room: "admin" }), { ok: false, error: "forbidden" });
    assert.deepEqual(await call(plain, "presence:list", { room: "admin" }), { ok: false, error: "forbidden" });
    // an admin cannot leave it
    assert.deepEqual(await call(admin1, "leave:room", { room: "admin" }), { ok: false, error: "forbidden" });
    // admins may join private rooms
    assert.equal((await call(admin1, "join:room", { room: "private:ops" })).ok, true);
  });

  test("rooms claim: the private rooms listed, no others; user:{other} stays forbidden", async (t) => {
    const sub = unique("priv");
    const a = await user(t, srv.url, { token: hsToken(SECRET, { sub, rooms: ["private:team-a", "private:team-b", 7] }) });
    const b = await user(t, srv.url, { token: hsToken(SECRET, { sub: unique("other") }) });
    assert.deepEqual(await call(a, "join:room", { room: "private:team-a" }), { ok: true, room: "private:team-a", count: 1 });
    assert.equal((await call(a, "chat:join", { room: "private:team-b" })).ok, true);
    assert.deepEqual(await call(a, "join:room", { room: "private:team-c" }), { ok: false, error: "forbidden" });
    assert.deepEqual(await call(b, "join:room", { room: "private:team-a" }), { ok: false, error: "forbidden" });
    assert.deepEqual(await call(b, "chat:history", { room: "private:team-b" }), { ok: false, error: "forbidden" });
    assert.deepEqual(await call(a, "join:room", { room: `user:${b.id}` }), { ok: false, error: "forbidden" });
    const other = await identity(b);
    assert.deepEqual(await call(a, "join:room", { room: `user:${other.userId}` }), { ok: false, error: "forbidden" });
    assert.deepEqual(await call(a, "join:room", { room: `user:${sub}` }), { ok: true, room: `user:${sub}`, count: 1 });
  });

  test("a long non-ASCII name in system messages does not break the other members' connections", async (t) => {
    // "<name> joined" must stay valid UTF-8 whatever the name's length.
    const room = unique("r");
    const a = await user(t, srv.url, { token: hsToken(SECRET, { sub: unique("a"), name: "A" }) });
    await call(a, "chat:join", { room });
    const name = "é".repeat(70);
    const b = await user(t, srv.url, { token: hsToken(SECRET, { sub: unique("b"), name }) });
    let reason = null;
    a.on("disconnect", (r) => { reason = r; });
    await call(b, "chat:join", { room });
    const sys = await next(a, "chat:message").catch((e) => {
      throw reason ? new Error(`a member was disconnected (${reason}) by the system message "<long name> joined"`) : e;
    });
    assert.ok(sys.message.startsWith("éé"), sys.message);
    assert.ok(!sys.message.includes("\ufffd"), `invalid UTF-8 in ${JSON.stringify(sys.message)}`);
    await sync(a);
    assert.equal(a.connected, true);
  });
});

describe("--jwt-issuer / --jwt-audience / --jwt-leeway 0", () => {
  const srv = useSocketiod(["--auth", "required", "--jwt-secret", SECRET,
    "--jwt-issuer", "https://issuer.example", "--jwt-audience", "socketiod", "--jwt-leeway", "0"]);

  test("the right iss and aud (string or array) are accepted", async (t) => {
    const a = await user(t, srv.url, { token: hsToken(SECRET, { sub: "ia-1", iss: "https://issuer.example", aud: "socketiod" }) });
    assert.equal((await identity(a)).userId, "ia-1");
    const b = await user(t, srv.url, { token: hsToken(SECRET, { sub: "ia-2", iss: "https://issuer.example", aud: ["other", "socketiod"] }) });
    assert.equal((await identity(b)).userId, "ia-2");
  });

  test("wrong or missing iss / aud, and exp without leeway, are refused", async (t) => {
    const ok = { iss: "https://issuer.example", aud: "socketiod" };
    const cases = [
      [{ ...ok, iss: "https://evil.example" }, "invalid issuer"],
      [{ aud: "socketiod" }, "invalid issuer"],
      [{ ...ok, aud: "someone-else" }, "invalid audience"],
      [{ ...ok, aud: ["a", "b"] }, "invalid audience"],
      [{ iss: ok.iss }, "invalid audience"],
      [{ ...ok, exp: now() - 5 }, "token expired"],
      [{ ...ok, nbf: now() + 5 }, "token not yet valid"],
    ];
    for (const [claims, message] of cases) {
      assert.equal(await refused(t, srv.url, { token: hsToken(SECRET, { sub: "x", ...claims }) }), message, JSON.stringify(claims));
    }
  });
});

describe("EdDSA (Ed25519)", () => {
  const { publicKey, privateKey } = crypto.generateKeyPairSync("ed25519");
  const pem = publicKey.export({ type: "spki", format: "pem" });
  const srv = useSocketiod(["--auth", "required", "--jwt-public-key", pem]);

  test("a token signed with the key: sub, name, role", async (t) => {
    const a = await user(t, srv.url, { token: edToken(privateKey, { sub: "ed-1", name: "Edwards", role: "admin" }) });
    assert.deepEqual(await identity(a), { userId: "ed-1", username: "Edwards" });
    assert.equal((await call(a, "join:room", { room: "admin" })).ok, true);
  });

  test("another key, an HS256 token without a secret, alg none: refused", async (t) => {
    const other = crypto.generateKeyPairSync("ed25519").privateKey;
    assert.equal(await refused(t, srv.url, { token: edToken(other, { sub: "x" }) }), "invalid signature");
    assert.equal(await refused(t, srv.url, { token: hsToken("", { sub: "x" }) }), "unsupported algorithm");
    assert.equal(await refused(t, srv.url, { token: hsToken(SECRET, { sub: "x" }) }), "unsupported algorithm");
    const none = `${b64url({ alg: "none" })}.${b64url({ sub: "x" })}.`;
    assert.equal(await refused(t, srv.url, { token: none }), "unsupported algorithm");
    assert.equal(await refused(t, srv.url, { token: edToken(privateKey, { sub: "x", exp: now() - 3600 }) }), "token expired");
  });

  test("the key as a PEM file or as base64 of its 32 bytes", async (t) => {
    const raw = publicKey.export({ format: "der", type: "spki" }).subarray(12).toString("base64");
    const dir = mkdtempSync(path.join(os.tmpdir(), "socketiod-key-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, "key.pem");
    writeFileSync(file, pem);
    for (const key of [raw, file]) {
      const d = await startSocketiod(t, ["--auth", "required", "--jwt-public-key", key]);
      const a = await user(t, d.url, { token: edToken(privateKey, { sub: "ed-2" }) });
      assert.equal((await identity(a)).userId, "ed-2");
    }
  });
});

describe("bad key configuration", () => {
  test("an unusable --jwt-public-key stops the daemon at start", async () => {
    await assert.rejects(launchSocketiod(["--auth", "required", "--jwt-public-key", "bm90IGEga2V5"]), /exited before listening/);
  });
});

