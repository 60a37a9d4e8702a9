# The Python side of `baton bench queue` and `baton bench pipe`: multiprocessing.Queue, pyzmq PUSH/PULL
# over ipc and multiprocessing.Pipe, each with a child process, as Python users write them.
# Prints one JSON object per line on stdout.
import json
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time

MESSAGE = "MESSAGE"


def queue_child(queue, count, ready, done):
    ready.set()
    for _ in range(count):
        queue.get()
    done.set()


def run_queue(count):
    queue, ready, done = mp.Queue(), mp.Event(), mp.Event()
    child = mp.Process(target=queue_child, args=(queue, count, ready, done))
    child.start()
    ready.wait()
    start = time.perf_counter()
    for _ in range(count):
        queue.put(MESSAGE)
    done.wait()
    elapsed = time.perf_counter() - start
    child.join()
    return {"name": "python-queue", "messages_per_second": count / elapsed}


def zmq_child(endpoint, count, ready, done):
    import zmq
    context = zmq.Context()
    pull = context.socket(zmq.PULL)
    pull.connect(endpoint)
    ready.set()
    for _ in range(count):
        pull.recv()
    done.set()
    pull.close()
    context.term()


def run_pyzmq(count):
    import zmq
    folder = tempfile.mkdtemp(prefix="baton-bench-")
    endpoint = "ipc://" + os.path.join(folder, "queue")
    context = zmq.Context()
    push = context.socket(zmq.PUSH)
    push.bind(endpoint)
    ready, done = mp.Event(), mp.Event()
    child = mp.Process(target=zmq_child, args=(endpoint, count, ready, done))
    child.start()
    ready.wait()
    payload = MESSAGE.encode()
    start = time.perf_counter()
    for _ in range(count):
        push.send(payload)
    done.wait()
    elapsed = time.perf_counter() - start
    child.join()
    push.close()
    context.term()
    try:
        os.rmdir(folder)
    except OSError:
        pass
    return {"name": "pyzmq", "messages_per_second": count / elapsed}


def pipe_child(connection, count):
    for _ in range(count):
        connection.send_bytes(connection.recv_bytes())


def run_pipe(count, warmup):
    parent, child_end = mp.Pipe()
    child = mp.Process(target=pipe_child, args=(child_end, count + warmup))
    child.start()
    payload = b"\0" * 8
    samples = []
    for i in range(count + warmup):
        start = time.perf_counter_ns()
        parent.send_bytes(payload)
        parent.recv_bytes()
        if i >= warmup:
            samples.append((time.perf_counter_ns() - start) / 1000.0)
    child.join()
    samples.sort()
    return {"name": "python-pipe", "p50_us": samples[len(samples) // 2], "p99_us": samples[int(len(samples) * 0.99)], "mean_us": statistics.fmean(samples)}


if __name__ == "__main__":
    what, count = sys.argv[1], int(sys.argv[2])
    if what == "python-queue":
        print(json.dumps(run_queue(count)), flush=True)
    elif what == "pyzmq":
        print(json.dumps(run_pyzmq(count)), flush=True)
    elif what == "python-pipe":
        print(json.dumps(run_pipe(count, int(sys.argv[3]))), flush=True)
    else:
        sys.exit("unknown contender " + what)
