#!/usr/bin/env python3
"""Benchmarks of the live cluster core on a `berth dev` cluster of 3 agents:

  1. launch latency: from the launch request to the task observed in TASK_RUNNING at the master,
     one task at a time (p50, p99);
  2. launch throughput: N real tasks launched from 4 concurrent clients, until all are running;
  3. idle agent memory: resident set of each agent process after the cluster has been idle.

Run as root: bench/cluster_bench.py [--tasks 400] [--samples 200]. Prints each figure, how it
was measured, and a JSON summary on its last line."""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
BERTH = os.environ.get("BERTH_BIN", os.path.join(HERE, "../build/release/bin/berth"))


def call(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def wait_running(base, task_id, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = call("GET", f"{base}/master/tasks/{task_id}")["state"]
        if state == "TASK_RUNNING":
            return
        if state not in ("TASK_STAGING", "TASK_STARTING"):
            raise RuntimeError(f"{task_id} ended up {state}")
    raise RuntimeError(f"{task_id} not running after {timeout}s")


def kill_all(base):
    for task in call("GET", f"{base}/master/tasks")["tasks"]:
        if task["state"] == "TASK_RUNNING":
            call("DELETE", f"{base}/master/tasks/{task['id']}")


def agent_pids(work_dir):
    out = subprocess.run(["pgrep", "-f", f"berth agent .*{work_dir}"], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--tasks", type=int, default=400)
    args = parser.parse_args()

    work_dir = tempfile.mkdtemp(prefix="berth-bench-")
    port, http_port = 15050, 18080
    dev = subprocess.Popen([BERTH, "dev", "--agents=3", f"--work_dir={work_dir}",
                            f"--port={port}", f"--http_port={http_port}"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    results = {}
    try:
        started = time.monotonic()
        while True:
            try:
                if sum(s["active"] for s in call("GET", f"{base}/master/slaves")["slaves"]) == 3:
                    break
            except OSError:
                pass
            if time.monotonic() - started > 15:
                raise RuntimeError("dev cluster did not start")
            time.sleep(0.01)
        results["dev_ready_ms"] = round((time.monotonic() - started) * 1000, 1)
        print(f"dev cluster (3 agents) ready in {results['dev_ready_ms']} ms "
              "(from spawning `berth dev` to 3 active agents at /master/slaves)")

        # 3. Idle agent memory, before any task ran.
        time.sleep(2)
        rss = [rss_kib(p) / 1024 for p in agent_pids(work_dir)]
        results["idle_agent_rss_mb"] = round(max(rss), 1)
        print(f"idle agent RSS: {', '.join(f'{r:.1f}' for r in rss)} MB "
              "(VmRSS of each `berth agent` after 2 s idle)")

        # 1. Launch latency, one at a time.
        latencies = []
        for i in range(args.samples):
            t0 = time.perf_counter()
            task = call("POST", f"{base}/master/tasks",
                        {"name": f"lat{i}", "cmd": "sleep 30", "cpus": 0.01, "mem": 8})
            wait_running(base, task["id"])
            latencies.append((time.perf_counter() - t0) * 1000)
        kill_all(base)
        results["launch_to_running_p50_ms"] = round(percentile(latencies, 50), 2)
        results["launch_to_running_p99_ms"] = round(percentile(latencies, 99), 2)
        print(f"launch request -> TASK_RUNNING over {args.samples} sequential tasks: "
              f"p50 {results['launch_to_running_p50_ms']} ms, p99 {results['launch_to_running_p99_ms']} ms "
              "(client clock: POST /master/tasks until GET /master/tasks/<id> shows TASK_RUNNING, "
              "polled without delay)")
        time.sleep(2)

        # 2. Throughput: N tasks from 4 concurrent clients, until all running.
        ids = []
        lock = threading.Lock()

        def launcher(count, offset):
            for i in range(count):
                task = call("POST", f"{base}/master/tasks",
                            {"name": f"tp{offset + i}", "cmd": "sleep 60", "cpus": 0.001, "mem": 4})
                with lock:
                    ids.append(task["id"])

        t0 = time.perf_counter()
        per = args.tasks // 4
        threads = [threading.Thread(target=launcher, args=(per, k * per)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        while True:
            tasks = call("GET", f"{base}/master/tasks")["tasks"]
            running = sum(1 for t in tasks if t["state"] == "TASK_RUNNING" and t["id"] in set(ids))
            if running == len(ids):
                break
            failed = [t for t in tasks if t["id"] in set(ids) and t["state"] not in
                      ("TASK_RUNNING", "TASK_STAGING", "TASK_STARTING")]
            if failed:
                raise RuntimeError(f"{len(failed)} tasks failed, e.g. {failed[0]}")
            time.sleep(0.01)
        elapsed = time.perf_counter() - t0
        results["launches_per_second"] = round(len(ids) / elapsed, 1)
        print(f"throughput: {len(ids)} real tasks running in {elapsed:.2f} s = "
              f"{results['launches_per_second']} launches/s across 3 agents "
              "(4 concurrent clients POSTing, until every task is TASK_RUNNING at the master)")
        kill_all(base)
    finally:
        dev.send_signal(signal.SIGTERM)
        try:
            dev.wait(timeout=60)
        except subprocess.TimeoutExpired:
            dev.kill()
        shutil.rmtree(work_dir, ignore_errors=True)
    print(json.dumps(results))


if __name__ == "__main__":
    sys.exit(main())
