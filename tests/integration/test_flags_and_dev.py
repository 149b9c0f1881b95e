"""The command line: bad flags get clear errors; berth dev starts a cluster and cleans up."""

import os
import signal
import subprocess
import time

from cluster import BERTH, free_port, http, start_plain_agent, wait_for


def run(*args, timeout=10):
    return subprocess.run([BERTH, *args], capture_output=True, text=True, timeout=timeout)


def test_unknown_flag_is_named():
    result = run("master", "--no_such_flag=1")
    assert result.returncode == 2
    assert "--no_such_flag" in result.stderr


def test_malformed_resources_are_explained():
    result = run("agent", "--resources=cpus;mem:1")
    assert result.returncode == 2
    assert "invalid resource 'cpus': expected name:value" in result.stderr
    result = run("agent", "--resources=ports:[2000-1000]")
    assert result.returncode == 2
    assert "2000 is greater than 1000" in result.stderr


def test_malformed_attributes_are_explained():
    result = run("agent", "--attributes=disk")
    assert result.returncode == 2
    assert "invalid attribute 'disk'" in result.stderr


def test_bad_state_backend_and_duration():
    assert run("master", "--state=postgres").returncode == 2
    result = run("master", "--heartbeat_interval=soon")
    assert result.returncode == 2
    assert "invalid duration 'soon'" in result.stderr


def test_unwritable_work_dir_is_a_clear_error(work_dir):
    blocker = os.path.join(work_dir, "file")
    open(blocker, "w").close()
    result = run("master", f"--work_dir={blocker}/state", f"--port={free_port()}",
                 f"--http_port={free_port()}", "--ip=127.0.0.1")
    assert result.returncode == 1
    assert "master work dir" in result.stderr


def test_agent_retries_an_unreachable_master_and_says_so(work_dir):
    class Nowhere:
        port = free_port()
    agent, log_path = start_plain_agent(Nowhere, os.path.join(work_dir, "agent"))
    try:
        wait_for(lambda: open(log_path).read().count("registration with the master failed") >= 2,
                 what="two announced retries")
        text = open(log_path).read()
        assert f"127.0.0.1:{Nowhere.port}" in text
        assert agent.poll() is None, "the agent keeps trying"
    finally:
        agent.kill()
        agent.wait()


def berth_cgroups():
    found = []
    for root in ("/sys/fs/cgroup/memory/berth", "/sys/fs/cgroup/cpu/berth", "/sys/fs/cgroup/berth"):
        for dirpath, dirnames, _ in os.walk(root):
            found.extend(os.path.join(dirpath, d) for d in dirnames)
    return found


def test_dev_cluster_starts_serves_and_stops_cleanly(work_dir):
    port, http_port, agent_port = free_port(), free_port(), free_port()
    # Its own agent port too, so that a dev cluster already running on this machine does not
    # collide with this one.
    dev = subprocess.Popen(
        [BERTH, "dev", "--agents=3", f"--work_dir={work_dir}/dev", f"--port={port}",
         f"--http_port={http_port}", f"--agent_port={agent_port}", "--attributes=disk:spinning", "--attributes=disk:ssd"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        def slaves():
            try:
                status, body = http("GET", f"http://127.0.0.1:{port}/master/slaves", timeout=1)
            except OSError:
                return None
            return body["slaves"] if status == 200 and len(body["slaves"]) == 3 else None
        agents = wait_for(slaves, timeout=15, what="3 agents")
        assert sorted(a["hostname"] for a in agents) == ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
        disks = sorted(a["attributes"].get("disk", "-") for a in agents)
        assert disks == ["-", "spinning", "ssd"]
        status, task = http("POST", f"http://127.0.0.1:{port}/master/tasks",
                            {"cmd": "sleep 300", "name": "dev-sleeper"})
        assert status == 201
        wait_for(lambda: http("GET", f"http://127.0.0.1:{port}/master/tasks/{task['id']}")[1]["state"]
                 == "TASK_RUNNING", what="task running")
    finally:
        dev.send_signal(signal.SIGTERM)
        output = dev.communicate(timeout=30)[0]
    assert dev.returncode == 0, output
    time.sleep(0.1)
    leftover = subprocess.run(["pgrep", "-f", f"{work_dir}/dev"], capture_output=True, text=True)
    assert leftover.stdout.strip() == "", "processes left behind: " + leftover.stdout
    left = [c for c in berth_cgroups() if task["id"] in c]
    assert left == [], "cgroups left behind: %s" % left
    mounts = open("/proc/mounts").read()
    assert f"{work_dir}/dev" not in mounts
