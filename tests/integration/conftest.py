"""Fixtures: a fresh master and nodes per test, torn down whatever happens."""

import os
import shutil
import subprocess
import tempfile

import pytest

from cluster import BERTH, Master, Node, remove_cgroups


def pytest_configure(config):
    if os.geteuid() != 0:
        pytest.exit("integration tests need root (namespaces, cgroups, mounts)", returncode=1)
    if not os.path.exists(BERTH):
        pytest.exit(f"berth binary not found at {BERTH}; build first or set BERTH_BIN", returncode=1)


@pytest.fixture
def work_dir():
    path = tempfile.mkdtemp(prefix="berth-it-")
    yield path
    # BERTH_KEEP_WORK_DIRS=1 keeps logs and state of every test for a post-mortem.
    if not os.environ.get("BERTH_KEEP_WORK_DIRS"):
        unmount_below(path)
        shutil.rmtree(path, ignore_errors=True)


def unmount_below(path):
    """Unmounts whatever a test left mounted under `path` (deepest first), so that a failed test
    cannot leave mounts on the machine."""
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    for point in sorted((p for p in points if p == path or p.startswith(path + "/")),
                        key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True)


@pytest.fixture
def cluster(work_dir):
    """A started master; `cluster.node()` adds nodes. Everything stops at the end."""

    class Cluster:
        def __init__(self):
            self.master = Master(os.path.join(work_dir, "master")).start()
            self.nodes = []

        def node(self, **kwargs):
            node = Node(self.master, os.path.join(work_dir, f"node-{len(self.nodes) + 1}"), **kwargs)
            self.nodes.append(node)
            return node.start()

    c = Cluster()
    yield c
    for node in c.nodes:
        node.stop()
    c.master.stop()
    remove_cgroups()


@pytest.fixture
def marathon_cluster(work_dir):
    """A master and three nodes with distinct hostnames (127.0.0.2-4) and attributes
    (rack r1-r3; disk ssd on the first node, spinning on the others), sharing one blockpool
    directory (`.pool`); `.api` speaks the Marathon v2 API."""
    from marathon_helpers import Marathon

    class MarathonCluster:
        def __init__(self):
            self.master = Master(os.path.join(work_dir, "master")).start()
            self.nodes = []
            self.api = Marathon(self.master)
            self.pool = os.path.join(work_dir, "pool")

        def node_of(self, agent_id):
            return next(n for n in self.nodes if n.agent_id() == agent_id)

    c = MarathonCluster()
    os.makedirs(c.pool)
    try:
        for i in range(3):
            node = Node(c.master, os.path.join(work_dir, f"node-{i + 1}"), hostname=f"127.0.0.{i + 2}",
                        attributes=f"rack:r{i + 1};disk:{'ssd' if i == 0 else 'spinning'}",
                        extra_flags=[f"--volume_pool={c.pool}"])
            c.nodes.append(node)
            node.start()
        yield c
    finally:
        for node in c.nodes:
            node.stop()
        c.master.stop()
        remove_cgroups()
