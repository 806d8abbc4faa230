// Reference Socket.IO conformance server on the stock Node.js `socket.io`
// package, configured like the C server build/interop/sio-conformance-server
// so that the interop suite can be validated against it (TARGET=node).
//
// CLI: --port N (0: any), --ping-interval MS (default 300),
//      --ping-timeout MS (default 200), --recovery-window MS (default 0: off).
// Prints exactly one line "listening 127.0.0.1:<port>" on stdout once it
// accepts connections. Exits 0 on SIGTERM/SIGINT.
//
// Configuration: 127.0.0.1, path /socket.io/, maxHttpBufferSize 1e6,
// connectTimeout 1000 ms, CORS origin "*", no client bundle served, 404 for
// any other path.
//
// Base behaviour (shared with the C server from the start):
//   "/"        on connection: emit "auth" (socket.handshake.auth)
//              "message" (...args)          -> emit "message-back" (...args)
//              "message-with-ack" (...args, ack) -> ack(...args)
//              "join" (room, ack)           -> socket.join(room); ack("ok")
//              "broadcast" (room, payload)  -> io.to(room).emit("broadcast", payload)
//                                              (sender included when in room)
//   "/custom"  on connection: emit "auth" (socket.handshake.auth)
//
// ADDITIONS for the interop suite (the C server mirrors these exactly):
//   "/" events:
//     A1 "leave" (room, ack)      -> socket.leave(room); ack("ok")
//     A2 "broadcast-except" (room, exceptRoom, payload)
//                                 -> io.to(room).except(exceptRoom).emit("broadcast", payload)
//     A3 "volatile" (n)           -> for i in 0..n-1: socket.volatile.emit("volatile", i)
//                                    (i a number); then, not volatile,
//                                    socket.emit("volatile-done", n). n capped at 1000.
//     A4 "server-ack" (...args)   -> socket.timeout(500).emit("ping-me", ...args, cb);
//                                    the client's answer (...resp) gives
//                                    emit "server-ack-result" (null, ...resp);
//                                    no answer within 500 ms gives
//                                    emit "server-ack-result" ("timeout").
//                                    Binary attachments pass through both ways.
//                                    A late answer (after the timeout) is ignored.
//     A5 "disconnect-me" (close)  -> socket.disconnect(close === true)
//                                    (false: DISCONNECT packet for "/" only;
//                                    true: every namespace of the connection gets
//                                    a DISCONNECT packet, then the Engine.IO
//                                    connection is closed once they are written)
//   A6 disconnect reports: every socket of "/" and "/custom", on its
//      "disconnect" (reason), does
//        io.of("/").to("observers").emit("peer-disconnect",
//                                          { nsp, id: socket.id, reason })
//      (clients become observers with "join" ("observers")). Node's reasons:
//      "client namespace disconnect", "server namespace disconnect",
//      "transport close", "transport error", "ping timeout", "parse error",
//      "forced close", "server shutting down"; socket.disconnect(true) gives
//      "server namespace disconnect" for every namespace of the connection.
//   A7 "/custom" also: "message" (...args) -> emit "message-back" (...args)
//   A8 namespace "/refuse": a middleware refuses every connection:
//        const e = new Error("not allowed"); e.data = { code: 42 }; next(e)
//      i.e. CONNECT_ERROR {"message":"not allowed","data":{"code":42}}.
//   A9 dynamic namespaces matching /^\/dyn-\d+$/: on connection emit "nsp"
//      (socket.nsp.name, e.g. "/dyn-7"); "message" (...args) -> emit
//      "message-back" (...args). Any other unknown namespace is refused with
//      CONNECT_ERROR {"message":"Invalid namespace"}.
//   A11 "handshake" (ack)         -> ack(socket.handshake)
//   A12 "ack-twice" (ack)         -> two listeners, each answering: ack("first"),
//                                    ack("second"); an ack is answered once
//   A13 --redis URL: a cluster node through Redis (@socket.io/redis-adapter,
//      classic pub/sub; pub and sub clients of the "redis" package). "/":
//        "broadcast-all" (...args)     -> io.emit("broadcast-all", ...args)
//        "server-side-emit" (...args)  -> io.serverSideEmit("server-side", ...args)
//        io.on("server-side", (...args)) -> io.local.emit("server-side-received",
//                                           ...args); an ack, if asked, gets "node"
//        "sockets-join" (room, target, ack) -> io.in(room).socketsJoin(target)
//        "disconnect-sockets" (room)   -> io.in(room).disconnectSockets(true)
//        "fetch-sockets" (room, [except,] ack) -> ack(null, [{id, rooms, data, handshake}]
//                                         sorted by id) of io.in(room).except(except)
//                                         .fetchSockets() (room null: all)
//        "set-data" (value, ack)       -> socket.data = value; ack("ok")
//        "server-side-emit-with-ack" (ack) -> ack(err, responses) of
//                                           io.serverSideEmitWithAck("server-side", "q")
//        "broadcast-with-ack" (room, ack) -> io.to(room).timeout(3000).emit("ask",
//                                           ...) -> ack(err, responses)
//        "redis-state" (ack)           -> ack("connected") once both clients are ready
//        "server-count" (ack)          -> ack(await io.of("/").adapter.serverCount())
//      --redis-sharded: createShardedAdapter (Redis 7 sharded pub/sub) instead
//   A10 --recovery-window MS: connection-state recovery,
//      connectionStateRecovery { maxDisconnectionDuration: MS,
//      skipMiddlewares: true } (used only by test/sio-recovery.test.mjs).
import http from "node:http";
import { Server } from "socket.io";

