// socketiod service: relays of the configured event names (default
// location:share, share-location, call:initiate, call:signal,
// document:edit, track:vote; --relay-event): from a member of a room to the
// rest of it, with `from` = the sender's userId.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { useSocketiod, startSocketiod, user, call, nothing, next, unique } from "../lib/socketiod.mjs";

const srv = useSocketiod();

const DEFAULTS = ["location:share", "share-location", "call:initiate", "call:signal", "document:edit", "track:vote"];

function who(tag) {
  return { userId: unique(tag), username: tag };
}

async function group(t, url = srv.url) {
  const room = unique("relay");
  const a = await user(t, url, who("alice"));
  const b = await user(t, url, who("bob"));
  const c = await user(t, url, who("carol"));
  const d = await user(t, url, who("dave")); // outside the room
  for (const s of [a, b, c]) await call(s, "join:room", { room });
  return { room, a, b, c, d };
}

describe("relay events", () => {
  for (const event of DEFAULTS) {
    test(`${event}: the others in the room get the payload with from; not the sender`, async (t) => {
      const { room, a, b, c, d } = await group(t);
      const payload = { room, lat: 48.85, lng: 2.35, nested: { list: [1, "two", null] } };
      assert.deepEqual(await call(a, event, payload), { ok: true });
      for (const s of [b, c]) assert.deepEqual(await next(s, event), { ...payload, from: a.auth.userId });
      await nothing(a, event);
      await nothing(d, event);
    });
  }

  test("from cannot be forged", async (t) => {
    const { room, a, b } = await group(t);
    assert.deepEqual(await call(a, "call:signal", { room, from: "mallory", sdp: "v=0" }), { ok: true });
    assert.deepEqual(await next(b, "call:signal"), { room, from: a.auth.userId, sdp: "v=0" });
  });

  test("errors: not in room, invalid payload", async (t) => {
    const { room, a, b, d } = await group(t);
    assert.deepEqual(await call(d, "location:share", { room, lat: 1 }), { ok: false, error: "not in room" });
    assert.deepEqual(await call(a, "location:share", { lat: 1 }), { ok: false, error: "invalid payload" });
    assert.deepEqual(await call(a, "location:share", { room: "" }), { ok: false, error: "invalid payload" });
    assert.deepEqual(await call(a, "location:share", { room: "r".repeat(129) }), { ok: false, error: "invalid room" });
    assert.deepEqual(await call(a, "track:vote", room), { ok: false, error: "invalid payload" });
    assert.deepEqual(await call(a, "track:vote"), { ok: false, error: "invalid payload" });
    await nothing(b, "location:share");
    await nothing(b, "track:vote");
  });

  test("--relay-event names another event to relay", async (t) => {
    const d = await startSocketiod(t, ["--relay-event", "game:move", "--relay-event", "cursor"]);
    const { room, a, b } = await group(t, d.url);
    for (const event of ["game:move", "cursor"]) {
      assert.deepEqual(await call(a, event, { room, x: 3 }), { ok: true });
      assert.deepEqual(await next(b, event), { room, x: 3, from: a.auth.userId });
      await nothing(a, event);
    }
  });
});
