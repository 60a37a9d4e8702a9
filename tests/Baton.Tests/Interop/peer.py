"""A libzmq peer for Baton's interop tests, driven over stdin/stdout.

Each stdin line is a JSON command; each answer is one JSON line on stdout. Frames travel as hex,
large ones (over 64 KiB) are answered by length and SHA-256 only. The process exits when stdin
closes, so a crashed test never leaves it behind.
"""
import hashlib
import json
import sys
import threading
import time

import zmq

ctx = zmq.Context()
sock = None
monitor = None
watcher = None
worker = None
worker_result = None
auth = None
events = {}
events_lock = threading.Lock()

TYPES = {name: getattr(zmq, name) for name in
         ("PAIR", "PUB", "SUB", "XPUB", "XSUB", "REQ", "REP", "DEALER", "ROUTER", "PUSH", "PULL")}


def watch(mon):
    from zmq.utils.monitor import recv_monitor_message
    while True:
        try:
            event = recv_monitor_message(mon)
        except zmq.ZMQError:
            return
        with events_lock:
            events[event["event"]] = events.get(event["event"], 0) + 1
        if event["event"] == zmq.EVENT_MONITOR_STOPPED:
            return


def frame_out(frame):
    if len(frame) > 65536:
        return {"len": len(frame), "sha256": hashlib.sha256(frame).hexdigest()}
    return frame.hex()


def frame_in(spec):
    if isinstance(spec, dict):
        return bytes([spec["byte"]]) * spec["repeat"]
    return bytes.fromhex(spec)


def handle(cmd):
    global sock, monitor, watcher
    op = cmd["op"]
    if op == "socket":
        sock = ctx.socket(TYPES[cmd["type"]])
        sock.linger = 2000
        for name, value in cmd.get("options", {}).items():
            if name == "IDENTITY":
                sock.setsockopt(zmq.IDENTITY, bytes.fromhex(value))
            elif isinstance(value, str):
                # Text options: CURVE keys in Z85, PLAIN_USERNAME, ZAP_DOMAIN...
                sock.setsockopt_string(getattr(zmq, name), value)
            else:
                sock.setsockopt(getattr(zmq, name), value)
        monitor = sock.get_monitor_socket()
        watcher = threading.Thread(target=watch, args=(monitor,), daemon=True)
        watcher.start()
        return {"ok": True}
    if op == "bind":
        sock.bind(cmd["endpoint"])
        return {"endpoint": sock.getsockopt_string(zmq.LAST_ENDPOINT)}
    if op == "connect":
        sock.connect(cmd["endpoint"])
        return {"ok": True}
    if op == "send":
        frames = [frame_in(f) for f in cmd["frames"]]
        deadline = time.monotonic() + cmd.get("timeout", 10000) / 1000
        while True:
            try:
                sock.send_multipart(frames, flags=zmq.NOBLOCK)
                return {"ok": True}
            except zmq.Again:
                pass
            except zmq.ZMQError as e:
                if e.errno != zmq.EHOSTUNREACH:
                    raise
            if time.monotonic() > deadline:
                return {"error": "send timed out"}
            time.sleep(0.005)
    if op == "recv":
        if not sock.poll(cmd.get("timeout", 10000)):
            return {"error": "timeout"}
        return {"frames": [frame_out(f) for f in sock.recv_multipart()]}
    if op == "count":
        # Receive until n messages came or the line goes quiet; report how many and the last.
        n, last, got = cmd["n"], None, 0
        while got < n and sock.poll(cmd.get("timeout", 10000)):
            last = sock.recv()
            got += 1
        return {"count": got, "last": last.hex() if last is not None else None}
    if op == "stream":
        # Send n messages, one every interval ms, from a thread of its own while this one waits for commands
        # that leave the socket alone (events, streamed): the test may be unable to talk to us meanwhile.
        global worker, worker_result
        n, interval = cmd["n"], cmd["interval"] / 1000

        def stream():
            global worker_result
            sent = 0
            for i in range(n):
                sock.send(b"%d" % i)
                sent += 1
                time.sleep(interval)
            worker_result = {"count": sent}

        worker = threading.Thread(target=stream, daemon=True)
        worker.start()
        return {"ok": True}
    if op == "drain":
        # Receive up to n messages in a thread of its own, until the line is quiet for timeout ms.
        n, quiet = cmd["n"], cmd.get("timeout", 10000)

        def drain():
            global worker_result
            got, last = 0, None
            while got < n and sock.poll(quiet):
                last = sock.recv()
                got += 1
            worker_result = {"count": got, "last": last.hex() if last is not None else None}

        worker = threading.Thread(target=drain, daemon=True)
        worker.start()
        return {"ok": True}
    if op == "join":
        worker.join()
        return worker_result
    if op == "subscribe":
        sock.setsockopt(zmq.SUBSCRIBE, bytes.fromhex(cmd["prefix"]))
        return {"ok": True}
    if op == "unsubscribe":
        sock.setsockopt(zmq.UNSUBSCRIBE, bytes.fromhex(cmd["prefix"]))
        return {"ok": True}
    if op == "events":
        with events_lock:
            return {name: events.get(getattr(zmq, "EVENT_" + name), 0)
                    for name in ("CONNECTED", "ACCEPTED", "DISCONNECTED", "HANDSHAKE_SUCCEEDED",
                                 "HANDSHAKE_FAILED_AUTH", "HANDSHAKE_FAILED_PROTOCOL", "HANDSHAKE_FAILED_NO_DETAIL")}
    if op == "auth":
        # A ZAP handler in this context (zmq.auth's ThreadAuthenticator): allow/deny lists, PLAIN passwords, and
        # CURVE client keys from a folder of NAME.key files ("*": any key), for the given domain ("*" by default).
        global auth
        from zmq.auth.thread import ThreadAuthenticator
        auth = ThreadAuthenticator(ctx)
        auth.start()
        domain = cmd.get("domain", "*")
        if cmd.get("allow"):
            auth.allow(*cmd["allow"])
        if cmd.get("deny"):
            auth.deny(*cmd["deny"])
        if cmd.get("plain") is not None:
            auth.configure_plain(domain=domain, passwords=cmd["plain"])
        if cmd.get("curve") is not None:
            auth.configure_curve(domain=domain, location=cmd["curve"])
        return {"ok": True}
    raise ValueError("unknown op " + op)


def main():
    print(json.dumps({"ready": zmq.zmq_version()}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            answer = handle(json.loads(line))
        except Exception as e:  # report, never die silently
            answer = {"error": "%s: %s" % (type(e).__name__, e)}
        print(json.dumps(answer), flush=True)
    if auth is not None:
        auth.stop()
    if sock is not None:
        sock.disable_monitor()
        watcher.join(2)
        monitor.close()
        sock.close()
    ctx.term()


if __name__ == "__main__":
    main()
