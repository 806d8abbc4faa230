import { io } from "socket.io-client";
import { spawn } from "node:child_process";
const p = spawn(process.env.SOCKETIOD, ["--host","127.0.0.1","--port","0","--log-level","debug"], {stdio:["ignore","pipe","inherit"]});
p.stdout.once("data", async (d) => {
  const port = /:(\d+)/.exec(String(d))[1];
  const s = io(`http://127.0.0.1:${port}`, { transports: ["websocket"], auth:{userId:"u1"} });
  s.on("connect", async () => {
    console.log(await s.emitWithAck("join:room", {room:"r"}));
    s.io.engine.on("packet", (pk) => console.log("packet", pk));
    s.io.engine.write(process.env.PKT); console.log(await s.emitWithAck("presence:list",{room:"r"}));
    setTimeout(() => { s.close(); p.kill(); }, 1000);
  });
  s.on("disconnect", (r) => console.log("disconnect", r));
});
