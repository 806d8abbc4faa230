// socketiod service: video:join, video:leave (room "video:{videoId}",
// video:viewers) and video:progress (video:sync to the user's other
// sockets).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { useSocketiod, user, call, nothing, next, unique } from "../lib/socketiod.mjs";
import { closeClient } from "../lib/sio.mjs";

const srv = useSocketiod();

function who(tag) {
  return { userId: unique(tag), username: tag };
}

describe("video:join / video:leave", () => {
  test("ack {videoId, count}; video:viewers to the room", async (t) => {
    const videoId = unique("v");
    const a = await user(t, srv.url, who("alice"));
    const b = await user(t, srv.url, who("bob"));
    const c = await user(t, srv.url, who("carol"));
    assert.deepEqual(await call(a, "video:join", { videoId }), { ok: true, videoId, count: 1 });
    assert.deepEqual(await next(a, "video:viewers"), { videoId, count: 1 });
    assert.deepEqual(await call(b, "video:join", { videoId }), { ok: true, videoId, count: 2 });
    assert.deepEqual(await next(a, "video:viewers"), { videoId, count: 2 });
    assert.deepEqual(await next(b, "video:viewers"), { videoId, count: 2 });
    await nothing(c, "video:viewers");
    // the room is video:{videoId}
    assert.deepEqual((await call(c, "presence:list", { room: `video:${videoId}` })).users.map((u) => u.username).sort(),
      ["alice", "bob"]);
    // joining again: no new announcement
    assert.deepEqual(await call(b, "video:join", { videoId }), { ok: true, videoId, count: 2 });
    await nothing(a, "video:viewers");

    assert.deepEqual(await call(b, "video:leave", { videoId }), { ok: true, videoId, count: 1 });
    assert.deepEqual(await next(a, "video:viewers"), { videoId, count: 1 });
    await nothing(b, "video:viewers");
    // leaving again is harmless
    assert.deepEqual(await call(b, "video:leave", { videoId }), { ok: true, videoId, count: 1 });
    await nothing(a, "video:viewers");
  });

  test("a viewer who disconnects is counted out", async (t) => {
    const videoId = unique("v");
    const a = await user(t, srv.url, who("alice"));
    const b = await user(t, srv.url, who("bob"));
    await call(a, "video:join", { videoId });
    await call(b, "video:join", { videoId });
    await next(a, "video:viewers", (p) => p.count === 2);
    closeClient(b);
    assert.deepEqual(await next(a, "video:viewers", (p) => p.count !== 2), { videoId, count: 1 });
  });

  test("errors: invalid payload", async (t) => {
    const a = await user(t, srv.url, who("alice"));
    for (const bad of [[], [{}], ["v1"], [{ videoId: "" }], [{ videoId: true }], [{ videoId: "v".repeat(200) }]]) {
      assert.deepEqual(await call(a, "video:join", ...bad), { ok: false, error: "invalid payload" },
        `video:join ${JSON.stringify(bad)}`);
    }
    assert.deepEqual(await call(a, "video:leave", {}), { ok: false, error: "invalid payload" });
  });
});

describe("video:progress", () => {
  test("the same user's other sockets get video:sync; not the sender, not other users", async (t) => {
    const videoId = unique("v");
    const alice = who("alice");
    const phone = await user(t, srv.url, alice);
    const laptop = await user(t, srv.url, alice);
    const tv = await user(t, srv.url, alice);
    const bob = await user(t, srv.url, who("bob"));
    await call(bob, "video:join", { videoId });
    assert.deepEqual(await call(phone, "video:progress", { videoId, timestamp: 42.5 }), { ok: true });
    assert.deepEqual(await next(laptop, "video:sync"), { videoId, timestamp: 42.5 });
    assert.deepEqual(await next(tv, "video:sync"), { videoId, timestamp: 42.5 });
    await nothing(phone, "video:sync");
    await nothing(bob, "video:sync");
    assert.deepEqual(await call(laptop, "video:progress", { videoId, timestamp: 90 }), { ok: true });
    assert.deepEqual(await next(phone, "video:sync"), { videoId, timestamp: 90 });
    assert.deepEqual(await next(tv, "video:sync"), { videoId, timestamp: 90 });
    await nothing(laptop, "video:sync");
  });

  test("errors: invalid payload", async (t) => {
    const alice = who("alice");
    const a = await user(t, srv.url, alice);
    const a2 = await user(t, srv.url, alice);
    for (const bad of [{}, { videoId: "v" }, { videoId: "v", timestamp: "12" }, { timestamp: 3 }, { videoId: "", timestamp: 3 }]) {
      assert.deepEqual(await call(a, "video:progress", bad), { ok: false, error: "invalid payload" },
        `video:progress ${JSON.stringify(bad)}`);
    }
    await nothing(a2, "video:sync");
  });
});
