#!/usr/bin/env python3
"""A Majordomo echo worker and a Titanic client in pyzmq, written from the RFCs (7/MDP, 9/TSP) for
Baton's Titanic durability test: nothing here comes from Baton. Each prints JSON lines on stdout and
runs until its stdin closes or it is killed.

  titanic_peer.py worker ENDPOINT SERVICE HEARTBEAT_MS
      One MDP worker (MDPW01) whose reply is the request's body; it reconnects when the broker is
      silent for three heartbeats or says DISCONNECT. Prints {"ready": n} each time it says READY.
  titanic_peer.py client ENDPOINT SERVICE COUNT TIMEOUT_MS
      Sends COUNT requests ["request <i>"] for SERVICE to titanic.request (MDPC01 on a REQ socket, a
      new socket after each timeout, retrying until it gets 200) and prints {"index": i, "id": UUID}
      for each one acknowledged, then {"done": COUNT}.
"""
import json
import os
import sys
import threading
import time

import zmq

CLIENT = b"MDPC01"
WORKER = b"MDPW01"
READY, REQUEST, REPLY, HEARTBEAT, DISCONNECT = b"\x01", b"\x02", b"\x03", b"\x04", b"\x05"


def say(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def exit_when_stdin_closes():
    sys.stdin.read()
    os._exit(0)


def worker(endpoint, service, heartbeat_ms):
    ctx = zmq.Context()
    readies = 0
    while True:
        sock = ctx.socket(zmq.DEALER)
        sock.linger = 0
        sock.connect(endpoint)
        sock.send_multipart([b"", WORKER, READY, service])
        readies += 1
        say({"ready": readies})
        liveness = 3
        heartbeat_at = time.monotonic() + heartbeat_ms / 1000
        while liveness > 0:
            if sock.poll(heartbeat_ms):
                frames = sock.recv_multipart()
                liveness = 3
                if len(frames) < 3 or frames[0] != b"" or frames[1] != WORKER:
                    continue
                if frames[2] == REQUEST:
                    # [empty][MDPW01][REQUEST][client][empty][body...] -> the body back to the client
                    sock.send_multipart([b"", WORKER, REPLY, frames[3], b""] + frames[5:])
                elif frames[2] == DISCONNECT:
                    break
            else:
                liveness -= 1
            if time.monotonic() >= heartbeat_at:
                sock.send_multipart([b"", WORKER, HEARTBEAT])
                heartbeat_at = time.monotonic() + heartbeat_ms / 1000
        sock.close()
        time.sleep(heartbeat_ms / 5000)


def client(endpoint, service, count, timeout_ms):
    ctx = zmq.Context()
    sock = None
    for i in range(count):
        body = [service, f"request {i}".encode()]
        while True:
            if sock is None:
                sock = ctx.socket(zmq.REQ)
                sock.linger = 0
                sock.connect(endpoint)
            # REQ adds the empty delimiter: [MDPC01][titanic.request][service][body]
            sock.send_multipart([CLIENT, b"titanic.request"] + body)
            if sock.poll(timeout_ms):
                frames = sock.recv_multipart()
                # [MDPC01][titanic.request][status][uuid]
                if len(frames) >= 4 and frames[0] == CLIENT and frames[2] == b"200":
                    say({"index": i, "id": frames[3].decode()})
                    break
                time.sleep(0.1)
            else:
                sock.close()
                sock = None
    say({"done": count})


def main():
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    role = sys.argv[1]
    if role == "worker":
        worker(sys.argv[2], sys.argv[3].encode(), int(sys.argv[4]))
    elif role == "client":
        client(sys.argv[2], sys.argv[3].encode(), int(sys.argv[4]), int(sys.argv[5]))
        sys.stdin.read()
    else:
        raise SystemExit(f"unknown role {role}")


if __name__ == "__main__":
    main()
