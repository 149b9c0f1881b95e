"""Marathon apps with volumes on a live cluster: an external volume (the seeds' `rexray` DVDI JSON)
is created on first use, mounted at the app's container path, and follows the app to another
node when its node dies, with a higher epoch and its data; a resident app's local persistent
volume keeps its data across task restarts on its agent, and its tasks show it as localVolumes."""

import os
import subprocess
import time

import pytest

from cluster import BERTH, Master, wait_for
from marathon_helpers import Marathon, poll


@pytest.fixture
def volume_cluster(marathon_cluster):
    """Three nodes sharing one blockpool directory (conftest's marathon_cluster)."""
    return marathon_cluster


# Appends the task's id to a log on the volume, prints the log, then idles.
WRITER = "echo $MESOS_TASK_ID >> data/log && sync data/log && cat data/log && sleep 300"


def external_app(app_id, name):
    return {"id": app_id, "cmd": WRITER, "cpus": 0.1, "mem": 32, "instances": 1,
            "upgradeStrategy": {"minimumHealthCapacity": 0, "maximumOverCapacity": 0},
            "container": {"type": "MESOS", "volumes": [
                {"containerPath": "data", "mode": "RW",
                 "external": {"name": name, "provider": "dvdi", "size": 1,
                              "options": {"dvdi/driver": "rexray"}}}]}}


def resident_app(app_id):
    return {"id": app_id, "cmd": WRITER, "cpus": 0.1, "mem": 32, "instances": 1,
            "upgradeStrategy": {"minimumHealthCapacity": 0.5, "maximumOverCapacity": 0},
            "unreachableStrategy": "disabled",
            "container": {"type": "MESOS", "volumes": [
                {"containerPath": "data", "mode": "RW", "persistent": {"size": 64}}]}}


def test_an_external_volume_follows_its_app_to_another_node(volume_cluster):
    c = volume_cluster
    c.api.ok("POST", "/v2/apps", external_app("/db", "dbdata"), expect=(201,))
    first = c.api.wait_running("/db", 1, timeout=60)[0]
    volume = poll(lambda: (lambda v: v if v["state"] == "ATTACHED" else None)(
        c.api.get("/v2/volumes/dbdata").body), what="the volume to be attached")
    assert volume["driver"] == "blockpool"
    assert volume["attachment"]["agentId"] == first["slaveId"]
    first_epoch = volume["attachment"]["epoch"]

    c.node_of(first["slaveId"]).kill()
    second = poll(lambda: next((t for t in c.api.running("/db") if t["id"] != first["id"]), None),
                  timeout=60, what="the app to run on another node")
    assert second["slaveId"] != first["slaveId"]
    volume = poll(lambda: (lambda v: v if v["state"] == "ATTACHED" else None)(
        c.api.get("/v2/volumes/dbdata").body), what="the volume to be attached again")
    assert volume["attachment"]["agentId"] == second["slaveId"]
    assert volume["attachment"]["epoch"] > first_epoch
    assert volume["attachmentHistory"][-1]["endedBy"] == "fenced"
    # The new task found the old one's data on the volume and added to it.
    node = c.node_of(second["slaveId"])
    log = poll(lambda: (lambda text: text if second["id"] in text else None)(
        volume_log(node, second["id"])), what="the new task's line")
    assert log.split() == [first["id"], second["id"]]


def volume_log(node, task_id):
    """The volume's log as the task printed it (the volume itself is mounted only in the task's
    own mount namespace)."""
    try:
        with open(os.path.join(node.sandbox(task_id), "stdout")) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def test_a_resident_app_keeps_its_data_on_its_agent(volume_cluster):
    c = volume_cluster
    c.api.ok("POST", "/v2/apps", resident_app("/kv"), expect=(201,))
    first = c.api.wait_running("/kv", 1, timeout=60)[0]
    c.api.ok("DELETE", f"/v2/apps/kv/tasks/{first['id']}")
    second = poll(lambda: next((t for t in c.api.running("/kv") if t["id"] != first["id"]), None),
                  timeout=60, what="the replacement")
    assert second["slaveId"] == first["slaveId"], "pinned to the agent with the data"
    node = c.node_of(second["slaveId"])
    log = poll(lambda: (lambda text: text if second["id"] in text else None)(
        volume_log(node, second["id"])), what="the replacement's line")
    assert log.split() == [first["id"], second["id"]]
    volume = c.api.get("/v2/volumes/kv.data.0").body
    assert volume["kind"] == "local"
    # Every task view names the volume the task holds, as Marathon's localVolumes do.
    held = [{"containerPath": "data", "persistenceId": "kv.data.0"}]
    assert second["localVolumes"] == held
    assert [t["localVolumes"] for t in c.api.get("/v2/tasks").body["tasks"]
            if t["id"] == second["id"]] == [held]
    assert [t["localVolumes"] for t in c.api.app("/kv")["tasks"] if t["id"] == second["id"]] == [held]

    # Scale to zero keeps the volume; destroying the app deletes it.
    c.api.ok("PUT", "/v2/apps/kv", {"instances": 0})
    wait_for(lambda: not c.api.running("/kv"), timeout=30, what="the app to scale down")
    assert c.api.get("/v2/volumes/kv.data.0").status == 200
    c.api.ok("DELETE", "/v2/apps/kv")
    wait_for(lambda: c.api.get("/v2/volumes/kv.data.0").status == 404, timeout=30,
             what="the volume to be deleted with the app")


