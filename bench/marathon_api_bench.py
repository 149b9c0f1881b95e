#!/usr/bin/env python3
"""Benchmarks of the Marathon v2 API served by a real `berth master` on its --http_port:

  1. POST /v2/apps latency to its 201 on an idle master (p50, p99), apps of 1 instance;
  2. deploy N apps of M instances (default 1,000 x 10) and wait until every task runs;
  3. GET /v2/apps latency with all of them deployed (p50, p99), default embeds and
     embed=apps.tasks, sequential over one keep-alive connection;
  4. GET throughput with `wrk` on /ping, /v2/info and /v2/apps/<one app>;
  5. POST /v2/apps latency again with all N apps deployed.

The master, its HTTP server, the Marathon API, the scheduler and the SQLite state are real.
The tasks are simulated: agents are bench/fake_agents.py in a separate Python process, speaking
the real agent protocol over HTTP (register, long poll, status updates retried until acked)
and answering every launch with TASK_STARTING + TASK_RUNNING without starting a process.

Usage: bench/marathon_api_bench.py [--apps 1000] [--instances 10] [--samples 200]
Needs `wrk` (scripts/install-deps.sh). Prints each figure, how it was measured, and a JSON
summary on its last line."""

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BERTH = os.environ.get("BERTH_BIN", os.path.join(HERE, "../build/release/bin/berth"))


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class Client:
    """One keep-alive connection; returns (status, body bytes, milliseconds)."""

    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        for attempt in range(2):
            try:
                t0 = time.perf_counter()
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                payload = resp.read()
                return resp.status, payload, (time.perf_counter() - t0) * 1000
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def json(self, method, path, body=None):
        status, payload, _ = self.call(method, path, body)
        if status >= 300:
            raise RuntimeError(f"{method} {path}: {status} {payload[:300]!r}")
        return json.loads(payload)


