"""A node that dies and comes back with the same work dir, while another node holds its volume.
On one kernel (every test cluster, `berth dev`) the node's mounts went with its mount namespace,
but its checkpoint survived and the image is attached again, maybe through the same loop device
number, by the node that holds the volume now. The node that comes back must see that its mounts
are gone, register at once, not fence itself, and leave the other node's mount alone."""

import os
import time

import pytest

from cluster import Master, Node, remove_cgroups
from marathon_helpers import Marathon, poll
from test_app_volumes import external_app

LEASE = 5.0  # the master's default --volume_lease


@pytest.fixture
def two_nodes(work_dir):
    pool = os.path.join(work_dir, "pool")
    os.makedirs(pool)
    master = Master(os.path.join(work_dir, "master")).start()
    nodes = [Node(master, os.path.join(work_dir, f"node-{i}"), hostname=f"127.0.0.{i + 1}",
                  extra_flags=[f"--volume_pool={pool}"]) for i in (1, 2)]
    try:
        for node in nodes:
            node.start()
        yield master, nodes
    finally:
        for node in nodes:
            node.stop()
        master.stop()
        remove_cgroups()


def attached(api):
    volume = api.get("/v2/volumes/dbdata").body
    return volume if volume["state"] == "ATTACHED" else None


def test_a_node_back_with_its_old_checkpoint_registers_at_once_and_leaves_the_new_owner_alone(
        two_nodes):
    master, nodes = two_nodes
    api = Marathon(master)
    api.ok("POST", "/v2/apps", external_app("/db", "dbdata"), expect=(201,))
    first = api.wait_running("/db", 1, timeout=60)[0]
    old = next(n for n in nodes if n.agent_id() == first["slaveId"])
    new = next(n for n in nodes if n is not old)
    poll(lambda: attached(api), what="the volume to be attached")

    old.kill()
    second = poll(lambda: next((t for t in api.running("/db") if t["id"] != first["id"]), None),
                  timeout=60, what="the app to run on the other node")
    volume = poll(lambda: attached(api), what="the volume attached to the other node")
    assert volume["attachment"]["agentId"] == new.agent_id()
    assert "dbdata" in new.mountinfo()
    assert os.listdir(os.path.join(old.work_dir, "meta", "volumes")) == ["dbdata.json"], \
        "the dead node's checkpoint still says the volume is mounted there"

    log_before = len(old.log())
    started = time.monotonic()
    old.start()  # a new namespace, the same work dir; returns once registered
    registered_after = time.monotonic() - started
    assert registered_after < LEASE / 2, registered_after

    # Longer than unstage used to wait for the other node's loop device (5 s), and than the
    # lease: a node that fenced itself, or failed a release, would have said so by now.
    time.sleep(LEASE + 1)
    log = old.log()[log_before:]
    assert "volumes recovered: 0 mounted, 1 claims of ended tasks to release" in log, log
    levels = {line.split()[2] for line in log.splitlines() if len(line.split()) > 2}
    assert levels == {"info"}, f"more than info in the restarted agent's log:\n{log}"
    for bad in ("FENCING", "fence", "still holds the image", "revoke"):
        assert bad not in log, f"{bad!r} in the restarted agent's log:\n{log}"
    assert os.listdir(os.path.join(old.work_dir, "meta", "volumes")) == []
    assert "dbdata" not in old.mountinfo()

    # The volume's owner kept its task, its mount and the attachment.
    assert [t["id"] for t in api.running("/db")] == [second["id"]]
    assert "dbdata" in new.mountinfo()
    assert attached(api)["attachment"] == volume["attachment"]
    assert not [e for e in master.log().splitlines() if "revok" in e and "dbdata" in e]