def test_bad_volumes_are_refused_with_the_field_and_nothing_is_created(volume_cluster):
    c = volume_cluster
    app = external_app("/bad", "baddata")
    app["container"]["volumes"][0]["external"]["options"]["dvdi/driver"] = "nosuch"
    answer = c.api.call("POST", "/v2/apps", app)
    assert answer.status == 422, answer.raw
    paths = [d["path"] for d in answer.body["details"]]
    assert '/container/volumes(0)/external/options("dvdi/driver")' in paths
    app = external_app("/bad", "../../etc")
    answer = c.api.call("POST", "/v2/apps", app)
    assert answer.status == 422, answer.raw
    assert [d["path"] for d in answer.body["details"]] == ["/container/volumes(0)/external/name"]
    assert c.api.get("/v2/apps").body["apps"] == []
    assert c.api.get("/v2/volumes").body["volumes"] == []


def attached(api, name):
    volume = api.get(f"/v2/volumes/{name}").body
    return volume if volume.get("state") == "ATTACHED" else None


def test_an_agent_restart_keeps_the_task_and_its_mount(volume_cluster):
    c = volume_cluster
    c.api.ok("POST", "/v2/apps", external_app("/db", "kept"), expect=(201,))
    task = c.api.wait_running("/db", 1, timeout=60)[0]
    before = poll(lambda: attached(c.api, "kept"), what="the volume to be attached")
    node = c.node_of(task["slaveId"])
    node.kill_agent()
    node.start_agent()
    # Re-adopted, not restarted: the same task, the same attachment, no fence.
    time.sleep(2)
    assert [t["id"] for t in c.api.running("/db")] == [task["id"]]
    after = poll(lambda: attached(c.api, "kept"), what="the volume to stay attached")
    assert after["attachment"] == before["attachment"]
    assert after["attachmentHistory"] == []


def test_a_master_restart_during_an_attach_carries_on(volume_cluster):
    c = volume_cluster
    c.api.ok("POST", "/v2/apps", external_app("/db", "inflight"), expect=(201,))
    # Kill the master as soon as the claim is persisted (ATTACHING or already ATTACHED).
    claimed = poll(lambda: (lambda v: v if v.get("state") in ("ATTACHING", "ATTACHED") else None)(
        c.api.get("/v2/volumes/inflight").body), interval=0.01, what="the claim")
    c.master.kill()
    restarted = Master(c.master.work_dir)
    restarted.port, restarted.http_port = c.master.port, c.master.http_port
    c.master = restarted.start()
    c.api = Marathon(c.master)
    volume = poll(lambda: attached(c.api, "inflight"), timeout=30, what="the attach to finish")
    assert volume["attachment"]["epoch"] == claimed["attachment"]["epoch"]
    tasks = c.api.wait_running("/db", 1, timeout=30)
    assert [t["id"] for t in tasks] == volume["claims"]
    assert tasks[0]["slaveId"] == volume["attachment"]["agentId"]


def test_one_constraint_moves_a_database_and_its_data_to_the_ssd_node(volume_cluster):
    """The seeds' story: the app runs on a spinning disk; changing its constraint to the SSD node
    stops it, detaches its volume, and starts it on the SSD node with the same data."""
    c = volume_cluster
    app = external_app("/db", "moving")
    app["constraints"] = [["disk", "CLUSTER", "spinning"]]
    c.api.ok("POST", "/v2/apps", app, expect=(201,))
    first = c.api.wait_running("/db", 1, timeout=60)[0]
    ssd = c.nodes[0]
    assert first["slaveId"] != ssd.agent_id()
    poll(lambda: attached(c.api, "moving"), what="the volume to be attached")

    c.api.ok("PUT", "/v2/apps/db", {"constraints": [["disk", "CLUSTER", "ssd"]]})
    second = poll(lambda: next((t for t in c.api.running("/db") if t["id"] != first["id"]), None),
                  timeout=60, what="the app to run on the SSD node")
    assert second["slaveId"] == ssd.agent_id()
    log = poll(lambda: (lambda text: text if second["id"] in text else None)(
        volume_log(ssd, second["id"])), what="the moved task's line")
    assert log.split() == [first["id"], second["id"]]
    volume = poll(lambda: attached(c.api, "moving"), what="the volume on the SSD node")
    assert volume["attachment"]["agentId"] == ssd.agent_id()
    assert volume["attachmentHistory"][-1]["endedBy"] == "detached", "a clean move, not a fence"
    # `berth volume ls` names the node as an operator knows it.
    listed = subprocess.run(
        [BERTH, "volume", "ls", f"--master=127.0.0.1:{c.master.http_port}"],
        capture_output=True, text=True, timeout=30).stdout.splitlines()
    row = next(line.split() for line in listed if line.startswith("moving "))
    assert row[5] == ssd.hostname, listed


def test_a_volume_grows_on_request_at_its_next_attach(volume_cluster):
    c = volume_cluster
    c.api.ok("POST", "/v2/volumes", {"name": "growing", "size": 64}, expect=(201,))
    app = external_app("/grow", "growing")
    del app["container"]["volumes"][0]["external"]["size"]
    app["cmd"] = "df -Pm data | tail -1 && sleep 300"
    c.api.ok("POST", "/v2/apps", app, expect=(201,))
    first = c.api.wait_running("/grow", 1, timeout=60)[0]

    def size_seen(task):
        text = volume_log(c.node_of(task["slaveId"]), task["id"]).split()
        return int(text[1]) if len(text) > 1 else None

    before = poll(lambda: size_seen(first), what="the first task's df")
    c.api.ok("PATCH", "/v2/volumes/growing", {"size": 256})
    c.api.ok("POST", "/v2/apps/grow/restart")
    second = poll(lambda: next((t for t in c.api.running("/grow") if t["id"] != first["id"]), None),
                  timeout=60, what="the restarted task")
    after = poll(lambda: size_seen(second), what="the second task's df")
    assert before < 64 and after > 192, (before, after)
