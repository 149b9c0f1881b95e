"""Launching, killing and limiting real tasks on real agents."""

import os
import time

from cluster import http, wait_for


def read(path):
    with open(path) as f:
        return f.read()


def test_agents_register_with_resources_and_attributes(cluster):
    cluster.node(attributes="disk:ssd;rack:r1")
    cluster.node(attributes="disk:spinning")
    slaves = wait_for(lambda: len(cluster.master.active_agents()) == 2 and cluster.master.slaves(),
                      what="two active agents")
    by_disk = {s["attributes"]["disk"]: s for s in slaves}
    assert set(by_disk) == {"ssd", "spinning"}
    ssd = by_disk["ssd"]
    assert ssd["resources"]["cpus"] == 2
    assert ssd["resources"]["mem"] == 1024
    first, last = (int(p) for p in ssd["resources"]["ports"].strip("[]").split("-"))
    assert last - first == 99 and 31000 <= first and last < 32768  # the harness's block
    assert ssd["attributes"]["rack"] == "r1"
    assert ssd["pid"].startswith("slave(1)@127.0.0.1:")
    assert ssd["registered_time"] > 0
    state = cluster.master.get("/master/state")[1]
    assert state["activated_slaves"] == 2


def test_task_runs_to_completion_with_its_output_in_the_sandbox(cluster):
    node = cluster.node()
    task = cluster.master.launch(name="hello", cmd="echo hello from $MESOS_TASK_ID; echo oops >&2")
    done = cluster.master.wait_state(task["id"], "TASK_FINISHED")
    assert done["slave_id"] == node.agent_id()
    sandbox = node.sandbox(task["id"])
    assert read(os.path.join(sandbox, "stdout")).strip() == "hello from " + task["id"]
    assert read(os.path.join(sandbox, "stderr")).strip() == "oops"


def test_non_zero_exit_fails_the_task_with_its_status(cluster):
    cluster.node()
    task = cluster.master.launch(cmd="exit 3")
    failed = cluster.master.wait_state(task["id"], "TASK_FAILED")
    assert "status 3" in failed["statuses"][-1]["message"]


def test_environment_and_pid_namespace(cluster):
    node = cluster.node()
    task = cluster.master.launch(
        cmd="echo pid=$$; echo port=$PORT0 ports=$PORTS host=$HOST sandbox=$MESOS_SANDBOX; "
            "ls /proc | grep -c '^[0-9]'",
        ports=2, env={"GREETING": "hi"})
    cluster.master.wait_state(task["id"], "TASK_FINISHED")
    out = read(os.path.join(node.sandbox(task["id"]), "stdout")).split("\n")
    ports = task["ports"]
    assert len(ports) == 2
    # The shell is pid 2: the supervisor is pid 1 of the task's own pid namespace.
    assert out[0] == "pid=2"
    assert out[1] == (f"port={ports[0]} ports={ports[0]},{ports[1]} host=127.0.0.1 "
                      f"sandbox={node.sandbox(task['id'])}")
    # Only the task's own processes are visible in its /proc.
    assert int(out[2]) <= 4


def test_kill_sends_sigterm_first(cluster):
    node = cluster.node()
    task = cluster.master.launch(
        cmd="trap 'echo got TERM; exit 0' TERM; while true; do sleep 0.05; done",
        kill_grace_period_seconds=10)
    cluster.master.wait_state(task["id"], "TASK_RUNNING")
    time.sleep(0.2)  # let the shell install its trap: the launch reports running at exec
    status, _ = cluster.master.kill_task(task["id"])
    assert status == 202
    cluster.master.wait_state(task["id"], "TASK_KILLED", timeout=5)
    assert "got TERM" in read(os.path.join(node.sandbox(task["id"]), "stdout"))


def test_kill_escalates_to_sigkill_after_the_grace_period(cluster):
    cluster.node()
    task = cluster.master.launch(cmd="trap '' TERM; while true; do sleep 0.05; done",
                                 kill_grace_period_seconds=0.5)
    cluster.master.wait_state(task["id"], "TASK_RUNNING")
    time.sleep(0.2)
    started = time.monotonic()
    cluster.master.kill_task(task["id"])
    cluster.master.wait_state(task["id"], "TASK_KILLED", timeout=10)
    assert time.monotonic() - started >= 0.5, "SIGKILL came before the grace period ended"


def test_task_over_its_memory_limit_fails_with_the_reason(cluster):
    cluster.node()
    task = cluster.master.launch(
        cmd="python3 -c \"b = bytearray(256 * 1024 * 1024); import time; time.sleep(5)\"", mem=64)
    failed = cluster.master.wait_state(task["id"], "TASK_FAILED", timeout=15)
    assert failed["statuses"][-1]["reason"] == "REASON_CONTAINER_LIMITATION_MEMORY"


def test_launch_without_room_is_refused_with_the_reason(cluster):
    cluster.node()
    status, body = http("POST", cluster.master.url + "/master/tasks", {"cmd": "true", "mem": 5000})
    assert status == 503
    assert "not enough mem" in body["message"]


def test_invalid_launch_request_names_the_field(cluster):
    status, body = http("POST", cluster.master.url + "/master/tasks", {"cmd": "true", "cpus": "lots"})
    assert status == 422
    assert body["details"][0]["path"] == "/cpus"
    status, body = http("POST", cluster.master.url + "/master/tasks", {"cpus": 1})
    assert status == 422
    assert body["details"][0]["path"] == "/cmd"
    assert cluster.master.get("/master/tasks")[1]["tasks"] == []