function parseArgs(argv) {
  const opts = { port: 0, pingInterval: 300, pingTimeout: 200, recoveryWindow: 0 };
  const names = {
    "--port": "port",
    "--ping-interval": "pingInterval",
    "--ping-timeout": "pingTimeout",
    "--recovery-window": "recoveryWindow",
  };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--redis" && i + 1 < argv.length) {
      opts.redis = argv[++i];
      continue;
    }
    if (argv[i] === "--redis-sharded") {
      opts.redisSharded = true;
      continue;
    }
    const key = names[argv[i]];
    const v = Number(argv[i + 1]);
    if (!key || !Number.isInteger(v) || v < 0) {
      process.stderr.write(
        "usage: sio-node-server.mjs [--port N] [--ping-interval MS] [--ping-timeout MS] [--recovery-window MS]\n");
      process.exit(2);
    }
    opts[key] = v;
    i++;
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));

const httpServer = http.createServer();

// Anything Socket.IO does not claim (a path outside /socket.io/) gets 404.
// Registered before attaching: engine.io re-dispatches the requests it does
// not handle to the listeners that existed when it was attached.
httpServer.on("request", (req, res) => {
  const body = "Not Found\n";
  res.writeHead(404, {
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Length": Buffer.byteLength(body),
  });
  res.end(body);
});

const io = new Server(httpServer, {
  path: "/socket.io/",
  serveClient: false,
  pingInterval: opts.pingInterval,
  pingTimeout: opts.pingTimeout,
  maxHttpBufferSize: 1e6,
  connectTimeout: 1000,
  cors: { origin: "*" },
  ...(opts.recoveryWindow > 0
    ? { connectionStateRecovery: { maxDisconnectionDuration: opts.recoveryWindow, skipMiddlewares: true } }
    : {}),
});

const root = io.of("/");

// A13
let redisClients = [];
if (opts.redis) {
  const { createClient } = await import("redis");
  const { createAdapter, createShardedAdapter } = await import("@socket.io/redis-adapter");
  const pub = createClient({ url: opts.redis });
  const sub = pub.duplicate();
  for (const c of [pub, sub]) c.on("error", () => {}); // reconnects by itself
  // the sharded adapter (8.3) subscribes to room channels without
  // catching: while Redis is down those promises reject, which would end
  // the process
  process.on("unhandledRejection", (e) => {
    process.stderr.write(`unhandled rejection (Redis down?): ${e?.message}\n`);
  });
  await Promise.all([pub.connect(), sub.connect()]);
  io.adapter(opts.redisSharded ? createShardedAdapter(pub, sub) : createAdapter(pub, sub));
  redisClients = [pub, sub];
  root.on("server-side", (...args) => {
    const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
    io.local.emit("server-side-received", ...args);
    if (ack) ack("node");
  });
}

// A6: disconnect reports to the "observers" room of "/".
function reportDisconnect(socket) {
  const nsp = socket.nsp.name;
  const id = socket.id;
  socket.on("disconnect", (reason) => {
    root.to("observers").emit("peer-disconnect", { nsp, id, reason });
  });
}

function withoutAck(args) {
  return typeof args[args.length - 1] === "function" ? args.slice(0, -1) : args;
}

