// Start and stop the server under test on a free loopback port.
//
//   TARGET=c    (default) the C conformance servers: EIO_SERVER overrides the
//               Engine.IO one's path, SIO_SERVER the Socket.IO one's
//   TARGET=node the reference servers on the stock `engine.io` and `socket.io`
//               packages (servers/eio-node-server.mjs, servers/sio-node-server.mjs)
//
// Both print exactly one line "listening 127.0.0.1:<port>" on stdout once they
// accept connections (socketiod, startSocketiod, prints "listening on
// 127.0.0.1:<port>"). stop() sends SIGTERM and rejects if the process did not
// exit cleanly (non-zero exit code, or killed by any signal other than our
// SIGTERM): a sanitizer report on stderr therefore fails the test file.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const INTEROP_DIR = path.resolve(here, "..");

export const TARGET = (process.env.TARGET || "c").toLowerCase();
if (TARGET !== "c" && TARGET !== "node") {
  throw new Error(`TARGET must be "c" or "node", got "${TARGET}"`);
}

const START_TIMEOUT_MS = 10_000;
const KILL_AFTER_MS = 3_000;

// EIO_SERVER, else the out-of-tree build of scripts/build (build/), else an
// in-tree build.
function cServerPath() {
  if (process.env.EIO_SERVER) return path.resolve(process.env.EIO_SERVER);
  const outOfTree = path.join(INTEROP_DIR, "..", "build", "interop", "eio-conformance-server");
  return existsSync(outOfTree) ? outOfTree : path.join(INTEROP_DIR, "eio-conformance-server");
}

// `listening` matches the line that says the server is ready; its first group
// is the port.
function launch(name, bin, args, { listening = /^listening 127\.0\.0\.1:(\d+)\r?\n/m } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let started = false;
    let exited = false;
    let exitInfo = null;
    let stopRequested = false;
    const exitWaiters = [];

    const report = (why) =>
      `${name} (${bin}) ${why}` +
      (stderr ? `\n--- ${name} stderr ---\n${stderr}--- end stderr ---` : "");

    const timer = setTimeout(() => {
      if (started) return;
      child.kill("SIGKILL");
      reject(new Error(report(`did not print "listening" within ${START_TIMEOUT_MS} ms`)));
    }, START_TIMEOUT_MS);

    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d) => { stderr += d; });
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (d) => {
      stdout += d;
      if (started) return;
      const m = listening.exec(stdout);
      if (!m) return;
      started = true;
      clearTimeout(timer);
      const port = Number(m[1]);
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        pid: child.pid,
        get stderr() { return stderr; },
        stop,
      });
    });
    child.on("error", (err) => {
      clearTimeout(timer);
      if (!started) reject(new Error(report(`failed to start: ${err.message}`)));
    });
    child.on("exit", (code, signal) => {
      exited = true;
      exitInfo = { code, signal };
      clearTimeout(timer);
      if (!started) {
        reject(new Error(report(`exited before listening (code ${code}, signal ${signal})`)));
      } else if (!stopRequested) {
        // Crashed while tests were running: say so right away; stop() rejects too.
        process.stderr.write(report(`exited unexpectedly (code ${code}, signal ${signal})`) + "\n");
      }
      for (const w of exitWaiters.splice(0)) w();
    });

    function waitExit() {
      if (exited) return Promise.resolve();
      return new Promise((r) => exitWaiters.push(r));
    }

    async function stop() {
      let killed = false;
      if (!exited) {
        stopRequested = true;
        child.kill("SIGTERM");
        const t = setTimeout(() => { killed = true; child.kill("SIGKILL"); }, KILL_AFTER_MS);
        await waitExit();
        clearTimeout(t);
      }
      const { code, signal } = exitInfo;
      // Clean: exit code 0, or terminated by the SIGTERM we sent (a server
      // without a handler). Anything else (non-zero code, e.g. a sanitizer
      // report; SIGKILL after the grace period; SIGSEGV, SIGABRT...) fails.
      const clean = !killed && (code === 0 || (stopRequested && signal === "SIGTERM"));
      if (!clean) {
        const why = killed
          ? `did not exit within ${KILL_AFTER_MS} ms of SIGTERM (killed)`
          : `exited uncleanly (code ${code}, signal ${signal})`;
        const msg = report(why);
        process.stderr.write(msg + "\n");
        throw new Error(msg);
      }
    }
  });
}

