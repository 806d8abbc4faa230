// socketiod service: presence:list, presence:online / presence:offline,
// stats:listeners.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { useSocketiod, startSocketiod, user, call, nothing, next, unique, roomSize, until } from "../lib/socketiod.mjs";
import { closeClient } from "../lib/sio.mjs";

const srv = useSocketiod();

describe("presence:list", () => {
  test("one entry per user, sorted by userId", async (t) => {
    const room = unique("room");
    const ids = ["u-c", "u-a", "u-b"].map((x) => `${x}-${unique("p")}`);
    const sockets = [];
    for (const [i, userId] of ids.entries()) {
      const s = await user(t, srv.url, { userId, username: `name${i}` });
      await call(s, "join:room", { room });
      sockets.push(s);
    }
    // a second socket of the first user
    const again = await user(t, srv.url, { userId: ids[0], username: "name0" });
    assert.equal((await call(again, "join:room", { room })).count, 4);
    const outsider = await user(t, srv.url, { userId: unique("out"), username: "out" });
    const r = await call(outsider, "presence:list", { room });
    assert.deepEqual(r, {
      ok: true,
      room,
      users: [
        { userId: ids[1], username: "name1" },
        { userId: ids[2], username: "name2" },
        { userId: ids[0], username: "name0" },
      ],
    });
    assert.deepEqual(await call(outsider, "presence:list", { room: unique("empty") }).then((x) => x.users), []);
  });

  test("anonymous users: userId is the socket id, username \"anonymous\"", async (t) => {
    const room = unique("room");
    const a = await user(t, srv.url);
    await call(a, "join:room", { room });
    assert.deepEqual((await call(a, "presence:list", { room })).users, [{ userId: a.id, username: "anonymous" }]);
    // and its user room is user:{socket id}
    assert.deepEqual((await call(a, "presence:list", { room: `user:${a.id}` })).users,
      [{ userId: a.id, username: "anonymous" }]);
  });

  test("errors: invalid payload, invalid room, forbidden", async (t) => {
    const a = await user(t, srv.url, { userId: unique("a"), username: "a" });
    assert.deepEqual(await call(a, "presence:list", {}), { ok: false, error: "invalid payload" });
    assert.deepEqual(await call(a, "presence:list", "room"), { ok: false, error: "invalid payload" });
    assert.deepEqual(await call(a, "presence:list", { room: "x".repeat(129) }), { ok: false, error: "invalid room" });
    for (const room of ["user:someone-else", "admin", "private:x"]) {
      assert.deepEqual(await call(a, "presence:list", { room }), { ok: false, error: "forbidden" }, room);
    }
  });
});

describe("presence:online / presence:offline", () => {
  test("on a user's first socket and after its last one", async (t) => {
    const watcher = await user(t, srv.url, { userId: unique("w"), username: "watcher" });
    const userId = unique("bob");
    const b1 = await user(t, srv.url, { userId, username: "bob" });
    assert.deepEqual(await next(watcher, "presence:online", (p) => p.userId === userId), { userId, username: "bob" });
    const b2 = await user(t, srv.url, { userId, username: "bob" });
    await nothing(watcher, "presence:online", ([p]) => p.userId === userId);
    const room = unique("both");
    await call(b1, "join:room", { room });
    await call(b2, "join:room", { room });
    closeClient(b2);
    await until(async () => (await roomSize(watcher, room)) === 1, "b2 gone from the room");
    await nothing(watcher, "presence:offline", ([p]) => p.userId === userId);
    closeClient(b1);
    assert.deepEqual(await next(watcher, "presence:offline", (p) => p.userId === userId), { userId });
  });

  test("not for anonymous sockets (no userId): a crowd of listeners is not announced to itself", async (t) => {
    const watcher = await user(t, srv.url, { userId: unique("w"), username: "watcher" });
    const anon = await user(t, srv.url, { username: "listener" });
    const named = await user(t, srv.url, { userId: unique("named"), username: "named" });
    // the named user's announcement comes after the anonymous one's would have
    await next(watcher, "presence:online", (p) => p.userId === named.auth.userId);
    await nothing(watcher, "presence:online", ([p]) => p.userId === anon.id);
    // it is a user all the same: its own room, and presence:list
    const list = await call(anon, "presence:list", { room: `user:${anon.id}` });
    assert.deepEqual(list.users, [{ userId: anon.id, username: "listener" }]);
    closeClient(anon);
    closeClient(named);
    await next(watcher, "presence:offline", (p) => p.userId === named.auth.userId);
    await nothing(watcher, "presence:offline", ([p]) => p.userId === anon.id);
  });
});

describe("stats:listeners", () => {
  test("sent on connect; to everyone every --stats-interval when it changed", async (t) => {
    const d = await startSocketiod(t, ["--stats-interval", "200"]);
    const a = await user(t, d.url, { userId: "a", username: "a" });
    assert.deepEqual(await next(a, "stats:listeners"), { count: 1, peak: 1 });
    const b = await user(t, d.url, { userId: "b", username: "b" });
    assert.deepEqual(await next(b, "stats:listeners"), { count: 2, peak: 2 });
    // a hears of b within a few intervals
    assert.deepEqual(await next(a, "stats:listeners", (p) => p.count === 2, 5_000), { count: 2, peak: 2 });
    closeClient(b);
    assert.deepEqual(await next(a, "stats:listeners", (p) => p.count === 1, 5_000), { count: 1, peak: 2 });
    // nothing changes: nothing is sent (a few intervals)
    await new Promise((r) => setTimeout(r, 700));
    await nothing(a, "stats:listeners");
    const c = await user(t, d.url, { userId: "c", username: "c" });
    assert.deepEqual(await next(c, "stats:listeners"), { count: 2, peak: 2 });
  });
});
