#!/usr/bin/env python3
"""Majordomo (7/MDP, headers MDPC01 and MDPW01) workers and clients in pyzmq, written from the RFC
(https://rfc.zeromq.org/spec/7/) for Baton's interop tests: nothing here comes from Baton.

  mdp_peer.py worker ENDPOINT SERVICE COUNT MODE HEARTBEAT_MS
      COUNT workers of SERVICE, one thread and socket each. MODE "tag" replies with the request's
      frames and the worker's name; "stall" prints {"busy": name} on the first request and never
      replies (the test kills the process). Prints {"ready": name} per worker once READY is sent.
      Runs until stdin closes.
  mdp_peer.py client ENDPOINT SERVICES COUNT TIMEOUT_MS RETRIES
      A synchronous client on a REQ socket (a new socket after each timeout): asks mmi.service for
      each of the comma-separated SERVICES until it says 200, then sends COUNT requests to each and
      checks every reply. Prints one JSON summary.
  mdp_peer.py async-client ENDPOINT SERVICES COUNT TIMEOUT_MS
      An asynchronous client on a DEALER socket: sends every request, then receives the replies as
      they come. Prints one JSON summary.
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
LIVENESS = 3

_print_lock = threading.Lock()


def say(obj):
    with _print_lock:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


def run_worker(ctx, endpoint, service, name, mode, heartbeat_ms):
    while True:
        sock = ctx.socket(zmq.DEALER)
        sock.linger = 0
        sock.connect(endpoint)
        # READY: [empty][MDPW01][0x01][service]
        sock.send_multipart([b"", WORKER, READY, service])
        say({"ready": name})
        liveness = LIVENESS
        heartbeat_at = time.monotonic() + heartbeat_ms / 1000
        reconnect = False
        while not reconnect:
            if sock.poll(heartbeat_ms):
                frames = sock.recv_multipart()
                liveness = LIVENESS
                if len(frames) < 3 or frames[0] != b"" or frames[1] != WORKER:
                    continue
                command = frames[2]
                if command == REQUEST:
                    # [empty][MDPW01][0x02][client][empty][body...]
                    client, body = frames[3], frames[5:]
                    if mode == "stall":
                        say({"busy": name, "body": [f.decode() for f in body]})
                        while True:
                            time.sleep(3600)
                    sock.send_multipart([b"", WORKER, REPLY, client, b""] + body + [name.encode()])
                elif command == DISCONNECT:
                    reconnect = True
            else:
                liveness -= 1
                if liveness == 0:
                    reconnect = True
            if time.monotonic() >= heartbeat_at:
                sock.send_multipart([b"", WORKER, HEARTBEAT])
                heartbeat_at = time.monotonic() + heartbeat_ms / 1000
        sock.close()


def workers(endpoint, service, count, mode, heartbeat_ms):
    ctx = zmq.Context()
    for i in range(count):
        name = f"py-{service}-{i}"
        threading.Thread(target=run_worker, args=(ctx, endpoint, service.encode(), name, mode, heartbeat_ms), daemon=True).start()
    sys.stdin.read()
    os._exit(0)


class SyncClient:
    """The guide's mdcliapi: REQ, a timeout per attempt, a new socket after each timeout."""

    def __init__(self, ctx, endpoint, timeout_ms, retries):
        self.ctx, self.endpoint, self.timeout_ms, self.retries = ctx, endpoint, timeout_ms, retries
        self.sock = None
        self.reconnect()

    def reconnect(self):
        if self.sock is not None:
            self.sock.close()
        self.sock = self.ctx.socket(zmq.REQ)
        self.sock.linger = 0
        self.sock.connect(self.endpoint)

    def send(self, service, body):
        for _ in range(self.retries):
            # REQ adds the empty delimiter: [MDPC01][service][body...]
            self.sock.send_multipart([CLIENT, service] + body)
            if self.sock.poll(self.timeout_ms):
                frames = self.sock.recv_multipart()
                if len(frames) < 3 or frames[0] != CLIENT or frames[1] != service:
                    raise RuntimeError(f"malformed reply {frames!r}")
                return frames[2:]
            self.reconnect()
        return None


def client(endpoint, services, count, timeout_ms, retries):
    ctx = zmq.Context()
    cli = SyncClient(ctx, endpoint, timeout_ms, retries)
    summary = {"ok": 0, "bad": [], "workers": {}, "mmi": {}}
    for service in services:
        deadline = time.monotonic() + 20
        answer = None
        while time.monotonic() < deadline:
            reply = cli.send(b"mmi.service", [service])
            answer = reply[-1].decode() if reply else None
            if answer == "200":
                break
            time.sleep(0.02)
        summary["mmi"][service.decode()] = answer
    unknown = cli.send(b"mmi.service", [b"no-such-service"])
    summary["mmi"]["no-such-service"] = unknown[-1].decode() if unknown else None
    for i in range(count):
        for service in services:
            text = f"{service.decode()}:{i}".encode()
            reply = cli.send(service, [text, b"second frame"])
            if reply is None or reply[0] != text or reply[1] != b"second frame":
                summary["bad"].append([service.decode(), i, repr(reply)])
                continue
            summary["ok"] += 1
            tag = reply[-1].decode()
            summary["workers"].setdefault(service.decode(), [])
            if tag not in summary["workers"][service.decode()]:
                summary["workers"][service.decode()].append(tag)
    say(summary)
    cli.sock.close()
    ctx.term()


def async_client(endpoint, services, count, timeout_ms):
    ctx = zmq.Context()
    sock = ctx.socket(zmq.DEALER)
    sock.linger = 0
    sock.connect(endpoint)
    expected = set()
    for i in range(count):
        for service in services:
            text = f"{service.decode()}:{i}".encode()
            expected.add((service, text))
            # DEALER: the empty delimiter is ours to send, [empty][MDPC01][service][body...]
            sock.send_multipart([b"", CLIENT, service, text])
    summary = {"ok": 0, "bad": [], "workers": {}}
    while expected and sock.poll(timeout_ms):
        frames = sock.recv_multipart()
        if len(frames) < 4 or frames[0] != b"" or frames[1] != CLIENT:
            summary["bad"].append(repr(frames))
            continue
        key = (frames[2], frames[3])
        if key not in expected:
            summary["bad"].append(repr(frames))
            continue
        expected.discard(key)
        summary["ok"] += 1
        summary["workers"].setdefault(frames[2].decode(), [])
        if frames[-1].decode() not in summary["workers"][frames[2].decode()]:
            summary["workers"][frames[2].decode()].append(frames[-1].decode())
    summary["missing"] = len(expected)
    say(summary)
    sock.close()
    ctx.term()


def main():
    role = sys.argv[1]
    if role == "worker":
        workers(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], int(sys.argv[6]))
    elif role == "client":
        client(sys.argv[2], [s.encode() for s in sys.argv[3].split(",")], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
    elif role == "async-client":
        async_client(sys.argv[2], [s.encode() for s in sys.argv[3].split(",")], int(sys.argv[4]), int(sys.argv[5]))
    else:
        raise SystemExit(f"unknown role {role}")


if __name__ == "__main__":
    main()
