// Reference Engine.IO echo server on the stock Node.js `engine.io` package,
// configured like the C conformance server so that the interop suite can be
// validated against it (TARGET=node).
//
// Prints exactly one line "listening 127.0.0.1:<port>" on stdout once it
// accepts connections. Exits 0 on SIGTERM/SIGINT.
import http from "node:http";
import { Server } from "engine.io";

function parsePort(argv) {
  const i = argv.indexOf("--port");
  if (i >= 0 && i + 1 < argv.length) return Number(argv[i + 1]);
  return 0;
}

const httpServer = http.createServer();

// Anything engine.io does not claim (a path outside /engine.io/) gets 404.
// Must be registered before attach(): engine.io re-dispatches requests it
// does not handle to the listeners that existed when it was attached.
httpServer.on("request", (req, res) => {
  const body = "Not Found\n";
  res.writeHead(404, {
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Length": Buffer.byteLength(body),
  });
  res.end(body);
});

const engine = new Server({
  pingInterval: 300,
  pingTimeout: 200,
  maxHttpBufferSize: 1e6,
  cors: { origin: "*" },
});
engine.attach(httpServer, { path: "/engine.io/" });

engine.on("connection", (socket) => {
  // Echo: strings come back as text, Buffers as binary.
  socket.on("message", (data) => socket.send(data));
});

httpServer.listen(parsePort(process.argv.slice(2)), "127.0.0.1", () => {
  const { port } = httpServer.address();
  process.stdout.write(`listening 127.0.0.1:${port}\n`);
});

function shutdown() {
  engine.close();
  httpServer.close();
  httpServer.closeAllConnections?.();
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
