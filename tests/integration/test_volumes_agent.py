"""Volumes on a live agent: a bare task names a blockpool volume, the agent stages and publishes it
and the task's supervisor binds it at its container path inside the task's own mount namespace;
after the task ends the agent unmounts it and lets go of the loop device, and the data stays in
the pool for the next task at a newer epoch, while an older epoch is refused."""

import os
import subprocess

from cluster import wait_for


def pool_flags(work_dir):
    pool = os.path.join(work_dir, "pool")
    return pool, [f"--volume_pool={pool}", "--volume_lease=5secs"]


def volume(epoch, container_path="data", read_only=False):
    return {"name": "itvol", "driver": "blockpool", "size_mib": 64, "fs_type": "ext4",
            "container_path": container_path, "read_only": read_only, "epoch": epoch}


def loop_devices_of(image):
    out = subprocess.run(["losetup", "-j", image], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def read(path):
    with open(path) as f:
        return f.read()


def test_a_volume_follows_its_tasks_through_the_pool_and_leaves_nothing_behind(cluster, work_dir):
    pool, flags = pool_flags(work_dir)
    node = cluster.node(extra_flags=flags)
    image = os.path.join(pool, "itvol.img")

    # The writer: its container path is a mount of its own, holding the volume's filesystem.
    writer = cluster.master.launch(
        name="writer", volumes=[volume(1)],
        cmd="grep -q \" $MESOS_SANDBOX/data \" /proc/self/mountinfo && "
            "echo acknowledged > data/row && sync data/row && ls data")
    cluster.master.wait_state(writer["id"], "TASK_FINISHED", timeout=30)
    assert "lost+found" in read(os.path.join(node.sandbox(writer["id"]), "stdout"))
    # The file went into the volume, not into the sandbox directory under the mount.
    assert not os.path.exists(os.path.join(node.sandbox(writer["id"]), "data", "row"))
    # Released once the container is gone: no mount of the volume left in the node, no loop device.
    wait_for(lambda: "itvol" not in node.mountinfo(), what="the volume's mounts to go")
    wait_for(lambda: loop_devices_of(image) == "", what="the loop device to go")
    assert read(os.path.join(pool, "itvol.epoch")).strip() == "1"



def test_reader_sees_the_writers_data_and_a_stale_epoch_is_refused(cluster, work_dir):
    pool, flags = pool_flags(work_dir)
    node = cluster.node(extra_flags=flags)
    image = os.path.join(pool, "itvol.img")

    writer = cluster.master.launch(name="writer", volumes=[volume(1)],
                                   cmd="echo acknowledged > data/row && sync data/row")
    cluster.master.wait_state(writer["id"], "TASK_FINISHED", timeout=30)
    wait_for(lambda: loop_devices_of(image) == "", what="the loop device to go")

    target = os.path.join(work_dir, "reader-data")
    reader = cluster.master.launch(
        name="reader", volumes=[volume(2, target, read_only=True)],
        cmd=f"cat {target}/row; touch {target}/other 2>/dev/null && echo writable || echo read-only")
    cluster.master.wait_state(reader["id"], "TASK_FINISHED", timeout=30)
    assert read(os.path.join(node.sandbox(reader["id"]), "stdout")).split() == ["acknowledged", "read-only"]
    # The bind mount lived in the task's namespace only: the host's directory is empty.
    assert os.listdir(target) == []
    wait_for(lambda: "itvol" not in node.mountinfo(), what="the volume's mounts to go")
    wait_for(lambda: loop_devices_of(image) == "", what="the loop device to go")

    # Epoch 1 was superseded by 2: storage itself refuses it, and the task fails naming the volume.
    stale = cluster.master.launch(name="stale", volumes=[volume(1)], cmd="touch data/late")
    failed = cluster.master.wait_state(stale["id"], "TASK_FAILED", timeout=30)
    assert "itvol" in str(failed), failed
    assert loop_devices_of(image) == ""


def test_a_task_without_volumes_is_unchanged_on_a_volume_agent(cluster, work_dir):
    _, flags = pool_flags(work_dir)
    node = cluster.node(extra_flags=flags)
    task = cluster.master.launch(name="plain", cmd="echo plain")
    cluster.master.wait_state(task["id"], "TASK_FINISHED")
    assert read(os.path.join(node.sandbox(task["id"]), "stdout")).strip() == "plain"
