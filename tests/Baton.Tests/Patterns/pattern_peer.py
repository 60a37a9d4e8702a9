"""Peers of Baton's patterns written against plain pyzmq (libzmq) and the guide's conventions or RFC 6/PPP,
not against Baton. One role per process; each prints one line per event on stdout, flushed, and runs
until killed or its stdin closes (the test's cleanup).

  rep    bind|connect ENDPOINT NAME        a REP server: replies [NAME, request frames...]
  lbworker ENDPOINT NAME READY             a load-balancing worker (REQ): sends READY ("READY" or "\\x01"),
                                           then answers [client, "", body...] with [client, "", NAME, body...]
  ppworker ENDPOINT NAME INTERVAL_MS [crash]
                                           a 6/PPP worker (DEALER): READY \\x01, HEARTBEAT \\x02 every interval,
                                           liveness 3, reconnect with back-off; 'crash' dies on its first request
  client ENDPOINT COUNT TAG                a REQ client: COUNT requests "TAG-i" one after another, prints each reply
"""
import os
import sys
import threading
import time

import zmq


def say(*words):
    print(" ".join(words), flush=True)


def exit_when_stdin_closes():
    def watch():
        sys.stdin.read()
        os._exit(0)
    threading.Thread(target=watch, daemon=True).start()


def rep(mode, endpoint, name):
    ctx = zmq.Context()
    socket = ctx.socket(zmq.REP)
    socket.linger = 0
    if mode == "bind":
        socket.bind(endpoint)
    else:
        socket.connect(endpoint)
    say("ready", socket.getsockopt_string(zmq.LAST_ENDPOINT) if mode == "bind" else endpoint)
    while True:
        frames = socket.recv_multipart()
        say("request", *[f.decode("latin-1") for f in frames])
        socket.send_multipart([name.encode()] + frames)


def lbworker(endpoint, name, ready):
    ctx = zmq.Context()
    socket = ctx.socket(zmq.REQ)
    socket.linger = 0
    socket.connect(endpoint)
    socket.send(b"\x01" if ready == "\\x01" else ready.encode())
    say("ready")
    while True:
        frames = socket.recv_multipart()
        client, empty, body = frames[0], frames[1], frames[2:]
        assert empty == b""
        say("request", *[f.decode("latin-1") for f in body])
        socket.send_multipart([client, b"", name.encode()] + body)


def ppworker(endpoint, name, interval_ms, crash):
    liveness_max = 3
    interval = interval_ms / 1000.0
    reconnect_init, reconnect_max = interval, interval * 32
    ctx = zmq.Context()
    poller = zmq.Poller()

    def connect():
        socket = ctx.socket(zmq.DEALER)
        socket.linger = 0
        socket.connect(endpoint)
        socket.send(b"\x01")
        poller.register(socket, zmq.POLLIN)
        return socket

    worker = connect()
    say("ready")
    liveness = liveness_max
    reconnect = reconnect_init
    heartbeat_at = time.time() + interval
    while True:
        events = dict(poller.poll(interval_ms))
        if events.get(worker) == zmq.POLLIN:
            frames = worker.recv_multipart()
            if len(frames) >= 3:
                if crash:
                    say("crashing")
                    os._exit(3)
                envelope_end = frames.index(b"") + 1
                say("request", *[f.decode("latin-1") for f in frames[envelope_end:]])
                worker.send_multipart(frames[:envelope_end] + [name.encode()] + frames[envelope_end:])
                liveness = liveness_max
            elif len(frames) == 1 and frames[0] == b"\x02":
                liveness = liveness_max
            else:
                say("invalid", str(len(frames)))
            reconnect = reconnect_init
        else:
            liveness -= 1
            if liveness == 0:
                say("reconnecting")
                time.sleep(reconnect)
                reconnect = min(reconnect * 2, reconnect_max)
                poller.unregister(worker)
                worker.close()
                worker = connect()
                liveness = liveness_max
        if time.time() > heartbeat_at:
            heartbeat_at = time.time() + interval
            worker.send(b"\x02")


def client(endpoint, count, tag):
    ctx = zmq.Context()
    socket = ctx.socket(zmq.REQ)
    socket.linger = 0
    socket.connect(endpoint)
    for i in range(count):
        socket.send_string(f"{tag}-{i}")
        frames = socket.recv_multipart()
        say("reply", *[f.decode("latin-1") for f in frames])
    say("done")


def main():
    exit_when_stdin_closes()
    role, args = sys.argv[1], sys.argv[2:]
    if role == "rep":
        rep(args[0], args[1], args[2])
    elif role == "lbworker":
        lbworker(args[0], args[1], args[2])
    elif role == "ppworker":
        ppworker(args[0], args[1], int(args[2]), len(args) > 3 and args[3] == "crash")
    elif role == "client":
        client(args[0], int(args[1]), args[2])
    else:
        raise SystemExit(f"unknown role {role}")


if __name__ == "__main__":
    main()
