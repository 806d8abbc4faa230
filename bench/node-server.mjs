// Reference server for bench/compare: npm socket.io (pinned in package.json)
// with the events of interop/sio-conformance-server.
// usage: node bench/node-server.mjs --port 0 --ping-interval MS --ping-timeout MS
// prints "listening 127.0.0.1:PORT" once listening.
import { createServer } from "node:http";
import { Server } from "socket.io";

const opt = { port: 0, pingInterval: 25000, pingTimeout: 20000 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const [k, v0] = argv[i].split("=", 2);
  const v = v0 !== undefined ? v0 : argv[++i];
  if (k === "--port") opt.port = Number(v);
  else if (k === "--ping-interval") opt.pingInterval = Number(v);
  else if (k === "--ping-timeout") opt.pingTimeout = Number(v);
  else { console.error(`unknown option ${k}`); process.exit(2); }
}

const http = createServer();
const io = new Server(http, {
  pingInterval: opt.pingInterval,
  pingTimeout: opt.pingTimeout,
  cors: { origin: "*" },
});

io.on("connection", (socket) => {
  socket.on("message", (...args) => socket.emit("message-back", ...args));
  socket.on("message-with-ack", (...args) => {
    const ack = args.pop();
    if (typeof ack === "function") ack(...args);
  });
  socket.on("join", (room, ack) => {
    socket.join(room);
    if (typeof ack === "function") ack("ok");
  });
  socket.on("broadcast", (room, payload) => {
    io.to(room).emit("broadcast", payload);
  });
});

http.listen(opt.port, "127.0.0.1", () => {
  console.log(`listening 127.0.0.1:${http.address().port}`);
});
for (const s of ["SIGINT", "SIGTERM"]) process.on(s, () => process.exit(0));
