#!/usr/bin/python3
"""Reference server for bench/compare: python-socketio on aiohttp (Debian's
python3-socketio and python3-aiohttp) with the events of
interop/sio-conformance-server.

usage: python-server.py --port 0 --ping-interval MS --ping-timeout MS
prints "listening 127.0.0.1:PORT" once listening.
"""
import argparse
import asyncio
import signal
import sys

import socketio
from aiohttp import web

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, default=0)
ap.add_argument("--ping-interval", type=int, default=25000)
ap.add_argument("--ping-timeout", type=int, default=20000)
opt = ap.parse_args()

sio = socketio.AsyncServer(
    async_mode="aiohttp",
    ping_interval=opt.ping_interval / 1000.0,
    ping_timeout=opt.ping_timeout / 1000.0,
    cors_allowed_origins="*",
    logger=False,
    engineio_logger=False,
)
app = web.Application()
sio.attach(app)


@sio.on("message")
async def on_message(sid, *args):
    await sio.emit("message-back", args, to=sid)


@sio.on("message-with-ack")
async def on_message_with_ack(sid, *args):
    return args  # a tuple: acknowledged with the same arguments


@sio.on("join")
async def on_join(sid, room, *rest):
    sio.enter_room(sid, room)
    return "ok"


@sio.on("broadcast")
async def on_broadcast(sid, room, payload=None, *rest):
    await sio.emit("broadcast", payload, room=room)


async def main():
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", opt.port, backlog=4096)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    print(f"listening 127.0.0.1:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(s, stop.set)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