/** Start the C conformance server. */
export function startC({ bin = cServerPath(), args = ["--port", "0"] } = {}) {
  if (!existsSync(bin)) {
    return Promise.reject(new Error(
      `C conformance server not found at ${bin} (build it, set EIO_SERVER, or run with TARGET=node)`));
  }
  return launch("eio-conformance-server", bin, args);
}

/** Start the reference server on the stock Node.js engine.io package. */
export function startNode() {
  return launch("eio-node-server", process.execPath,
    [path.join(INTEROP_DIR, "servers", "eio-node-server.mjs"), "--port", "0"]);
}

/** Start the server selected by TARGET. */
export function startTarget() {
  return TARGET === "node" ? startNode() : startC();
}

// ---------------------------------------------------------------- Socket.IO

// SIO_SERVER, else the out-of-tree build (build/), else an in-tree build.
function sioServerPath() {
  if (process.env.SIO_SERVER) return path.resolve(process.env.SIO_SERVER);
  const outOfTree = path.join(INTEROP_DIR, "..", "build", "interop", "sio-conformance-server");
  return existsSync(outOfTree) ? outOfTree : path.join(INTEROP_DIR, "sio-conformance-server");
}

/**
 * Command-line flags shared by both Socket.IO servers:
 *   --port N, --ping-interval MS, --ping-timeout MS, --recovery-window MS,
 *   --redis URL (option `redis`: a cluster node), --redis-sharded (option
 *   `redisSharded`: with the sharded adapter).
 * Options left undefined are not passed (the server's defaults apply).
 */
function sioArgs({ port = 0, pingInterval, pingTimeout, recoveryWindow, redis, redisSharded } = {}) {
  const args = ["--port", String(port)];
  if (redis !== undefined) args.push("--redis", redis);
  if (redisSharded) args.push("--redis-sharded");
  if (pingInterval !== undefined) args.push("--ping-interval", String(pingInterval));
  if (pingTimeout !== undefined) args.push("--ping-timeout", String(pingTimeout));
  if (recoveryWindow !== undefined) args.push("--recovery-window", String(recoveryWindow));
  return args;
}

/** Start the C Socket.IO conformance server. */
export function startSioC(opts = {}) {
  const bin = sioServerPath();
  if (!existsSync(bin)) {
    return Promise.reject(new Error(
      `C Socket.IO conformance server not found at ${bin} (build it, set SIO_SERVER, or run with TARGET=node)`));
  }
  return launch("sio-conformance-server", bin, sioArgs(opts));
}

/** Start the reference Socket.IO server on the stock Node.js socket.io package. */
export function startSioNode(opts = {}) {
  return launch("sio-node-server", process.execPath,
    [path.join(INTEROP_DIR, "servers", "sio-node-server.mjs"), ...sioArgs(opts)]);
}

/**
 * Start the Socket.IO server selected by TARGET. opts: { port, pingInterval,
 * pingTimeout, recoveryWindow }; port 0 (default) picks a free one, a fixed
 * port restarts a server where a stopped one was.
 */
export function startSio(opts = {}) {
  return TARGET === "node" ? startSioNode(opts) : startSioC(opts);
}

// ---------------------------------------------------------------- socketiod

// SOCKETIOD, else the out-of-tree build (build/), else an in-tree build.
function socketiodPath() {
  if (process.env.SOCKETIOD) return path.resolve(process.env.SOCKETIOD);
  const outOfTree = path.join(INTEROP_DIR, "..", "build", "src", "socketiod");
  return existsSync(outOfTree) ? outOfTree : path.join(INTEROP_DIR, "..", "src", "socketiod");
}

/**
 * Start the socketiod daemon with `--host 127.0.0.1 --port 0` and `args`. It
 * prints "listening on 127.0.0.1:<port>" once it accepts connections. It has
 * no Node.js twin: TARGET does not apply.
 */
export function startSocketiod(args = []) {
  const bin = socketiodPath();
  if (!existsSync(bin)) {
    return Promise.reject(new Error(
      `socketiod not found at ${bin} (build it, or set SOCKETIOD)`));
  }
  return launch("socketiod", bin, ["--host", "127.0.0.1", "--port", "0", ...args],
    { listening: /^listening on 127\.0\.0\.1:(\d+)\r?\n/m });
}
