// socketiod and connection-state recovery: a socket whose connection
// dropped is announced gone (chat "left", counts), and when it recovers
// within --recovery-window it is a member of its chat, video and channel
// rooms again: the others see it come back, and they see it leave when it
// goes for good.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { useSocketiod, user, call, next, unique } from "../lib/socketiod.mjs";
import { connected, disconnected } from "../lib/sio.mjs";

const srv = useSocketiod();

function who(tag) {
  return { userId: unique(tag), username: tag };
}

const system = (p) => p.system === true;

/** Drops a's transport (no DISCONNECT packet) and waits for the server's
 * handling of it (`gone` resolves when the others see it). */
async function drop(a, gone) {
  a.before = a.id;
  const down = disconnected(a, "the client's side of the drop");
  a.io.engine.close();
  await down;
  await gone;
}

async function recover(a) {
  a.connect();
  await connected(a, "the recovered connection");
  assert.equal(a.recovered, true, "recovered within the window");
  assert.equal(a.id, a.before, "the same socket id");
}

describe("recovery keeps the service's memberships", () => {
  test("chat and video: back after the drop, announced left when gone for good", async (t) => {
    const a = await user(t, srv.url, who("alice"));
    const b = await user(t, srv.url, who("bob"));
    const room = unique("rec-chat");
    const videoId = unique("rec-video");
    await call(a, "chat:join", { room });
    await call(b, "chat:join", { room });
    await call(a, "video:join", { videoId });
    await call(b, "video:join", { videoId });
    assert.equal((await next(b, "chat:user-count", (p) => p.count === 2)).count, 2);
    assert.equal((await next(b, "video:viewers", (p) => p.count === 2)).count, 2);

    await drop(a, next(b, "chat:message", (p) => system(p) && p.message === "alice left"));
    assert.deepEqual(await next(b, "chat:user-count", (p) => p.count === 1), { room, count: 1 });
    assert.deepEqual(await next(b, "video:viewers", (p) => p.count === 1), { videoId, count: 1 });

    await recover(a);
    assert.equal((await next(b, "chat:message", (p) => system(p) && p.message === "alice joined")).room, room);
    assert.deepEqual(await next(b, "chat:user-count", (p) => p.count === 2), { room, count: 2 });
    assert.deepEqual(await next(b, "video:viewers", (p) => p.count === 2), { videoId, count: 2 });
    // a member again: it may post, and it hears the room
    assert.equal((await call(a, "chat:message", { room, message: "back" })).ok, true);
    assert.equal((await next(b, "chat:message", (p) => p.message === "back")).userId, a.auth.userId);
    await call(b, "chat:message", { room, message: "welcome" });
    assert.equal((await next(a, "chat:message", (p) => p.message === "welcome")).userId, b.auth.userId);

    // gone for good: the others are told, as for any socket
    const gone = disconnected(a);
    a.disconnect();
    await gone;
    assert.equal((await next(b, "chat:message", (p) => system(p) && p.message === "alice left")).room, room);
    assert.deepEqual(await next(b, "chat:user-count", (p) => p.count === 1), { room, count: 1 });
    assert.deepEqual(await next(b, "video:viewers", (p) => p.count === 1), { videoId, count: 1 });
  });

  test("seed 004: the channel joined before the drop is left by the next channel:join", async (t) => {
    const a = await user(t, srv.url, who("alice"));
    const b = await user(t, srv.url, who("bob"));
    const [first, second] = [unique("chan"), unique("chan")];
    await call(a, "channel:join", { channelId: first });
    const users = async (channelId) =>
      (await call(b, "presence:list", { room: `channel:${channelId}` })).users.map((u) => u.userId);
    assert.deepEqual(await users(first), [a.auth.userId]);

    await drop(a, (async () => {
      // the server has handled the drop when the channel is empty
      for (;;) {
        if ((await users(first)).length === 0) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    })());
    await recover(a);
    assert.deepEqual(await users(first), [a.auth.userId], "back in the channel");
    await call(a, "channel:join", { channelId: second });
    assert.deepEqual(await users(first), [], "the first channel is left");
    assert.deepEqual(await users(second), [a.auth.userId]);
  });
});
