// The stock socket.io-client browser bundle in headless Chromium (Debian's
// `chromium` package, driven by playwright-core), cross-origin: the page is
// served by a static server on one port, the server under test listens on
// another. Each transport is exercised; one polling run adds a custom header
// so that Chromium sends real CORS preflights.
//
// Without /usr/bin/chromium (or $CHROMIUM_PATH) every test here FAILS with
// the install hint: it is not skipped.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { useSioServer } from "../lib/harness.mjs";
import { INTEROP_DIR } from "../lib/server.mjs";
import { MODES } from "../lib/sio.mjs";
import { withTimeout } from "../lib/util.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const LAUNCH_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
const STEP = 15_000; // one browser step (launch, page load, a whole run)

const srv = useSioServer();

const FILES = {
  "/": ["text/html; charset=utf-8", path.join(INTEROP_DIR, "browser", "index.html")],
  "/index.html": ["text/html; charset=utf-8", path.join(INTEROP_DIR, "browser", "index.html")],
  "/socket.io.min.js": ["text/javascript; charset=utf-8",
    path.join(INTEROP_DIR, "node_modules", "socket.io-client", "dist", "socket.io.min.js")],
};

/** The page's origin: a tiny static server on its own port. */
function startStatic() {
  const server = http.createServer((req, res) => {
    const entry = FILES[new URL(req.url, "http://x").pathname];
    if (!entry) {
      res.writeHead(404).end();
      return;
    }
    const body = readFileSync(entry[1]);
    res.writeHead(200, { "Content-Type": entry[0], "Content-Length": body.length, "Cache-Control": "no-store" });
    res.end(body);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

let browser = null;
let page = null;
let pageUrl = null;
let staticServer = null;
const consoleLines = [];

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with "apt-get install -y chromium" ` +
      "(or set CHROMIUM_PATH); the browser interop test cannot run without it");
  }
  staticServer = await startStatic();
  pageUrl = `http://127.0.0.1:${staticServer.address().port}/`;
  browser = await withTimeout(chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS }),
    STEP, `Chromium (${CHROMIUM}) to start`);
  page = await browser.newPage();
  page.on("console", (m) => consoleLines.push(`console.${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => consoleLines.push(`pageerror: ${e.message}`));
  await withTimeout(page.goto(pageUrl), STEP, `the test page ${pageUrl}`);
  const hasIo = await page.evaluate(() => typeof window.io === "function" && typeof window.sioRun === "function");
  assert.ok(hasIo, `the page did not load the socket.io-client bundle:\n${consoleLines.join("\n")}`);
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (staticServer) await new Promise((r) => staticServer.close(r));
});

async function run(mode, extra) {
  const result = await withTimeout(
    page.evaluate(([url, m, x]) => window.sioRun(url, m, x), [srv.url, mode, extra]),
    STEP, `the browser run (${mode})`);
  assert.equal(result.error, undefined,
    `browser run (${mode}) failed: ${result.error}\n${consoleLines.join("\n")}`);
  return result;
}

function check(result, mode) {
  assert.deepEqual(result.auth, { from: "browser", mode });
  assert.deepEqual(result.echo, [`hello from ${mode}`, { n: 1 }, [1, 2, 3]]);
  assert.deepEqual(result.ack, ["ack me", [9]]);
  assert.equal(result.transport, mode === "polling" ? "polling" : "websocket");
}

describe("socket.io-client in Chromium, cross-origin", () => {
  test("the page and the server under test are different origins", () => {
    assert.notEqual(new URL(pageUrl).origin, new URL(srv.url).origin);
  });

  for (const mode of MODES) {
    test(`${mode}: connect, auth, echo with binary, ack`, async () => {
      check(await run(mode), mode);
    });
  }

  test("polling with a custom header: Chromium's CORS preflight is accepted", async () => {
    const result = await run("polling", { extraHeaders: { "x-interop": "1" } });
    check(result, "polling");
  });
});
