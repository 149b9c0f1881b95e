"""PostgreSQL on a local persistent volume (a Marathon resident app: `persistent: {size}`) is
pinned to the agent that holds the volume. Restarting that agent (the process only: the node, its
tasks and its mounts stay) must not disturb the server, and when the task itself is replaced it
comes back on the same agent with the same data."""

import os

from marathon_helpers import poll
from pg_cluster import pg_app, persistent_volume, sandbox_log, wait_accepting_writes
from pg_workload import check, read_log, start_writer, stop_writer

APP = "/pg-resident"


def test_postgres_agent_restart(pg_cluster, work_dir):
    api, url = pg_cluster.api, pg_cluster.api_url
    app = pg_app(APP, persistent_volume(512), unreachableStrategy="disabled")
    api.ok("POST", "/v2/apps", app, expect=(201,))
    first = wait_accepting_writes(url, APP, timeout=90)
    node = pg_cluster.node_of(first["slaveId"])
    # One local volume, for the app's one instance, on the task's agent.
    local = [v for v in api.ok("GET", "/v2/volumes")["volumes"] if v["kind"] == "local"]
    assert [(v["name"], v.get("agentId")) for v in local] == [("pg-resident.pgdata.0", first["slaveId"])], local

    log_path = os.path.join(work_dir, "writes.log")
    writer = start_writer(url, APP, log_path)
    try:
        poll(lambda: len(read_log(log_path).acks) >= 200, timeout=60, what="200 acknowledged rows")
        node.kill_agent()
        # The server does not depend on its agent: rows keep being acknowledged meanwhile.
        during = len(read_log(log_path).acks)
        poll(lambda: len(read_log(log_path).acks) >= during + 100, timeout=30,
             what="writes to go on while the agent is down")
        node.start_agent()
        assert node.agent_id() == first["slaveId"]
        poll(lambda: len(read_log(log_path).acks) >= during + 300, timeout=30,
             what="writes after the agent's restart")
    finally:
        assert stop_writer(writer) == 0

    # Re-adopted, not relaunched.
    tasks = api.tasks(APP)
    assert [(t["id"], t["state"]) for t in tasks] == [(first["id"], "TASK_RUNNING")], tasks
    report = check(url, APP, log_path)
    print(report.summary())
    assert report.missing == [] and report.unexpected == [], report.summary()

    # The task is replaced: the persistent volume pins the new one to the same agent, where it
    # finds the data (a clean shutdown this time, so no recovery; and no initdb).
    api.ok("DELETE", f"/v2/apps{APP}/tasks/{first['id']}")
    second = poll(lambda: next((t for t in api.tasks(APP) if t["state"] == "TASK_RUNNING"
                                and t["id"] != first["id"]), None),
                  timeout=60, what="a replacement task")
    assert second["slaveId"] == first["slaveId"], "a resident app must stay on its volume's agent"
    wait_accepting_writes(url, APP, timeout=60)
    report = check(url, APP, log_path)
    print(report.summary())
    assert report.missing == [] and report.unexpected == [], report.summary()
    assert "initialising a new cluster" not in sandbox_log(node, second["id"])
