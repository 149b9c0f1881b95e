"""Real Berth processes for integration tests: a master, and "nodes" that each run an agent in
their own pid and mount namespaces, so that killing a node kills its tasks and drops its mounts as
a crashed machine would. Everything listens on loopback only."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

BERTH = os.environ.get("BERTH_BIN", os.path.join(os.path.dirname(__file__), "../../build/release/bin/berth"))

# pid 1 of a node: reaps every orphan (tasks whose agent died are re-parented to it).
NODE_INIT = (
    "import os, time\n"
    "while True:\n"
    "    try:\n"
    "        os.wait()\n"
    "    except ChildProcessError:\n"
    "        time.sleep(0.05)\n"
)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=10.0, interval=0.02, what="condition"):
    """Polls `predicate` until it returns a truthy value; fails the test after `timeout`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def http(method, url, body=None, timeout=5):
    """Returns (status, parsed JSON or text)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read().decode()
            status = response.status
    except urllib.error.HTTPError as error:
        raw = error.read().decode()
        status = error.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw


class Master:
    def __init__(self, work_dir, state="sqlite", heartbeat="200ms", missed=3, reregister="3secs"):
        self.work_dir = work_dir
        self.port = free_port()
        self.http_port = free_port()
        self.state = state
        self.flags = [f"--heartbeat_interval={heartbeat}", f"--max_missed_heartbeats={missed}",
                      f"--agent_reregister_timeout={reregister}"]
        self.process = None
        self.log_path = os.path.join(work_dir, "master.log")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        os.makedirs(self.work_dir, exist_ok=True)
        log = open(self.log_path, "a")
        self.process = subprocess.Popen(
            [BERTH, "master", f"--work_dir={self.work_dir}", f"--port={self.port}",
             f"--http_port={self.http_port}", "--ip=127.0.0.1", "--hostname=127.0.0.1",
             f"--state={self.state}"] + self.flags,
            stdout=log, stderr=subprocess.STDOUT)
        wait_for(self.healthy, what="master health")
        return self

    def healthy(self):
        try:
            return http("GET", self.url + "/health", timeout=1)[0] == 200
        except OSError:
            return False

    def kill(self):
        self.process.kill()
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def get(self, path):
        return http("GET", self.url + path)

    def slaves(self):
        return self.get("/master/slaves")[1]["slaves"]

    def active_agents(self):
        return [s for s in self.slaves() if s["active"]]

    def launch(self, **body):
        status, task = http("POST", self.url + "/master/tasks", body)
        assert status == 201, (status, task)
        return task

    def task(self, task_id):
        status, task = self.get("/master/tasks/" + task_id)
        assert status == 200, (status, task)
        return task

    def wait_state(self, task_id, state, timeout=10):
        return wait_for(lambda: self.task(task_id) if self.task(task_id)["state"] == state else None,
                        timeout=timeout, what=f"{task_id} to reach {state}")

    def kill_task(self, task_id):
        return http("DELETE", self.url + "/master/tasks/" + task_id)

    def log(self):
        with open(self.log_path) as f:
            return f.read()


# Nodes share the machine's network namespace, and a task that binds every address on its port
# would collide with another node's task given the same number: each node offers its own block of
# 100 ports, taken in turn from 31000-32699 (below the kernel's ephemeral ports, 32768 and up).
_PORT_BLOCKS = 17
_next_port_block = [0]


def default_node_resources():
    block = _next_port_block[0] % _PORT_BLOCKS
    _next_port_block[0] += 1
    first = 31000 + 100 * block
    return f"cpus:2;mem:1024;disk:1024;ports:[{first}-{first + 99}]"


class Node:
    """An agent in its own pid and mount namespaces."""

    def __init__(self, master, work_dir, attributes="", resources=None,
                 extra_flags=(), hostname="127.0.0.1"):
        # Any 127.0.0.0/8 address reaches loopback; distinct ones give hostname constraints
        # distinct hosts (the master reaches an agent at its hostname).
        self.hostname = hostname
        self.master = master
        self.extra_flags = list(extra_flags)
        self.work_dir = work_dir
        self.port = free_port()
        self.attributes = attributes
        self.resources = resources or default_node_resources()
        self.namespace = None
        self.agent = None
        self.log_path = os.path.join(work_dir, "agent.log")

    def start(self):
        os.makedirs(self.work_dir, exist_ok=True)
        self.namespace = subprocess.Popen(
            ["unshare", "--pid", "--fork", "--kill-child", "--mount", "--propagation", "private",
             "/usr/bin/python3", "-c", NODE_INIT])
        wait_for(lambda: self._init_pid(), what="node init")
        return self.start_agent()

    def _init_pid(self):
        try:
            with open(f"/proc/{self.namespace.pid}/task/{self.namespace.pid}/children") as f:
                children = f.read().split()
            return int(children[0]) if children else None
        except (FileNotFoundError, ValueError):
            return None

    def start_agent(self, master=None, wait=True):
        master = master or self.master
        log = open(self.log_path, "a")
        self.agent = subprocess.Popen(
            ["nsenter", f"--target={self._init_pid()}", "--pid", "--mount", "--",
             BERTH, "agent", f"--master=127.0.0.1:{master.port}", f"--work_dir={self.work_dir}",
             f"--port={self.port}", f"--ip={self.hostname}", f"--hostname={self.hostname}",
             f"--resources={self.resources}"] + ([f"--attributes={self.attributes}"] if self.attributes else [])
            + self.extra_flags,
            stdout=log, stderr=subprocess.STDOUT)
        if wait:
            wait_for(lambda: self.agent_id(), what="agent registration")
        return self

    def agent_pid(self):
        """The agent's pid on the host (nsenter forks it)."""
        try:
            with open(f"/proc/{self.agent.pid}/task/{self.agent.pid}/children") as f:
                children = f.read().split()
            return int(children[0]) if children else None
        except FileNotFoundError:
            return None

    def agent_id(self):
        try:
            status, state = http("GET", f"http://{self.hostname}:{self.port}/state", timeout=1)
        except OSError:
            return None
        return state["id"] if status == 200 and state.get("registered") else None

    def kill_agent(self):
        pid = self.agent_pid()
        if pid:
            os.kill(pid, signal.SIGKILL)
        self.agent.wait()

    def kill(self):
        """The machine dies: pid 1 of the node goes, and with it every process inside."""
        self.namespace.kill()
        self.namespace.wait()
        if self.agent:
            self.agent.wait()

    def stop(self):
        if self.namespace and self.namespace.poll() is None:
            self.kill()
        remove_cgroups(self.work_dir)

    def mountinfo(self):
        """The mount table of the node's mount namespace (where the agent mounts volumes)."""
        with open(f"/proc/{self._init_pid()}/mountinfo") as f:
            return f.read()

    def sandbox(self, task_id):
        return os.path.join(self.work_dir, "sandboxes", task_id)

    def log(self):
        with open(self.log_path) as f:
            return f.read()


