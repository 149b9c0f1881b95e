#!/usr/bin/env python3
"""Event-stream delivery latency: 100 subscribers on GET /v2/events of one master while real bare
tasks run through their lives on a real agent, each task change publishing a
status_update_event and an instance_changed_event to every subscriber.

Latency of one delivery = the subscriber's receive time (time.time(), taken right after recv(),
before any parsing) minus the event's `timestamp`, which the master sets from the same machine's
wall clock when it publishes the event. The timestamp has millisecond resolution and is truncated,
so each figure overestimates by up to 1 ms. The subscribers are plain sockets spread over a few
receiver processes (so one busy Python loop does not queue the others); they decode the chunked
body and check that every chunk is one whole event.

Run as root (the agent's tasks use namespaces and cgroups):
  bench/sse_bench.py [--subscribers 100] [--tasks 200] [--rate 20] [--receivers 4]
Prints p50/p99/max and how they were measured, then a JSON summary on its last line."""

import argparse
import calendar
import json
import multiprocessing
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
BERTH = os.environ.get("BERTH_BIN", os.path.join(HERE, "../build/release/bin/berth"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def epoch(timestamp):
    """Seconds since the epoch of a Marathon timestamp (2015-09-30T12:47:11.286Z)."""
    seconds = calendar.timegm(time.strptime(timestamp[:19], "%Y-%m-%dT%H:%M:%S"))
    return seconds + int(timestamp[20:23]) / 1000


def server_side_p(http_port, p):
    """The master's own view from /metrics: the upper bound of the histogram bucket holding the
    p-th percentile of publication -> frame handed to the subscriber's connection, in ms."""
    with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    buckets = []
    for line in text.splitlines():
        if line.startswith('berth_event_stream_delivery_seconds_bucket{le="'):
            le = line.split('"')[1]
            buckets.append((float("inf") if le == "+Inf" else float(le) * 1000, int(line.split()[-1])))
    total = buckets[-1][1]
    return next(le for le, count in buckets if count >= p / 100 * total)


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class Subscriber:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.sendall(b"GET /v2/events HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n")
        self.sock.setblocking(False)
        self.buffer = b""
        self.head_done = False
        self.received_at = 0.0

    def feed(self, data, now):
        """Adds bytes received at `now`; returns [(event type, payload dict, receive time)]."""
        self.buffer += data
        out = []
        if not self.head_done:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return out
            assert b"Transfer-Encoding: chunked" in self.buffer[:end], self.buffer[:end]
            self.buffer = self.buffer[end + 4:]
            self.head_done = True
        while True:
            line_end = self.buffer.find(b"\r\n")
            if line_end < 0:
                return out
            size = int(self.buffer[:line_end], 16)
            if len(self.buffer) < line_end + 4 + size:
                return out
            chunk = self.buffer[line_end + 2:line_end + 2 + size]
            self.buffer = self.buffer[line_end + 4 + size:]
            if chunk.startswith(b"event: "):
                lines = chunk.decode().split("\r\n")
                assert len(lines) == 4 and lines[2] == lines[3] == "", chunk  # one event per chunk
                event_type = lines[0][len("event: "):]
                payload = json.loads(lines[1][len("data: "):])
                out.append((event_type, payload, now))


def receiver(port, count, ready, stop, results):
    """Holds `count` subscribers; reports every task event's latency in ms."""
    selector = selectors.DefaultSelector()
    subscribers = [Subscriber(port) for _ in range(count)]
    for s in subscribers:
        selector.register(s.sock, selectors.EVENT_READ, s)
    attached = 0
    latencies = []
    by_type = {}
    while not (stop.is_set() and not selector.select(timeout=0.2)):
        arrivals = []
        for key, _ in selector.select(timeout=0.2):
            try:
                data = key.fileobj.recv(65536)
            except BlockingIOError:
                continue
            now = time.time()  # before any parsing
            arrivals.append((key.data, data, now))
        for sub, data, now in arrivals:
            for event_type, payload, at in sub.feed(data, now):
                if event_type == "event_stream_attached":
                    attached += 1
                    if attached == count:
                        ready.release()
                    continue
                if event_type in ("status_update_event", "instance_changed_event"):
                    latency = (at - epoch(payload["timestamp"])) * 1000
                    latencies.append(latency)
                    by_type[event_type] = by_type.get(event_type, 0) + 1
    results.put((latencies, by_type))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--receivers", type=int, default=4, help="processes holding the subscribers")
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20, help="task launches per second")
    args = parser.parse_args()

    work_dir = tempfile.mkdtemp(prefix="berth-sse-bench-")
    port, http_port, agent_port = free_port(), free_port(), free_port()
    master = subprocess.Popen(
        [BERTH, "master", f"--work_dir={work_dir}/master", f"--port={port}", f"--http_port={http_port}",
         "--ip=127.0.0.1", "--hostname=127.0.0.1", "--state=memory"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    agent = None
    base = f"http://127.0.0.1:{port}"
    results = {}
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                call("GET", base + "/health")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("master did not start")
                time.sleep(0.02)
        agent = subprocess.Popen(
            [BERTH, "agent", f"--master=127.0.0.1:{port}", f"--work_dir={work_dir}/agent",
             f"--port={agent_port}", "--ip=127.0.0.1", "--hostname=127.0.0.1", "--cleanup_on_exit",
             "--resources=cpus:64;mem:65536;disk:1024;ports:[41000-41999]"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not any(s["active"] for s in call("GET", base + "/master/slaves")["slaves"]):
            if time.monotonic() > deadline:
                raise RuntimeError("agent did not register")
            time.sleep(0.02)

        ready = multiprocessing.Semaphore(0)
        stop = multiprocessing.Event()
        queue = multiprocessing.Queue()
        per = [args.subscribers // args.receivers + (1 if i < args.subscribers % args.receivers else 0)
               for i in range(args.receivers)]
        procs = [multiprocessing.Process(target=receiver, args=(http_port, n, ready, stop, queue))
                 for n in per if n > 0]
        for p in procs:
            p.start()
        for _ in procs:
            if not ready.acquire(timeout=30):
                raise RuntimeError("subscribers did not attach")

        # Tasks that live a short while: STAGING, STARTING, RUNNING, FINISHED, each published as
        # two events, spread over the run at --rate launches per second.
        t0 = time.monotonic()
        ids = []
        for i in range(args.tasks):
            target = t0 + i / args.rate
            delay = target - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            ids.append(call("POST", base + "/master/tasks",
                            {"name": f"sse{i}", "cmd": "sleep 0.3", "cpus": 0.01, "mem": 4})["id"])
        while True:
            tasks = {t["id"]: t["state"] for t in call("GET", base + "/master/tasks")["tasks"]}
            if all(tasks.get(i) in ("TASK_FINISHED", "TASK_FAILED", "TASK_KILLED") for i in ids):
                break
            if time.monotonic() - t0 > 120:
                raise RuntimeError("tasks did not finish")
            time.sleep(0.05)
        failed = sum(1 for i in ids if tasks[i] != "TASK_FINISHED")
        time.sleep(0.5)  # the last events' deliveries
        load = os.getloadavg()[0]
        server_p50, server_p99 = server_side_p(http_port, 50), server_side_p(http_port, 99)
        stop.set()
        latencies, by_type = [], {}
        for _ in procs:
            lat, types = queue.get(timeout=60)
            latencies += lat
            for k, v in types.items():
                by_type[k] = by_type.get(k, 0) + v
        for p in procs:
            p.join()
        events = sum(by_type.values()) // args.subscribers
        results = {
            "subscribers": args.subscribers,
            "tasks": args.tasks,
            "failed_tasks": failed,
            "events_published": events,
            "deliveries": len(latencies),
            "p50_ms": round(percentile(latencies, 50), 2),
            "p99_ms": round(percentile(latencies, 99), 2),
            "max_ms": round(max(latencies), 2),
            "server_side_p50_ms_at_most": server_p50,
            "server_side_p99_ms_at_most": server_p99,
            "load_average_1min": round(load, 1),
        }
        print(f"{args.subscribers} subscribers on one master, {args.tasks} bare tasks at "
              f"{args.rate}/s on one agent: {events} task events each, {len(latencies)} deliveries")
        print(f"delivery latency p50 {results['p50_ms']} ms, p99 {results['p99_ms']} ms, "
              f"max {results['max_ms']} ms")
        print(f"master side (its berth_event_stream_delivery_seconds histogram, publication to the "
              f"frame handed to the connection): p50 <= {server_p50} ms, p99 <= {server_p99} ms; "
              f"1-min load average at the end {load:.1f} on {os.cpu_count()} CPUs")
        print("(receive time via time.time() right after recv() in the subscriber, minus the "
              "event's timestamp set by the master at publication from the same wall clock; "
              "ms-truncated timestamps, so up to +1 ms; "
              f"{len(procs)} receiver processes; master --state=memory)")
    finally:
        if agent:
            agent.send_signal(signal.SIGTERM)
            try:
                agent.wait(timeout=30)
            except subprocess.TimeoutExpired:
                agent.kill()
        master.send_signal(signal.SIGTERM)
        try:
            master.wait(timeout=10)
        except subprocess.TimeoutExpired:
            master.kill()
        shutil.rmtree(work_dir, ignore_errors=True)
    print(json.dumps(results))


if __name__ == "__main__":
    sys.exit(main())