class Cluster:
    """A real master (SQLite state) and the fake agents process."""

    def __init__(self, agents, port, http_port):
        self.work_dir = tempfile.mkdtemp(prefix="berth-mbench-")
        self.port, self.http_port = port, http_port
        self.log = open(os.path.join(self.work_dir, "master.log"), "w")
        self.master = subprocess.Popen(
            [BERTH, "master", f"--work_dir={self.work_dir}/master", f"--port={port}",
             f"--http_port={http_port}", "--ip=127.0.0.1", "--state=sqlite"],
            stdout=self.log, stderr=self.log)
        self.wait_health()
        self.agents = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "fake_agents.py"), f"--master=127.0.0.1:{port}",
             f"--agents={agents}"], stdout=subprocess.PIPE, text=True)
        line = self.agents.stdout.readline()
        if "registered" not in line:
            raise RuntimeError(f"fake agents did not start: {line!r}")

    def wait_health(self):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=2)
                conn.request("GET", "/ping")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            if self.master.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError(f"master did not start; log in {self.work_dir}/master.log")

    def master_rss_mb(self):
        with open(f"/proc/{self.master.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def stop(self):
        for proc in (self.agents, self.master):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in (self.agents, self.master):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.log.close()
        shutil.rmtree(self.work_dir, ignore_errors=True)


def app_body(app_id, instances):
    return {"id": app_id, "cmd": "sleep 3600", "cpus": 0.01, "mem": 8, "instances": instances,
            "labels": {"bench": "marathon_api"}}


def post_app(client, app_id, instances, deadline=120):
    """POSTs until 201; 403 (too many running deployments, Marathon's answer) is retried after
    50 ms. Returns (ms of the 201 answer, number of 403s)."""
    busy = 0
    stop = time.monotonic() + deadline
    while True:
        status, payload, ms = client.call("POST", "/v2/apps", app_body(app_id, instances))
        if status == 201:
            return ms, busy
        if status == 403 and time.monotonic() < stop:
            busy += 1
            time.sleep(0.05)
            continue
        raise RuntimeError(f"POST /v2/apps {app_id}: {status} {payload[:300]!r}")


def wait_deployed(client, expected_running, timeout):
    """Until GET /v2/apps counts `expected_running` running tasks and no deployment is left."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        apps = client.json("GET", "/v2/apps")["apps"]
        running = sum(app["tasksRunning"] for app in apps)
        if running >= expected_running and not client.json("GET", "/v2/deployments"):
            return running
        time.sleep(0.5)
    raise RuntimeError(f"only {running} of {expected_running} tasks running after {timeout}s")


def latency_series(client, path, samples):
    times, size = [], 0
    for _ in range(samples):
        status, payload, ms = client.call("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status}")
        times.append(ms)
        size = len(payload)
    return times, size


def run_wrk(url, threads, connections, duration):
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency",
                          url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def latency(label):
        match = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not match:
            return None
        value, unit = float(match.group(1)), match.group(2)
        return round(value / 1000 if unit == "us" else value * 1000 if unit == "s" else value, 2)

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": round(rps), "p50_ms": latency("50%"), "p99_ms": latency("99%"),
            "non_2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else ""}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--apps", type=int, default=1000)
    parser.add_argument("--instances", type=int, default=10)
    parser.add_argument("--agents", type=int, default=10)
    parser.add_argument("--samples", type=int, default=200, help="GET /v2/apps samples")
    parser.add_argument("--posts", type=int, default=200, help="POST samples on the idle master")
    parser.add_argument("--clients", type=int, default=4, help="concurrent deploying clients")
    parser.add_argument("--wrk_threads", type=int, default=2)
    parser.add_argument("--wrk_connections", type=int, default=32)
    parser.add_argument("--wrk_duration", type=int, default=10)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: run scripts/install-deps.sh")

    results = {"apps": args.apps, "instances": args.instances, "fake_agents": args.agents,
               "loadavg_1m_start": round(os.getloadavg()[0], 2)}
    port, http_port = 15150, 18180
    print(f"setup: real `berth master` ({os.path.realpath(BERTH)}, SQLite state) on 127.0.0.1; "
          f"{args.agents} simulated agents (bench/fake_agents.py, a separate Python process) speak "
          "the real agent protocol over HTTP and answer launches with TASK_STARTING/TASK_RUNNING "
          "without starting processes: tasks are simulated, master/API/scheduler/state are real")

    print(f"1-minute load average before the run: {results['loadavg_1m_start']} (2 cores; the "
          "machine is shared, and other work on it shows in the tails)")

    # 1. POST latency on an idle master.
    cluster = Cluster(args.agents, port, http_port)
    try:
        client = Client(http_port)
        times, busy = [], 0
        for i in range(args.posts):
            ms, retries = post_app(client, f"/idle/app{i:04d}", 1)
            times.append(ms)
            busy += retries
        wait_deployed(client, args.posts, 60)
        results["post_idle_p50_ms"] = round(percentile(times, 50), 2)
        results["post_idle_p99_ms"] = round(percentile(times, 99), 2)
        results["post_idle_max_ms"] = round(max(times), 2)
        print(f"POST /v2/apps -> 201 on an idle master, {args.posts} sequential apps of 1 instance: "
              f"p50 {results['post_idle_p50_ms']} ms, p99 {results['post_idle_p99_ms']} ms, "
              f"max {results['post_idle_max_ms']} ms ({busy} answers 403 retried, not counted; "
              "client clock over one keep-alive connection, request sent to body read; each POST "
              "validates, commits the app and its deployment to SQLite and answers)")
    finally:
        cluster.stop()

    # 2. Deploy N apps of M instances on a fresh master.
    cluster = Cluster(args.agents, port + 1, http_port + 1)
    try:
        client = Client(cluster.http_port)
        post_times, busy = [], [0]
        lock = threading.Lock()
        next_app = [0]
        failures = []

        def deployer():
            own = Client(cluster.http_port)
            while True:
                with lock:
                    i = next_app[0]
                    next_app[0] += 1
                if i >= args.apps:
                    return
                try:
                    ms, retries = post_app(own, f"/bench/app{i:04d}", args.instances, deadline=600)
                except Exception as e:  # noqa: BLE001 - reported below
                    failures.append(str(e))
                    return
                with lock:
                    post_times.append(ms)
                    busy[0] += retries

        t0 = time.perf_counter()
        threads = [threading.Thread(target=deployer) for _ in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if failures:
            raise RuntimeError(f"{len(failures)} deploying clients failed, e.g. {failures[0]}")
        posted = time.perf_counter() - t0
        total = args.apps * args.instances
        running = wait_deployed(client, total, 900)
        deployed = time.perf_counter() - t0
        results["deploy_all_s"] = round(deployed, 1)
        results["deploy_post_p50_ms"] = round(percentile(post_times, 50), 2)
        results["deploy_post_p99_ms"] = round(percentile(post_times, 99), 2)
        print(f"deploy: {args.apps} apps x {args.instances} instances POSTed from {args.clients} "
              f"clients in {posted:.1f} s ({busy[0]} answers 403 'max running deployments' "
              f"retried after 50 ms); all {running} tasks TASK_RUNNING and no deployment left "
              f"after {deployed:.1f} s; POST latency while deploying (contended, for information): "
              f"p50 {results['deploy_post_p50_ms']} ms, p99 {results['deploy_post_p99_ms']} ms")
        time.sleep(2)
        results["master_rss_mb"] = round(cluster.master_rss_mb(), 1)

        # 3. GET /v2/apps latency.
        for key, path, samples in (("get_apps", "/v2/apps", args.samples),
                                   ("get_apps_tasks", "/v2/apps?embed=apps.tasks", args.samples)):
            apps = client.json("GET", path)["apps"]
            if len(apps) != args.apps or sum(a["tasksRunning"] for a in apps) != total:
                raise RuntimeError(f"GET {path} shows {len(apps)} apps, not {args.apps}")
            if key == "get_apps_tasks" and sum(len(a["tasks"]) for a in apps) != total:
                raise RuntimeError(f"GET {path} does not embed {total} tasks")
            times, size = latency_series(client, path, samples)
            results[f"{key}_p50_ms"] = round(percentile(times, 50), 2)
            results[f"{key}_p99_ms"] = round(percentile(times, 99), 2)
            results[f"{key}_bytes"] = size
            print(f"GET {path} with {args.apps} apps / {total} running tasks, {samples} sequential "
                  f"requests over one keep-alive connection: p50 {results[key + '_p50_ms']} ms, "
                  f"p99 {results[key + '_p99_ms']} ms ({size / 1e6:.2f} MB per answer; client "
                  "clock, request sent to last body byte read)")

        # 4. wrk.
        one_app = f"/v2/apps/bench/app{args.apps // 2:04d}"
        for key, path in (("wrk_ping", "/ping"), ("wrk_info", "/v2/info"), ("wrk_one_app", one_app)):
            figures = run_wrk(f"http://127.0.0.1:{cluster.http_port}{path}", args.wrk_threads,
                              args.wrk_connections, args.wrk_duration)
            for name, value in figures.items():
                results[f"{key}_{name}"] = value
            print(f"wrk -t{args.wrk_threads} -c{args.wrk_connections} -d{args.wrk_duration}s "
                  f"GET {path} (same 2-core machine as the master, {args.apps} apps / {total} "
                  f"tasks loaded): {figures['rps']} req/s, latency p50 {figures['p50_ms']} ms, "
                  f"p99 {figures['p99_ms']} ms, non-2xx {figures['non_2xx']}"
                  + (f", socket errors {figures['socket_errors']}" if figures["socket_errors"] else ""))

        # 5. POST latency with everything deployed.
        times, busy = [], 0
        for i in range(50):
            ms, retries = post_app(client, f"/loaded/app{i:04d}", 1)
            times.append(ms)
            busy += retries
        results["post_loaded_p50_ms"] = round(percentile(times, 50), 2)
        results["post_loaded_p99_ms"] = round(percentile(times, 99), 2)
        print(f"POST /v2/apps -> 201 with {args.apps} apps / {total} tasks deployed, 50 sequential "
              f"apps of 1 instance: p50 {results['post_loaded_p50_ms']} ms, p99 "
              f"{results['post_loaded_p99_ms']} ms ({busy} answers 403 retried)")
        print(f"master resident memory with {args.apps} apps / {total} tasks: "
              f"{results['master_rss_mb']} MB (VmRSS)")
    finally:
        cluster.stop()
    results["loadavg_1m_end"] = round(os.getloadavg()[0], 2)
    print(f"1-minute load average after the run: {results['loadavg_1m_end']}")
    print(json.dumps(results))


if __name__ == "__main__":
    sys.exit(main())
