// socketiod's log: --log-file, --log-format json, and SIGHUP reopening the
// file (what log rotation does: rename the file, then SIGHUP).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, renameSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startSocketiod } from "../lib/socketiod.mjs";
import { sleep } from "../lib/util.mjs";

/** Polls `cond` every 20 ms until true, failing after `ms`. */
async function waitFor(cond, ms, what) {
  for (const end = Date.now() + ms; !cond(); await sleep(20))
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
}

test("SIGHUP reopens --log-file: the rotated file keeps the old lines, a new file gets the next", async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "socketiod-log-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = path.join(dir, "socketiod.log");
  const srv = await startSocketiod(t, ["--log-file", log, "--log-level", "info", "--log-format", "json"]);
  await waitFor(() => existsSync(log) && readFileSync(log, "utf8").includes("listening on"), 5000, "the first log lines");
  renameSync(log, log + ".1");
  srv.proc.kill("SIGHUP");
  await waitFor(() => existsSync(log) && readFileSync(log, "utf8").includes("log reopened"), 5000, "the reopened log");
  const old = readFileSync(log + ".1", "utf8");
  assert.match(old, /listening on 127\.0\.0\.1:/);
  assert.doesNotMatch(old, /log reopened/);
  // --log-format json: one object per line
  for (const line of readFileSync(log, "utf8").trim().split("\n")) {
    const o = JSON.parse(line);
    assert.equal(typeof o.time, "string");
    assert.equal(o.level, "info");
    assert.equal(typeof o.msg, "string");
  }
});
