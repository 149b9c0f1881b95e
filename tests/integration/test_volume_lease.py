"""Fencing while the agent process itself is down: tasks outlive their agent, so the supervisor
of a task with an external volume stops it when the node's volume lease runs out, before the
master may give the volume to another node, and shuts the volume's filesystem down, since it
stays mounted on the node with no agent to unmount it; tasks without external volumes run on.
The agent that comes back reports the task failed, naming the lease, and releases the volume:
its unmount writes nothing more to the image."""

import hashlib
import os
import subprocess
import time

from cluster import Master, Node, remove_cgroups, wait_for
from test_recovery import task_pids

LEASE = 3.0  # the master's --volume_lease; the agent is given a longer one and must take this
DRIFT = 1.0  # the master's --volume_drift_margin
HEARTBEAT = 0.2  # the master's --heartbeat_interval (cluster.Master's default): polls come this often


def alive(pid):
    """Running, not a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def loop_devices_of(image):
    out = subprocess.run(["losetup", "-j", image], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def image_digest(image):
    """The image's bytes as another node would read them from the pool."""
    with open(image, "rb") as f:
        os.fsync(f.fileno())
        return hashlib.sha256(f.read()).hexdigest()


def write_in_node(node, path):
    """Writes a file at `path` in the node's mount namespace (where the agent mounted the volume);
    returns the shell's error, empty if the write went through."""
    out = subprocess.run(["nsenter", f"--target={node._init_pid()}", "--mount", "--",
                          "sh", "-c", f"echo late > {path}"], capture_output=True, text=True)
    return out.stderr if out.returncode != 0 else ""


def test_a_task_with_an_external_volume_dies_with_the_lease_when_its_agent_is_killed(work_dir):
    master = Master(os.path.join(work_dir, "master"))
    master.flags += [f"--volume_lease={int(LEASE)}secs", f"--volume_drift_margin={int(DRIFT)}secs"]
    pool = os.path.join(work_dir, "pool")
    node = Node(master, os.path.join(work_dir, "node-1"),
                extra_flags=[f"--volume_pool={pool}", "--volume_lease=10secs"])
    try:
        master.start()
        node.start()
        # The registration reply's lease is shorter than the agent's flag: it wins, and says so.
        assert "using the shorter, 3000 ms" in node.log()

        volume = {"name": "leasevol", "driver": "blockpool", "size_mib": 64, "fs_type": "ext4",
                  "container_path": "data", "epoch": 1}
        writer = master.launch(name="writer", volumes=[volume],
                               cmd="while true; do date >> data/log; sleep 0.05; done")
        plain = master.launch(name="plain", cmd="sleep 300")
        master.wait_state(writer["id"], "TASK_RUNNING", timeout=30)
        master.wait_state(plain["id"], "TASK_RUNNING")
        writer_pids = wait_for(lambda: task_pids(node, writer["id"]), timeout=5, what="writer pids")
        plain_pids = wait_for(lambda: task_pids(node, plain["id"]), timeout=5, what="plain pids")

        # Only the agent process dies (SIGKILL), not the node: its tasks and mounts stay.
        killed_at = time.monotonic()
        node.kill_agent()
        assert all(alive(pid) for pid in writer_pids), "the agent's death alone kills nothing"

        wait_for(lambda: not any(alive(pid) for pid in writer_pids), timeout=LEASE + 3,
                 interval=0.01, what="the writer to die with the lease")
        dead_after = time.monotonic() - killed_at
        # The lease ran from the last answered poll, sent at most a poll interval (plus a little)
        # before the kill: the writer died of it, not at once.
        assert dead_after >= LEASE - HEARTBEAT - 0.3, dead_after
        # Within the lease plus one check interval (0.25 s) and a margin ...
        assert dead_after <= LEASE + 0.25 + 0.35, dead_after
        # ... and before the master's fence: its last acknowledgement came at most a poll interval
        # before the kill, and it releases the volume at that acknowledgement + lease + drift.
        assert dead_after < LEASE + DRIFT - HEARTBEAT - 0.1, dead_after
        assert all(alive(pid) for pid in plain_pids), "a task without volumes runs on"

        # The volume is still mounted on the node (no agent unmounted it), but its filesystem is
        # shut down: nothing on this node writes to the image any more.
        staging = os.path.join(node.work_dir, "volume_mounts", "leasevol", "staging")
        assert "leasevol/staging" in node.mountinfo()
        refused = wait_for(lambda: write_in_node(node, os.path.join(staging, "late")), timeout=2,
                           what="writes to the volume to be refused")
        assert "Input/output error" in refused, refused
        assert time.monotonic() - killed_at < LEASE + DRIFT - HEARTBEAT, "shut down too late"
        image = os.path.join(pool, "leasevol.img")
        fenced = image_digest(image)
        time.sleep(1)
        assert image_digest(image) == fenced, "the shut-down filesystem still writes"

        # The agent comes back: the task failed, and the message names the lease and the volume.
        log_before = len(node.log())
        node.start_agent()
        failed = master.wait_state(writer["id"], "TASK_FAILED", timeout=15)
        message = failed["statuses"][-1]["message"]
        assert "lease on volume leasevol expired" in message, failed
        assert "synced and shut down the volumes' filesystems" in message, failed
        assert master.task(plain["id"])["state"] == "TASK_RUNNING"
        # Its claim released, the volume is unmounted and its loop device gone.
        wait_for(lambda: "leasevol" not in node.mountinfo(), timeout=15,
                 what="the volume's mounts to go")
        wait_for(lambda: loop_devices_of(image) == "", timeout=15, what="the loop device to go")
        # Unmounting the shut-down filesystem wrote nothing to the image, and took no retries.
        assert image_digest(image) == fenced, "the unmount wrote to the image"
        log = node.log()[log_before:]
        assert not [line for line in log.splitlines() if " error " in line or "retrying" in line], log
    finally:
        node.stop()
        master.stop()
        remove_cgroups()
