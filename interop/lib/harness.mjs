// Per-file server lifecycle for node:test.
import { before, after } from "node:test";
import { startTarget, startSio, TARGET } from "./server.mjs";

export { TARGET };

/**
 * Start the server under test in before() and stop it in after(). Returns an
 * object whose url/port are filled once before() has run. stop() rejecting
 * (non-clean exit, e.g. a sanitizer report) fails the file.
 */
export function useServer() {
  const srv = { url: null, port: null, handle: null };
  before(async () => {
    srv.handle = await startTarget();
    srv.url = srv.handle.url;
    srv.port = srv.handle.port;
  });
  after(async () => {
    if (srv.handle) await srv.handle.stop();
  });
  return srv;
}

/**
 * useServer() for the Socket.IO server (see startSio for opts). The object
 * also carries the handle, for tests that restart it.
 */
export function useSioServer(opts = {}) {
  const srv = { url: null, port: null, handle: null };
  before(async () => {
    srv.handle = await startSio(opts);
    srv.url = srv.handle.url;
    srv.port = srv.handle.port;
  });
  after(async () => {
    if (srv.handle) await srv.handle.stop();
  });
  return srv;
}