root.on("connection", (socket) => {
  socket.emit("auth", socket.handshake.auth);
  reportDisconnect(socket);

  socket.on("message", (...args) => {
    socket.emit("message-back", ...withoutAck(args));
  });

  socket.on("message-with-ack", (...args) => {
    const ack = args[args.length - 1];
    if (typeof ack === "function") ack(...args.slice(0, -1));
  });

  socket.on("join", (room, ack) => {
    if (typeof room !== "string") return;
    socket.join(room);
    if (typeof ack === "function") ack("ok");
  });

  socket.on("broadcast", (room, payload) => {
    if (typeof room !== "string") return;
    io.to(room).emit("broadcast", payload);
  });

  // A1
  socket.on("leave", (room, ack) => {
    if (typeof room !== "string") return;
    socket.leave(room);
    if (typeof ack === "function") ack("ok");
  });

  // A2
  socket.on("broadcast-except", (room, except, payload) => {
    if (typeof room !== "string" || typeof except !== "string") return;
    io.to(room).except(except).emit("broadcast", payload);
  });

  // A3
  socket.on("volatile", (n) => {
    if (!Number.isInteger(n) || n < 0) return;
    n = Math.min(n, 1000);
    for (let i = 0; i < n; i++) socket.volatile.emit("volatile", i);
    socket.emit("volatile-done", n);
  });

  // A4
  socket.on("server-ack", (...args) => {
    socket.timeout(500).emit("ping-me", ...withoutAck(args), (err, ...resp) => {
      if (err) socket.emit("server-ack-result", "timeout");
      else socket.emit("server-ack-result", null, ...resp);
    });
  });

  // A12
  socket.on("ack-twice", (ack) => {
    if (typeof ack === "function") ack("first");
  });
  socket.on("ack-twice", (ack) => {
    if (typeof ack === "function") ack("second");
  });

  // A11
  socket.on("handshake", (ack) => {
    if (typeof ack === "function") ack(socket.handshake);
  });

  // A5
  socket.on("disconnect-me", (close) => {
    socket.disconnect(close === true);
  });

  // A13
  socket.on("broadcast-all", (...args) => {
    io.emit("broadcast-all", ...withoutAck(args));
  });
  socket.on("server-side-emit", (...args) => {
    io.serverSideEmit("server-side", ...withoutAck(args));
  });
  socket.on("set-data", (value, ack) => {
    socket.data = value;
    if (typeof ack === "function") ack("ok");
  });
  socket.on("sockets-join", (room, target, ack) => {
    io.in(room).socketsJoin(target);
    if (typeof ack === "function") ack("ok");
  });
  socket.on("disconnect-sockets", (room) => {
    io.in(room).disconnectSockets(true);
  });
  socket.on("fetch-sockets", async (...args) => {
    const ack = args.pop();
    const [room, except] = args;
    try {
      let op = room ? io.in(room) : io;
      if (except) op = op.except(except);
      const sockets = await op.fetchSockets();
      ack(null, sockets.map((s) => ({ id: s.id, rooms: [...s.rooms], data: s.data, handshake: s.handshake }))
        .sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0)));
    } catch (err) {
      ack(String(err));
    }
  });
  socket.on("server-side-emit-with-ack", async (ack) => {
    try {
      ack(null, await io.serverSideEmitWithAck("server-side", "q"));
    } catch (err) {
      ack(String(err));
    }
  });
  socket.on("broadcast-with-ack", (room, ack) => {
    io.to(room).timeout(3000).emit("ask", "question", (err, responses) => {
      ack(err ? String(err) : null, responses);
    });
  });
  socket.on("server-count", async (ack) => {
    if (typeof ack === "function") ack(await io.of("/").adapter.serverCount());
  });
  socket.on("redis-state", (ack) => {
    if (typeof ack === "function")
      ack(redisClients.length && redisClients.every((c) => c.isReady) ? "connected" : "off");
  });
});

const custom = io.of("/custom");
custom.on("connection", (socket) => {
  socket.emit("auth", socket.handshake.auth);
  reportDisconnect(socket);
  // A7
  socket.on("message", (...args) => {
    socket.emit("message-back", ...withoutAck(args));
  });
});

// A8
io.of("/refuse").use((socket, next) => {
  const err = new Error("not allowed");
  err.data = { code: 42 };
  next(err);
});

// A9
io.of(/^\/dyn-\d+$/).on("connection", (socket) => {
  socket.emit("nsp", socket.nsp.name);
  socket.on("message", (...args) => {
    socket.emit("message-back", ...withoutAck(args));
  });
});

httpServer.listen(opts.port, "127.0.0.1", () => {
  const { port } = httpServer.address();
  process.stdout.write(`listening 127.0.0.1:${port}\n`);
});

function shutdown() {
  for (const c of redisClients) c.disconnect().catch(() => {});
  io.close();
  httpServer.closeAllConnections?.();
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
