"""Fencing on a live cluster: a node cut off from the master (its agent keeps running, behind a
proxy that stops forwarding) must stop its writer before the master lets the volume's app start
again elsewhere. Each writer stamps every write with the wall clock of the one machine all nodes
share here, so the proof is direct: the old writer's last write comes before the new writer's
first, and between the two epochs nothing overlaps."""

import os
import socket
import threading
import time

import pytest

from cluster import Master, Node, remove_cgroups, wait_for
from marathon_helpers import Marathon, poll
from test_app_volumes import external_app, volume_log


class CuttableProxy:
    """Forwards TCP connections to `target_port` until cut(); then it accepts and holds
    connections without forwarding a byte (a partition, not a refusal), so the agent sees its
    polls time out rather than fail fast."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.cut_off = threading.Event()
        self.sockets = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self):
        self.cut_off.set()
        with self.lock:
            for s in self.sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self.sockets.clear()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.sockets.append(client)
            if self.cut_off.is_set():
                continue  # held open, never answered
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self.lock:
                self.sockets.append(upstream)
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    def _pipe(self, source, sink):
        try:
            while not self.cut_off.is_set():
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.cut()
        self.listener.close()


# Appends "<task id> <wall clock>" to a log on the volume every 20 ms and echoes it to stdout,
# so the sandbox keeps the writer's own record even when its volume is gone.
WRITER = ("while true; do line=\"$MESOS_TASK_ID $(date +%s.%N)\"; "
          "echo \"$line\" >> data/log && echo \"$line\"; sleep 0.02; done")


@pytest.fixture
def partition_cluster(work_dir):
    pool = os.path.join(work_dir, "pool")
    os.makedirs(pool)
    master = Master(os.path.join(work_dir, "master")).start()
    proxy = CuttableProxy(master.port)
    nodes = []
    try:
        # The first node reaches the master only through the proxy.
        behind = Node(master, os.path.join(work_dir, "node-1"), hostname="127.0.0.2",
                      extra_flags=[f"--volume_pool={pool}"])
        behind.start_agent = _through(behind, proxy)
        nodes.append(behind)
        behind.start()
        for i in (2, 3):
            node = Node(master, os.path.join(work_dir, f"node-{i}"), hostname=f"127.0.0.{i + 1}",
                        extra_flags=[f"--volume_pool={pool}"])
            nodes.append(node)
        yield master, proxy, nodes
    finally:
        for node in nodes:
            node.stop()
        proxy.close()
        master.stop()
        remove_cgroups()


def _through(node, proxy):
    """start_agent for `node` with the proxy's port standing in for the master's."""
    original = node.start_agent

    class ProxiedMaster:
        port = proxy.port

    def start_agent(master=None, wait=True):
        return original(master=ProxiedMaster, wait=wait)

    return start_agent


def stamps(node, task_id):
    """The wall-clock stamps the writer printed, in order."""
    return [float(line.split()[1]) for line in volume_log(node, task_id).splitlines()
            if line.startswith(task_id + " ")]


def test_a_cut_off_node_stops_writing_before_the_volume_moves(partition_cluster):
    master, proxy, nodes = partition_cluster
    api = Marathon(master)
    app = external_app("/writer", "fenced")
    app["cmd"] = WRITER
    api.ok("POST", "/v2/apps", app, expect=(201,))
    first = api.wait_running("/writer", 1, timeout=60)[0]
    assert first["slaveId"] == nodes[0].agent_id()
    wait_for(lambda: len(stamps(nodes[0], first["id"])) > 10, what="the first writer to write")
    # Only now may other nodes take the app.
    for node in nodes[1:]:
        node.start()

    proxy.cut()
    second = poll(lambda: next((t for t in api.running("/writer") if t["id"] != first["id"]), None),
                  timeout=60, what="the app to run on another node")
    new_node = next(n for n in nodes if n.agent_id() == second["slaveId"])
    wait_for(lambda: len(stamps(new_node, second["id"])) > 10, what="the second writer to write")

    old, new = stamps(nodes[0], first["id"]), stamps(new_node, second["id"])
    assert old[-1] < new[0], f"the old writer wrote until {old[-1]}, the new one began at {new[0]}"
    # The old node's agent fenced itself: its writer is dead, not merely unheard of.
    count = len(old)
    time.sleep(1)
    assert len(stamps(nodes[0], first["id"])) == count, "the cut-off writer still writes"
    volume = api.get("/v2/volumes/fenced").body
    assert volume["attachment"]["agentId"] == second["slaveId"]
    assert volume["attachmentHistory"][-1]["endedBy"] == "fenced"
