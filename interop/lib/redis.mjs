// Redis for the cluster tests: find redis-server, start one on a free
// loopback port, and retry a check until it holds.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { sleep } from "./util.mjs";

export function findRedis() {
  if (process.env.REDIS_SERVER) return existsSync(process.env.REDIS_SERVER) ? process.env.REDIS_SERVER : null;
  const dirs = (process.env.PATH || "").split(":").concat(["/usr/bin", "/usr/sbin", "/usr/local/bin"]);
  for (const d of dirs) {
    const p = path.join(d, "redis-server");
    if (d && existsSync(p)) return p;
  }
  return null;
}

export const REDIS = findRedis();

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** redis-server on 127.0.0.1:port, no persistence; resolves once ready. */
export function startRedis(port, extra = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(REDIS, ["--port", String(port), "--bind", "127.0.0.1",
      "--save", "", "--appendonly", "no", ...extra], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let exited = false;
    const waiters = [];
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`redis-server did not start:\n${out}`));
    }, 10_000);
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (d) => {
      out += d;
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(timer);
        resolve({
          pid: child.pid,
          async stop(signal = "SIGTERM") {
            if (exited) return;
            child.kill(signal);
            await new Promise((r) => waiters.push(r));
          },
        });
      }
    });
    child.stderr.on("data", (d) => { out += d; });
    child.on("exit", () => {
      exited = true;
      clearTimeout(timer);
      for (const w of waiters.splice(0)) w();
    });
    child.on("error", (e) => { clearTimeout(timer); reject(e); });
  });
}

/** Retries `fn` until it stops throwing, for at most `ms`. */
export async function eventually(fn, what, ms = 10_000) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`${what}: ${last?.message}`);
    await sleep(100);
  }
}

