// socketiod's demo page and the socket.io-client bundle it serves (src/static.c,
// src/static/), end to end: the real daemon on a free loopback port
// (lib/server.mjs startSocketiod: SOCKETIOD, else ../build/src/socketiod)
// answers the bundle as Node's serveClient does, serves the page, and two
// headless Chromium pages chat through it with the stock bundle.
//
// The bundle is compared with interop/node_modules/socket.io-client/dist/,
// configure's default --with-socketio-client. Without /usr/bin/chromium (or
// $CHROMIUM_PATH) the browser tests FAIL with the install hint. With
// TARGET=node the file is skipped: socketiod has no Node.js twin.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { INTEROP_DIR, TARGET, startSocketiod } from "../lib/server.mjs";
import { request, withTimeout } from "../lib/util.mjs";

const SKIP = TARGET === "node" && "socketiod has no Node.js twin (TARGET=node)";
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const LAUNCH_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
const STEP = 15_000; // one browser step (launch, page load, a wait)
const DIST = path.join(INTEROP_DIR, "node_modules", "socket.io-client", "dist");
const JS = "application/javascript; charset=utf-8";
const JSON_TYPE = "application/json; charset=utf-8";
// the ids the page promises (src/static/index.html)
const IDS = ["name", "room", "join", "status", "messages", "input", "send", "typing",
  "presence", "listeners"];

let server = null;
let browser = null;

before(async () => {
  if (SKIP) return;
  // a short drain: the pages are closed before the server is stopped
  server = await startSocketiod(["--shutdown-grace", "1000"]);
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (server) await server.stop();
});

