"""berth dev survives the loss of one of its agents (a killed node stays down until SIGHUP brings
it back), and passes the master's timing flags and per-agent resources to what it starts."""

import os
import signal
import subprocess
import time

from cluster import BERTH, free_port, http, wait_for


def pids_of(pattern):
    found = subprocess.run(["pgrep", "-f", "--", pattern], capture_output=True, text=True).stdout
    return [int(p) for p in found.split()]


def cmdline(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().decode().split("\0")


def test_killed_dev_agent_stays_down_until_sighup(work_dir):
    port, http_port, agent_port = free_port(), free_port(), free_port()
    dev_dir = f"{work_dir}/dev"
    log_path = f"{work_dir}/dev.log"
    log = open(log_path, "w")
    # Explicit ports, agent port included, so that a dev cluster already running here does not
    # collide with this one.
    dev = subprocess.Popen(
        [BERTH, "dev", "--agents=2", f"--work_dir={dev_dir}", f"--port={port}",
         f"--http_port={http_port}", f"--agent_port={agent_port}",
         "--heartbeat_interval=200ms", "--max_missed_heartbeats=3", "--volume_lease=3secs",
         "--resources=cpus:1;mem:512", "--resources=cpus:2;ports:[40000-40099]"],
        stdout=log, stderr=subprocess.STDOUT, text=True)

    def slaves():
        try:
            status, body = http("GET", f"http://127.0.0.1:{port}/master/slaves", timeout=1)
        except OSError:
            return None
        return {a["hostname"]: a for a in body["slaves"]} if status == 200 else None

    def agent_pid(n):
        found = pids_of(f"--work_dir={dev_dir}/agent-{n} ")
        return found[0] if found else None

    try:
        agents = wait_for(lambda: (s := slaves()) and len(s) == 2 and
                          all(a["active"] for a in s.values()) and s, timeout=20, what="2 agents")
        # Per-agent resources, laid over each agent's default share.
        first, second = agents["127.0.0.2"], agents["127.0.0.3"]
        assert (first["resources"]["cpus"], first["resources"]["mem"]) == (1, 512)
        assert first["resources"]["ports"] == "[31000-31499]"  # below the ephemeral ports
        assert second["resources"]["cpus"] == 2
        assert second["resources"]["ports"] == "[40000-40099]"
        assert second["resources"]["disk"] == 10240
        # The timing flags reach the master; the lease reaches the agents too.
        master_pid = pids_of(f"--work_dir={dev_dir}/master ")[0]
        assert "--heartbeat_interval=200ms" in cmdline(master_pid)
        assert "--max_missed_heartbeats=3" in cmdline(master_pid)
        assert "--volume_lease=3secs" in cmdline(master_pid)
        assert "--volume_lease=3secs" in cmdline(agent_pid(2))
        assert open(f"{dev_dir}/dev.pid").read().strip() == str(dev.pid)

        killed = agent_pid(2)
        os.kill(killed, signal.SIGKILL)
        # 3 missed beats of 200 ms: unreachable in about a second, not the default's 5.
        wait_for(lambda: slaves()["127.0.0.3"]["status"] == "UNREACHABLE", timeout=3,
                 what="agent 2 unreachable")
        time.sleep(1)
        assert dev.poll() is None, "berth dev keeps running"
        assert slaves()["127.0.0.2"]["active"], "the other agent stays up"
        assert agent_pid(2) is None, "a killed agent stays down until asked"
        text = open(log_path).read()
        assert "agent 2 (127.0.0.3) was killed by signal 9" in text, text
        assert f"kill -HUP {dev.pid}" in text, text

        # Asked: berth dev starts it again on its work dir, under the same agent id.
        dev.send_signal(signal.SIGHUP)
        wait_for(lambda: slaves()["127.0.0.3"]["active"], timeout=20, what="agent 2 back")
        assert slaves()["127.0.0.3"]["id"] == second["id"]
        assert agent_pid(2) not in (None, killed)
    finally:
        dev.send_signal(signal.SIGTERM)
        dev.wait(timeout=30)
        log.close()
    assert dev.returncode == 0, open(log_path).read()
    time.sleep(0.1)
    assert pids_of(dev_dir) == [], "processes left behind"
    assert not os.path.exists(f"{dev_dir}/dev.pid")
    assert dev_dir not in open("/proc/mounts").read(), "the restarted agent cleans up too"


def test_dev_flags_are_checked_before_anything_starts(work_dir):
    def dev(*flags):
        return subprocess.run(
            [BERTH, "dev", "--agents=2", f"--work_dir={work_dir}/dev", f"--port={free_port()}",
             f"--http_port={free_port()}", f"--agent_port={free_port()}", *flags],
            capture_output=True, text=True, timeout=10)

    result = dev("--heartbeat_interval=soon")
    assert result.returncode == 2
    assert "invalid duration 'soon'" in result.stderr
    result = dev("--resources=cpus")
    assert result.returncode == 2
    assert "--resources" in result.stderr
    result = dev("--resources=cpus:1", "--resources=cpus:1", "--resources=cpus:1")
    assert result.returncode == 2
    assert "--resources given 3 times for 2 agents" in result.stderr


def test_every_daemon_flag_shows_its_default():
    for command, expected in [
        ("master", ["--work_dir,--work-dir TEXT=/var/lib/berth/master",
                    "--heartbeat-interval TEXT=1secs", "this machine's hostname"]),
        ("agent", ["TEXT=/var/lib/berth/agent", "--master TEXT=127.0.0.1:5050",
                   "--volume-lease TEXT=5secs"]),
        ("dev", ["TEXT=/tmp/berth-dev", "--agents INT:INT in [1 - 50]=3", "UINT=5051",
                 "--heartbeat-interval TEXT=1secs",
                 "--max-missed-heartbeats INT:INT in [1 - 1000]=5"]),
    ]:
        result = subprocess.run([BERTH, command, "--help"], capture_output=True, text=True)
        assert result.returncode == 0
        for text in expected:
            assert text in result.stdout, f"berth {command} --help lacks {text}:\n{result.stdout}"
