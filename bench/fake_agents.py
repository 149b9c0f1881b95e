#!/usr/bin/env python3
"""Simulated agents for benchmarks of a real `berth master`.

Each fake agent speaks the real master <-> agent protocol (src/api/agent_protocol.h) over HTTP:
it registers with large resources, holds a long poll on /agent/v1/poll, answers every LAUNCH
with TASK_STARTING then TASK_RUNNING and every KILL with TASK_KILLED, posts those updates to
/agent/v1/status and retries each until the master acknowledges its uuid. When the master
answers 409 (session unknown) the agent registers again, reporting the tasks it runs.

No process is started for a task: the tasks are simulated, while the master, its API, its
scheduler and its SQLite state are real. Used as a module (FakeCluster) or on its own:

  bench/fake_agents.py --master 127.0.0.1:5050 --agents 10

which runs until SIGTERM/SIGINT and prints one line when every agent has registered."""

import argparse
import http.client
import json
import signal
import sys
import threading
import time
import uuid


class _Connection:
    """One keep-alive HTTP connection that reconnects once when the master closed it."""

    def __init__(self, host, port, timeout):
        self.host, self.port, self.timeout = host, port, timeout
        self.conn = None

    def post(self, path, body):
        data = json.dumps(body).encode()
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request("POST", path, body=data,
                                  headers={"Content-Type": "application/json"})
                resp = self.conn.getresponse()
                payload = resp.read()
                return resp.status, payload
            except (OSError, http.client.HTTPException):
                self.close()
                if attempt == 1:
                    raise
        raise OSError("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class FakeAgent:
    def __init__(self, index, host, port, resources, stop):
        self.index = index
        self.host, self.port = host, port
        self.hostname = f"fake-agent-{index}.bench"
        self.resources = resources
        self.stop = stop
        self.agent_id = ""
        self.session = ""
        self.poll_timeout = 1.0
        self.lock = threading.Condition()
        self.tasks = {}        # task id -> [state, next seq]
        self.pending = {}      # uuid -> update dict, not yet acknowledged
        self.registered = threading.Event()
        self.launches = 0
        self.kills = 0
        self.registrations = 0
        self.threads = []

    # --- protocol -------------------------------------------------------------------------------

    def register(self, conn):
        with self.lock:
            reports = [{"task_id": tid, "state": st[0]} for tid, st in self.tasks.items()
                       if st[0] not in ("TASK_KILLED",)]
        body = {"agent_id": self.agent_id, "hostname": self.hostname, "port": 5051,
                "resources": self.resources, "attributes": "", "boot_id": "fake-boot",
                "version": "fake-agent", "tasks": reports}
        while not self.stop.is_set():
            try:
                status, payload = conn.post("/agent/v1/register", body)
            except OSError:
                time.sleep(0.1)
                continue
            if status == 200:
                reply = json.loads(payload)
                with self.lock:
                    self.agent_id = reply["agent_id"]
                    self.session = reply["session"]
                    self.poll_timeout = reply["poll_timeout_ms"] / 1000
                    self.registrations += 1
                self.registered.set()
                return
            time.sleep(0.1)

    def _update(self, task_id, state):
        entry = self.tasks.setdefault(task_id, [state, 1])
        entry[0] = state
        update = {"uuid": str(uuid.uuid4()), "task_id": task_id, "seq": entry[1], "state": state,
                  "reason": "",
                  "message": "simulated by bench/fake_agents.py",
                  "timestamp_ms": int(time.time() * 1000)}
        entry[1] += 1
        self.pending[update["uuid"]] = update

    def _apply(self, commands):
        with self.lock:
            for command in commands:
                if command["type"] == "LAUNCH":
                    task_id = command["task"]["task_id"]
                    if task_id in self.tasks:
                        continue
                    self.launches += 1
                    self._update(task_id, "TASK_STARTING")
                    self._update(task_id, "TASK_RUNNING")
                elif command["type"] == "KILL":
                    task_id = command["task_id"]
                    entry = self.tasks.get(task_id)
                    if entry is None or entry[0] == "TASK_KILLED":
                        continue
                    self.kills += 1
                    self._update(task_id, "TASK_KILLED")
            self.lock.notify_all()

    def poll_loop(self):
        conn = _Connection(self.host, self.port, timeout=30)
        self.register(conn)
        while not self.stop.is_set():
            with self.lock:
                ref = {"agent_id": self.agent_id, "session": self.session}
            try:
                status, payload = conn.post("/agent/v1/poll", ref)
            except OSError:
                time.sleep(0.1)
                continue
            if status == 409:
                self.register(conn)
                continue
            if status != 200:
                time.sleep(0.1)
                continue
            commands = json.loads(payload).get("commands", [])
            if commands:
                self._apply(commands)
        conn.close()

    def status_loop(self, batch=1000):
        conn = _Connection(self.host, self.port, timeout=30)
        self.registered.wait()
        while not self.stop.is_set():
            with self.lock:
                if not self.pending:
                    self.lock.wait(timeout=0.2)
                    continue
                updates = list(self.pending.values())[:batch]
                ref = {"agent_id": self.agent_id, "session": self.session}
            try:
                status, payload = conn.post("/agent/v1/status", dict(ref, updates=updates))
            except OSError:
                time.sleep(0.1)
                continue
            if status != 200:  # 409: the poll loop registers again; retry afterwards
                time.sleep(0.05)
                continue
            acks = json.loads(payload).get("acks", [])
            with self.lock:
                for ack in acks:
                    self.pending.pop(ack, None)
        conn.close()

    def start(self):
        for target in (self.poll_loop, self.status_loop):
            thread = threading.Thread(target=target, daemon=True,
                                      name=f"{target.__name__}-{self.index}")
            thread.start()
            self.threads.append(thread)

    def running(self):
        with self.lock:
            return sum(1 for st in self.tasks.values() if st[0] == "TASK_RUNNING")


class FakeCluster:
    """`count` fake agents against the master's agent port, each with `resources`."""

    def __init__(self, master, count, resources=None):
        host, port = master.rsplit(":", 1)
        self.stop = threading.Event()
        resources = resources or {"cpus": 1000.0, "mem": 4096000.0, "disk": 4096000.0,
                                  "ports": "[20000-60000]"}
        self.agents = [FakeAgent(i, host, int(port), resources, self.stop) for i in range(count)]

    def start(self, timeout=30):
        for agent in self.agents:
            agent.start()
        deadline = time.monotonic() + timeout
        for agent in self.agents:
            if not agent.registered.wait(max(0.0, deadline - time.monotonic())):
                raise RuntimeError(f"fake agent {agent.index} did not register")

    def shutdown(self):
        self.stop.set()
        for agent in self.agents:
            with agent.lock:
                agent.lock.notify_all()
        for agent in self.agents:
            for thread in agent.threads:
                thread.join(timeout=3)

    def stats(self):
        return {"launches": sum(a.launches for a in self.agents),
                "kills": sum(a.kills for a in self.agents),
                "running": sum(a.running() for a in self.agents),
                "unacked": sum(len(a.pending) for a in self.agents),
                "registrations": sum(a.registrations for a in self.agents)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--master", required=True, help="the master's agent address, host:port")
    parser.add_argument("--agents", type=int, default=10)
    parser.add_argument("--stats_interval", type=float, default=0,
                        help="print a JSON line of counters every this many seconds (0: never)")
    args = parser.parse_args()

    cluster = FakeCluster(args.master, args.agents)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    cluster.start()
    print(f"fake agents: {args.agents} registered", flush=True)
    while not done.wait(args.stats_interval or 3600):
        if args.stats_interval:
            print(json.dumps(cluster.stats()), flush=True)
    cluster.shutdown()
    print(json.dumps(cluster.stats()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
