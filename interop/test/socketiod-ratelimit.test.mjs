// socketiod rate limits: --message-rate / --message-window per user on the
// message events (chat:message, send-message, message:send), --event-rate
// per socket on every event. A refusal answers the ack with
// {ok:false, error:"Rate limit exceeded"} and emits `error`
// {message:"Rate limit exceeded"} to the socket.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { useSocketiod, startSocketiod, user, call, nothing, next, unique, hsToken, until, roomSize } from "../lib/socketiod.mjs";
import { closeClient } from "../lib/sio.mjs";

const LIMITED = { ok: false, error: "Rate limit exceeded" };

function who(tag) {
  return { userId: unique(tag), username: tag };
}

describe("--message-rate 3 --message-window 60000", () => {
  const srv = useSocketiod(["--message-rate", "3", "--message-window", "60000"]);

  test("the 4th chat:message is refused, with an error event; nobody gets it", async (t) => {
    const room = unique("r");
    const a = await user(t, srv.url, who("alice"));
    const b = await user(t, srv.url, who("bob"));
    await call(a, "chat:join", { room });
    await call(b, "chat:join", { room });
    for (let i = 0; i < 3; i++) assert.equal((await call(a, "chat:message", { room, message: `m${i}` })).ok, true);
    assert.deepEqual(await call(a, "chat:message", { room, message: "m3" }), LIMITED);
    assert.deepEqual(await next(a, "error"), { message: "Rate limit exceeded" });
    await nothing(b, "chat:message", ([m]) => m.message === "m3");
    await nothing(b, "error");
    // without an ack: the error event only
    a.emit("chat:message", { room, message: "m4" });
    assert.deepEqual(await next(a, "error"), { message: "Rate limit exceeded" });
    await nothing(b, "chat:message", ([m]) => m.message === "m4");
    // other events go on; another user is not limited
    assert.deepEqual(await call(a, "chat:typing", { room, isTyping: true }), { ok: true });
    assert.equal((await call(b, "chat:message", { room, message: "bob's" })).ok, true);
    const h = await call(b, "chat:history", { room });
    assert.deepEqual(h.messages.map((m) => m.message), ["m0", "m1", "m2", "bob's"]);
  });

  test("per user: two sockets of one user share the budget", async (t) => {
    const room = unique("r");
    const alice = who("alice");
    const a1 = await user(t, srv.url, alice);
    const a2 = await user(t, srv.url, alice);
    await call(a1, "chat:join", { room });
    await call(a2, "chat:join", { room });
    assert.equal((await call(a1, "chat:message", { room, message: "1" })).ok, true);
    assert.equal((await call(a2, "chat:message", { room, message: "2" })).ok, true);
    assert.equal((await call(a1, "chat:message", { room, message: "3" })).ok, true);
    assert.deepEqual(await call(a2, "chat:message", { room, message: "4" }), LIMITED);
    assert.deepEqual(await next(a2, "error"), { message: "Rate limit exceeded" });
    assert.deepEqual(await call(a1, "chat:message", { room, message: "5" }), LIMITED);
    assert.deepEqual(await next(a1, "error"), { message: "Rate limit exceeded" });
  });

  test("send-message and message:send draw on the same budget", async (t) => {
    const roomId = unique("r");
    const channelId = unique("c");
    const a = await user(t, srv.url, who("alice"));
    await call(a, "join-room", roomId);
    await call(a, "chat:join", { room: roomId });
    await call(a, "channel:join", { channelId });
    assert.equal((await call(a, "send-message", { roomId, content: "1" })).ok, true);
    assert.equal((await call(a, "message:send", { channelId, content: "2" })).ok, true);
    assert.equal((await call(a, "chat:message", { room: roomId, message: "3" })).ok, true);
    assert.deepEqual(await call(a, "send-message", { roomId, content: "4" }), LIMITED);
    assert.deepEqual(await call(a, "message:send", { channelId, content: "5" }), LIMITED);
    assert.deepEqual(await call(a, "chat:message", { room: roomId, message: "6" }), LIMITED);
  });
});

describe("--message-rate with tokens", () => {
  const SECRET = "rate-secret";
  const srv = useSocketiod(["--auth", "required", "--jwt-secret", SECRET, "--message-rate", "3", "--message-window", "60000"]);

  test("reconnecting does not refill a user's budget", async (t) => {
    const token = hsToken(SECRET, { sub: unique("spammer") });
    const room = unique("r");
    const a = await user(t, srv.url, { token });
    await call(a, "chat:join", { room });
    for (let i = 0; i < 3; i++) assert.equal((await call(a, "chat:message", { room, message: `m${i}` })).ok, true);
    assert.deepEqual(await call(a, "chat:message", { room, message: "m3" }), LIMITED);
    closeClient(a);
    const watcher = await user(t, srv.url, { token: hsToken(SECRET, { sub: unique("w") }) });
    await until(async () => (await roomSize(watcher, room)) === 0, "the first socket to be gone");
    const a2 = await user(t, srv.url, { token });
    await call(a2, "chat:join", { room });
    assert.deepEqual(await call(a2, "chat:message", { room, message: "after reconnecting" }), LIMITED,
      "the same user, reconnected, got a fresh message budget");
  });
});

describe("--event-rate", () => {
  test("--event-rate 5: every event counts, per socket", async (t) => {
    const d = await startSocketiod(t, ["--event-rate", "5", "--message-window", "60000"]);
    const alice = who("alice");
    const a1 = await user(t, d.url, alice);
    const a2 = await user(t, d.url, alice);
    const room = unique("r");
    const events = [
      ["join:room", { room }],
      ["presence:list", { room }],
      ["video:join", { videoId: "v" }],
      ["notifications:count", {}],
      ["chat:history", { room }],
    ];
    for (const [ev, arg] of events) assert.equal((await call(a1, ev, arg)).ok, true, ev);
    assert.deepEqual(await call(a1, "presence:list", { room }), LIMITED);
    assert.deepEqual(await next(a1, "error"), { message: "Rate limit exceeded" });
    // invalid payloads count too; and the refusal comes before any check
    assert.deepEqual(await call(a1, "join:room", {}), LIMITED);
    // another socket of the same user has its own budget
    assert.deepEqual(await call(a2, "presence:list", { room }), { ok: true, room, users: [{ userId: alice.userId, username: "alice" }] });
  });

  test("--event-rate 0 turns the per-socket limit off", async (t) => {
    const d = await startSocketiod(t, ["--event-rate", "0", "--message-rate", "1000"]);
    const a = await user(t, d.url, who("alice"));
    const room = unique("r");
    await call(a, "chat:join", { room });
    const acks = await Promise.all(Array.from({ length: 150 }, (_, i) => call(a, "chat:message", { room, message: `m${i}` })));
    assert.ok(acks.every((r) => r.ok === true), JSON.stringify(acks.find((r) => !r.ok)));
    await nothing(a, "error");
  });

  test("the default limits: 10 messages per 10 s per user", async (t) => {
    const d = await startSocketiod(t, []);
    const a = await user(t, d.url, who("alice"));
    const room = unique("r");
    await call(a, "chat:join", { room });
    const acks = [];
    for (let i = 0; i < 11; i++) acks.push(await call(a, "chat:message", { room, message: `m${i}` }));
    assert.ok(acks.slice(0, 10).every((r) => r.ok === true));
    assert.deepEqual(acks[10], LIMITED);
  });
});