describe("the socket.io-client bundle under /socket.io/", { skip: SKIP }, () => {
  const files = [
    ["socket.io.js", JS],
    ["socket.io.min.js", JS],
    ["socket.io.js.map", JSON_TYPE],
    ["socket.io.min.js.map", JSON_TYPE],
  ];
  for (const [file, type] of files) {
    test(`GET /socket.io/${file}: the npm package's file, Node's headers`, async () => {
      const res = await request(`${server.url}/socket.io/${file}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), type);
      assert.equal(res.headers.get("cache-control"), "public, max-age=0");
      assert.match(res.headers.get("etag") || "", /^"[^"]+"$/);
      assert.ok(res.bytes.equals(readFileSync(path.join(DIST, file))),
        `the body of /socket.io/${file} is not ${path.join(DIST, file)}`);
    });
  }

  test("a query string does not matter", async () => {
    const res = await request(`${server.url}/socket.io/socket.io.min.js?v=4.8`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), JS);
  });

  test("If-None-Match with the ETag (strong, weak, in a list): 304 without a body", async () => {
    const url = `${server.url}/socket.io/socket.io.js`;
    const etag = (await request(url)).headers.get("etag");
    assert.ok(etag, "no ETag");
    for (const inm of [etag, `W/${etag}`, `"other", ${etag}`]) {
      const res = await request(url, { headers: { "If-None-Match": inm } });
      assert.equal(res.status, 304, `If-None-Match: ${inm}`);
      assert.equal(res.bytes.length, 0);
      assert.equal(res.headers.get("etag"), etag);
    }
  });

  test("If-None-Match with another tag: the file", async () => {
    const url = `${server.url}/socket.io/socket.io.js`;
    const res = await request(url, { headers: { "If-None-Match": '"not-the-tag"' } });
    assert.equal(res.status, 200);
    assert.ok(res.bytes.equals(readFileSync(path.join(DIST, "socket.io.js"))));
  });

  test("the same bytes keep the same ETag; another file has another", async () => {
    const a = await request(`${server.url}/socket.io/socket.io.js`);
    const b = await request(`${server.url}/socket.io/socket.io.js`);
    const min = await request(`${server.url}/socket.io/socket.io.min.js`);
    assert.equal(a.headers.get("etag"), b.headers.get("etag"));
    assert.notEqual(a.headers.get("etag"), min.headers.get("etag"));
  });

  test("HEAD: the headers without the body", async () => {
    const url = `${server.url}/socket.io/socket.io.js`;
    const get = await request(url);
    const head = await request(url, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-type"), JS);
    assert.equal(head.headers.get("etag"), get.headers.get("etag"));
    assert.equal(head.bytes.length, 0);
  });

  test("POST: 405, Allow: GET, HEAD", async () => {
    const res = await request(`${server.url}/socket.io/socket.io.js`, {
      method: "POST",
      body: "x",
      headers: { "Content-Type": "text/plain" },
    });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get("allow"), "GET, HEAD");
  });
});

describe("the demo page", { skip: SKIP }, () => {
  test("GET / and GET /index.html: the page, which loads the bundle", async () => {
    const bodies = [];
    for (const p of ["/", "/index.html"]) {
      const res = await request(server.url + p);
      assert.equal(res.status, 200, p);
      assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8", p);
      assert.equal(res.headers.get("cache-control"), "public, max-age=0", p);
      assert.match(res.headers.get("etag") || "", /^"[^"]+"$/, p);
      assert.match(res.body, /<script src="\/socket\.io\/socket\.io\.js"><\/script>/, p);
      for (const id of IDS) assert.match(res.body, new RegExp(`id="${id}"`), `${p}: #${id}`);
      bodies.push(res.body);
    }
    assert.equal(bodies[0], bodies[1]);
  });

  test("GET /app.js and /style.css", async () => {
    const js = await request(`${server.url}/app.js`);
    assert.equal(js.status, 200);
    assert.equal(js.headers.get("content-type"), JS);
    const css = await request(`${server.url}/style.css`);
    assert.equal(css.status, 200);
    assert.equal(css.headers.get("content-type"), "text/css; charset=utf-8");
  });

  test("a HEAD of / answers; a PUT gets 405", async () => {
    const head = await request(`${server.url}/`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.bytes.length, 0);
    const put = await request(`${server.url}/`, { method: "PUT", body: "x" });
    assert.equal(put.status, 405);
  });
});

// ---------------------------------------------------------------- browsers

/** A page of its own browser context (its own storage), with its console kept. */
async function openPage(who) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const log = [];
  page.on("console", (m) => log.push(`${who} console.${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => log.push(`${who} pageerror: ${e.message}`));
  await withTimeout(page.goto(`${server.url}/`), STEP, `${who}'s page`);
  return { who, page, log };
}

/** What a failed wait prints: each page's status, error line and console. */
async function diagnose(pages) {
  const lines = [];
  for (const p of pages) {
    const state = await p.page.evaluate(() => ({
      status: document.getElementById("status").textContent,
      error: document.getElementById("error").textContent,
      typing: document.getElementById("typing").textContent,
      presence: [...document.querySelectorAll("#presence li")].map((li) => li.textContent),
      messages: [...document.querySelectorAll("#messages li")].map(
        (li) => `${li.dataset.user}: ${li.textContent}`),
    })).catch((e) => ({ unavailable: e.message }));
    lines.push(`${p.who}: ${JSON.stringify(state)}`, ...p.log);
  }
  return lines.join("\n");
}

describe("two pages chat in one room", { skip: SKIP }, () => {
  const room = `demo-${process.pid}`;
  let alice = null;
  let bob = null;
  const all = () => [alice, bob].filter(Boolean);

  /** Waits until fn(arg) is truthy in p's page; fails with every page's state. */
  async function until(p, what, fn, arg) {
    try {
      await p.page.waitForFunction(fn, arg, { timeout: STEP, polling: 50 });
    } catch (e) {
      assert.fail(`${p.who}: timed out waiting for ${what}\n${await diagnose(all())}`);
    }
  }

  async function join(p, name) {
    await p.page.fill("#name", name);
    await p.page.fill("#room", room);
    await p.page.click("#join");
    await until(p, "the status to say connected",
      () => document.getElementById("status").textContent === "connected");
    await until(p, "the chat to show", () => !document.getElementById("chat").hidden);
  }

  const presenceHas = (names) => {
    const shown = [...document.querySelectorAll("#presence li")].map((li) => li.textContent);
    return names.every((n) => shown.includes(n));
  };

  before(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: install it with "apt-get install -y chromium" ` +
        "(or set CHROMIUM_PATH); the browser tests cannot run without it");
    }
    browser = await withTimeout(chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS }),
      STEP, `Chromium (${CHROMIUM}) to start`);
    alice = await openPage("alice");
    bob = await openPage("bob");
    for (const p of all()) {
      const hasIo = await p.page.evaluate(() => typeof window.io === "function");
      assert.ok(hasIo, `${p.who}'s page did not load the bundle:\n${p.log.join("\n")}`);
    }
  });

  test("alice joins: connected, and she is in the room", async () => {
    await join(alice, "alice");
    await until(alice, "alice in the presence list", presenceHas, ["alice"]);
  });

  test("bob joins the same room: both in each presence list, alice sees him come", async () => {
    await join(bob, "bob");
    await until(bob, "alice and bob in the presence list", presenceHas, ["alice", "bob"]);
    // chat:user-count makes alice's page ask presence:list again
    await until(alice, "alice and bob in the presence list", presenceHas, ["alice", "bob"]);
    await until(alice, 'the system message "bob joined"', () =>
      [...document.querySelectorAll('#messages li.system[data-user="system"]')]
        .some((li) => li.textContent.includes("bob joined")));
  });

  test("bob's listener count counts both sockets", async () => {
    await until(bob, "stats:listeners with count 2", () =>
      document.getElementById("listeners").dataset.count === "2");
  });

  test("alice types: bob's page says she is typing", async () => {
    await alice.page.locator("#input").pressSequentially("hello bob", { delay: 20 });
    await until(bob, '"alice is typing…"', () =>
      document.getElementById("typing").textContent.includes("alice is typing"));
  });

  test("alice sends: the message appears in bob's page, and the typing line clears", async () => {
    await alice.page.click("#send");
    await until(bob, "alice's message", () =>
      [...document.querySelectorAll('#messages li[data-user="alice"]')]
        .some((li) => li.querySelector(".text").textContent === "hello bob"));
    await until(bob, "the typing line to clear", () =>
      document.getElementById("typing").textContent === "");
    // on alice's side: hers, and the input emptied once acknowledged
    await until(alice, "her own message", () =>
      [...document.querySelectorAll('#messages li.own[data-user="alice"]')]
        .some((li) => li.textContent.includes("hello bob")));
    await until(alice, "the input to empty", () => document.getElementById("input").value === "");
  });

  test("markup in a message is shown as text", async () => {
    const evil = '<img src=x onerror="window.__owned=1"><b>bold</b> & co';
    await bob.page.fill("#input", evil);
    await bob.page.click("#send");
    await until(alice, "bob's message, as text", (text) =>
      [...document.querySelectorAll('#messages li[data-user="bob"] .text')]
        .some((span) => span.textContent === text), evil);
    const injected = await alice.page.evaluate(() =>
      window.__owned === 1 || document.querySelector("#messages img, #messages b") !== null);
    assert.equal(injected, false, "the message's markup became elements");
  });

  test("both pages still say connected, and no page error", async () => {
    for (const p of all()) {
      assert.equal(await p.page.textContent("#status"), "connected", p.who);
      assert.equal(p.log.filter((l) => l.includes("pageerror")).length, 0, p.log.join("\n"));
    }
  });
});
