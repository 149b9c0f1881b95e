"""Fixtures: a fresh master and nodes per test, torn down whatever happens."""

import os
import shutil
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
    shutil.rmtree(path, ignore_errors=True)


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
