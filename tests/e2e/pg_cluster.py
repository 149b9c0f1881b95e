"""The end-to-end tests' cluster and app: a real master and three real nodes (agents in their own
pid and mount namespaces, from tests/integration/cluster.py) sharing one blockpool volume pool, the
PostgreSQL app that runs on them, and waiting for it to take writes. Used by tests/e2e and by
bench/failover.py."""

import importlib.util
import os
import random
import socket
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# The integration tests' harness, imported where it lives rather than copied.
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from cluster import BERTH, Master, Node, remove_cgroups  # noqa: E402
from marathon_helpers import Marathon, poll  # noqa: E402

PG_BIN = "/usr/lib/postgresql/15/bin"
LAUNCHER = os.path.join(HERE, "pg_launch.sh")


def _integration_conftest():
    # Loaded under a name of its own: both directories' files are called conftest.py.
    spec = importlib.util.spec_from_file_location(
        "integration_conftest", os.path.join(HERE, "..", "integration", "conftest.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


unmount_below = _integration_conftest().unmount_below


def detach_loop_devices_below(path):
    """Detaches loop devices backed by files under `path`. The agents set autoclear, so a device
    goes with its last mount; this is for a test that failed somewhere in between."""
    listing = subprocess.run(["losetup", "--list", "--noheadings", "--output", "NAME,BACK-FILE"],
                             capture_output=True, text=True).stdout
    for line in listing.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2 and parts[1].strip().startswith(path + "/"):
            subprocess.run(["losetup", "-d", parts[0]], capture_output=True)


def free_port_block(size=100):
    """The first port of `size` ports below the ephemeral range that nothing on this machine
    listens on now. Other clusters on a shared machine (the integration tests, dev clusters) give
    their agents blocks of 31000-32699, and their tasks may bind 0.0.0.0: a PostgreSQL that lands on such a
    port fails to start with "Address already in use"."""
    for _ in range(50):
        base = random.randrange(20000, 30000 - size, size)
        try:
            for port in range(base, base + size):
                with socket.socket() as probe:
                    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    probe.bind(("0.0.0.0", port))
            return base
        except OSError:
            continue
    raise AssertionError("no free block of ports in 20000-29999")


class PgCluster:
    """A master and three nodes (127.0.0.2-4) whose agents share `pool` as --volume_pool. The
    master declares an agent unreachable after `missed` heartbeats of `heartbeat` (the integration
    tests' 200 ms x 3 unless told otherwise; Berth's defaults are 1 s x 5)."""

    def __init__(self, work_dir, nodes=3, master_flags=(), agent_flags=(), heartbeat="200ms", missed=3):
        self.work_dir = work_dir
        self.pool = os.path.join(work_dir, "pool")
        self.master = Master(os.path.join(work_dir, "master"), heartbeat=heartbeat, missed=missed)
        self.master.flags += list(master_flags)
        self.api = Marathon(self.master)
        ports = free_port_block()
        self.nodes = [Node(self.master, os.path.join(work_dir, f"node-{i + 1}"), hostname=f"127.0.0.{i + 2}",
                           resources=f"cpus:2;mem:1024;disk:4096;ports:[{ports}-{ports + 99}]",
                           extra_flags=[f"--volume_pool={self.pool}"] + list(agent_flags))
                      for i in range(nodes)]
        try:
            self.master.start()
            for node in self.nodes:
                node.start()
                # Kept on the node: a killed node can no longer say its own id.
                node.known_id = node.agent_id()
        except BaseException:
            self.stop()
            raise

    @property
    def api_url(self):
        return self.api.base

    def node_of(self, agent_id):
        for node in self.nodes:
            if node.known_id == agent_id:
                return node
        raise AssertionError(f"no node runs agent {agent_id}")

    def stop(self):
        for node in self.nodes:
            node.stop()
        self.master.stop()
        remove_cgroups()


def pg_app(app_id, volume=None, cmd=None, **extra):
    """The PostgreSQL app: the launcher by absolute path (tasks see the host's root filesystem),
    one port, enough memory for a small server, stop-then-start replacement (a volume has one
    writer) and time for a fast shutdown."""
    app = {
        "id": app_id,
        "cmd": cmd or f"exec {LAUNCHER}",
        "cpus": 0.5, "mem": 256, "instances": 1,
        "portDefinitions": [{"port": 0, "name": "pg"}],
        "upgradeStrategy": {"minimumHealthCapacity": 0, "maximumOverCapacity": 0},
        "taskKillGracePeriodSeconds": 10,
    }
    if volume is not None:
        app["container"] = {"type": "MESOS", "volumes": [volume]}
    app.update(extra)
    return app


def external_volume(name, container_path="pgdata"):
    """A Marathon external volume (DVDI, REX-Ray's driver name; Berth's blockpool behind it)."""
    return {"containerPath": container_path, "mode": "RW",
            "external": {"name": name, "provider": "dvdi", "size": 1,
                         "options": {"dvdi/driver": "rexray"}}}


def persistent_volume(size_mib=512, container_path="pgdata"):
    """A Marathon local persistent volume: the app becomes resident on the agent holding it."""
    return {"containerPath": container_path, "mode": "RW", "persistent": {"size": size_mib}}


def wait_accepting_writes(api_url, app_id, timeout=60):
    """Waits until the app's current task takes a committed write; returns that task."""
    import psycopg2
    from pg_workload import running_task, connect, one_line

    def attempt():
        task = running_task(api_url, app_id)
        if not task:
            return None
        try:
            connection = connect(task["host"], task["ports"][0])
        except psycopg2.Error as error:
            attempt.last = one_line(error)
            return None
        try:
            with connection.cursor() as cursor:
                cursor.execute("CREATE TABLE IF NOT EXISTS probe (at timestamptz)")
                cursor.execute("INSERT INTO probe VALUES (now())")
            return task
        except psycopg2.Error as error:
            attempt.last = one_line(error)
            return None
        finally:
            connection.close()

    attempt.last = None
    return poll(attempt, timeout=timeout, interval=0.1, what=f"PostgreSQL of {app_id} to accept writes")


def sandbox_log(node, task_id, name="stderr"):
    try:
        with open(os.path.join(node.sandbox(task_id), name)) as f:
            return f.read()
    except OSError as error:
        return f"({error})"
