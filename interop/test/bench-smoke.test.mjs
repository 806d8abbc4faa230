// A short smoke run of the load generator (bench/sio-bench) against the
// server under test: every scenario completes with every client connected,
// no error and nothing lost; and one of bench/floor (no server: one write()
// of a frame per socket). The full benchmark lives in bench/; no timing is
// asserted here.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { useSioServer } from "../lib/harness.mjs";
import { INTEROP_DIR } from "../lib/server.mjs";

const BENCH = process.env.SIO_BENCH
  ? path.resolve(process.env.SIO_BENCH)
  : path.join(INTEROP_DIR, "..", "build", "bench", "sio-bench");

// bench/floor is built next to sio-bench
const FLOOR = path.join(path.dirname(BENCH), "floor");

const srv = useSioServer({ pingInterval: 25000, pingTimeout: 20000 });

function bench(args) {
  assert.ok(existsSync(BENCH), `sio-bench not found at ${BENCH} (build it or set SIO_BENCH)`);
  return new Promise((resolve, reject) => {
    execFile(BENCH, ["--url", srv.url, "--json", ...args], { timeout: 30_000 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`sio-bench ${args.join(" ")}: ${err.message}\n${stderr}`));
        const last = stdout.trim().split("\n").pop();
        resolve(JSON.parse(last));
      });
  });
}

describe("load generator smoke run", () => {
  test("idle: 200 clients connect and stay", async () => {
    const r = await bench(["--scenario", "idle", "--clients", "200", "--duration", "1"]);
    assert.equal(r.connected, 200);
    assert.equal(r.errors, 0);
  });

  test("echo over WebSocket: every emit acknowledged", async () => {
    const r = await bench(["--scenario", "echo", "--clients", "20", "--duration", "1"]);
    assert.equal(r.connected, 20);
    assert.equal(r.errors, 0);
    assert.equal(r.lost, 0);
    assert.ok(r.msgs_delivered > 0, "no ack came back");
  });

  test("echo over long-polling: every emit acknowledged", async () => {
    const r = await bench(["--scenario", "echo", "--transport", "polling", "--clients", "10", "--duration", "1"]);
    assert.equal(r.errors, 0);
    assert.equal(r.lost, 0);
    assert.ok(r.msgs_delivered > 0, "no ack came back");
  });

  test("fanout: every broadcast reaches every member, in order", async () => {
    const r = await bench(["--scenario", "fanout", "--clients", "200", "--rate", "20", "--duration", "1"]);
    assert.equal(r.connected, 200);
    assert.equal(r.errors, 0);
    assert.equal(r.lost, 0);
    assert.equal(r.out_of_order, 0);
    assert.ok(r.msgs_delivered >= 200, `only ${r.msgs_delivered} deliveries`);
  });

  test("churn: sessions come and go without errors", async () => {
    const r = await bench(["--scenario", "churn", "--clients", "10", "--duration", "1"]);
    assert.equal(r.errors, 0);
    assert.ok(r.msgs_delivered > 0, "no session completed");
  });
});

describe("floor smoke run", () => {
  test("floor: 50 sockets, 10 rounds: frames written, JSON on the last line", async () => {
    assert.ok(existsSync(FLOOR), `floor not found at ${FLOOR} (build it, next to sio-bench)`);
    const out = await new Promise((resolve, reject) => {
      execFile(FLOOR, ["--clients", "50", "--rate", "10", "--duration", "1", "--json"],
        { timeout: 30_000 }, (err, stdout, stderr) => {
          if (err) return reject(new Error(`floor: ${err.message}\n${stderr}`));
          resolve(stdout);
        });
    });
    const r = JSON.parse(out.trim().split("\n").pop());
    assert.equal(r.scenario, "floor");
    assert.equal(r.clients, 50);
    assert.equal(r.rate, 10);
    assert.ok(r.frames > 0, "no frame written");
    assert.equal(r.writes, r.rounds * 50, "one write per socket per round");
    assert.ok(r.frames <= r.writes);
    assert.equal(r.frame_bytes, r.payload_bytes + 2);
    for (const k of ["duration_s", "cpu_s", "frames_per_cpu_s", "us_per_frame"])
      assert.equal(typeof r[k], "number", k);
  });
});