def remove_cgroups(_work_dir=None):
    """Removes empty Berth cgroups, which a killed node leaves behind (no agent survives it to
    clean up). Only empty cgroups can be removed, so live ones are untouched."""
    for root in ("/sys/fs/cgroup", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/cpu", "/sys/fs/cgroup/pids",
                 "/sys/fs/cgroup/cpuacct"):
        base = os.path.join(root, "berth")
        if not os.path.isdir(base):
            continue
        for dirpath, dirnames, _ in os.walk(base, topdown=False):
            for name in dirnames:
                try:
                    os.rmdir(os.path.join(dirpath, name))
                except OSError:
                    pass


def start_plain_agent(master, work_dir, hostname="127.0.0.1", extra=()):
    """An agent outside any node namespace, for tests of the agent process itself. Returns the
    process and the path of its log."""
    os.makedirs(work_dir, exist_ok=True)
    log_path = os.path.join(work_dir, "agent.log")
    process = subprocess.Popen(
        [BERTH, "agent", f"--master=127.0.0.1:{master.port}", f"--work_dir={work_dir}",
         f"--port={free_port()}", "--ip=127.0.0.1", f"--hostname={hostname}",
         "--resources=cpus:1;mem:128;disk:100"] + list(extra),
        stdout=open(log_path, "a"), stderr=subprocess.STDOUT)
    return process, log_path
