"""The mission: PostgreSQL on an external volume survives the death of its node. The app is
deployed through Marathon's API with a DVDI external volume (Berth's blockpool: an ext4 image in
the agents' shared pool, on a loop device of the node that mounts it); a client writes one row per
transaction; the node running PostgreSQL is killed whole (its pid and mount namespaces: the
server, the agent, the mounts); the master fences the node, attaches the volume elsewhere with a
newer epoch and relaunches the app there; PostgreSQL recovers from its WAL; and every row whose
COMMIT was acknowledged is still there."""

import os
import time

from marathon_helpers import poll
from pg_cluster import external_volume, pg_app, sandbox_log, wait_accepting_writes
from pg_workload import check, read_log, start_writer, stop_writer

APP = "/pg"
VOLUME = "pg1"


def volume(api, name):
    answer = api.get("/v2/volumes/" + name)
    assert answer.status == 200, f"GET /v2/volumes/{name} -> {answer.status} {answer.raw[:500]}"
    return answer.body


def test_postgres_fails_over_to_another_node_without_losing_acknowledged_rows(pg_cluster, work_dir):
    api, url = pg_cluster.api, pg_cluster.api_url
    api.ok("POST", "/v2/apps", pg_app(APP, external_volume(VOLUME)), expect=(201,))
    first = wait_accepting_writes(url, APP, timeout=90)
    doomed = pg_cluster.node_of(first["slaveId"])

    # The volume is attached to the task's agent, and PostgreSQL's data is on it: the node's
    # mount namespace has the pool's image mounted.
    before = volume(api, VOLUME)
    assert before["attachment"]["agentId"] == first["slaveId"], before
    assert VOLUME in doomed.mountinfo(), "the volume is not mounted on the task's node"

    log_path = os.path.join(work_dir, "writes.log")
    writer = start_writer(url, APP, log_path)
    try:
        poll(lambda: len(read_log(log_path).acks) >= 300, timeout=60, what="300 acknowledged rows")
        killed_at = time.time()
        doomed.kill()

        # A new task elsewhere takes writes; the writer finds it by itself through the API.
        poll(lambda: len(read_log(log_path).acks_between(killed_at)) >= 300, timeout=120,
             what="300 rows acknowledged after the kill")
    finally:
        assert stop_writer(writer) == 0

    report = check(url, APP, log_path)
    print(report.summary())
    log = read_log(log_path)
    assert report.missing == [], report.summary()
    assert report.unexpected == [], report.summary()
    # The writer's last session is with the task that took over, which the API lists as running.
    _, address, serving = log.connects[-1]
    second = next((t for t in api.tasks(APP) if t["id"] == serving), None)
    assert second is not None and second["state"] == "TASK_RUNNING", (serving, api.tasks(APP))
    assert address == f"{second['host']}:{second['ports'][0]}", log.connects
    # Writes stopped with the node (a row in flight may still be acknowledged as it dies) and
    # resumed on the new task.
    assert log.last_ack_before(killed_at) is not None
    assert any(stopped <= killed_at + 0.5 < resumed for stopped, resumed in report.gaps), report.gaps

    # A different agent, a newer epoch, the old attachment ended by the fence.
    assert second["slaveId"] != first["slaveId"]
    assert second["host"] != first["host"]
    after = poll(lambda: (lambda v: v if v["state"] == "ATTACHED" else None)(volume(api, VOLUME)),
                 timeout=15, what=f"{VOLUME} to be reported ATTACHED on the new node")
    assert after["attachment"]["agentId"] == second["slaveId"], after
    assert after["attachment"]["epoch"] > before["attachment"]["epoch"], (before, after)
    ended = [h for h in after["attachmentHistory"] if h["agentId"] == first["slaveId"]]
    assert ended and ended[-1]["endedBy"] == "fenced", after["attachmentHistory"]

    # The new server started from the old one's data, not from an empty volume: it went through
    # crash recovery and initialised nothing.
    new_node = pg_cluster.node_of(second["slaveId"])
    stderr = sandbox_log(new_node, second["id"])
    assert "initialising a new cluster" not in stderr, stderr[-3000:]
    assert "database system was interrupted" in stderr or "not properly shut down" in stderr, stderr[-3000:]


def test_the_volume_is_reported_attached_while_postgres_runs_and_released_when_it_stops(pg_cluster):
    api, url = pg_cluster.api, pg_cluster.api_url
    api.ok("POST", "/v2/apps", pg_app(APP, external_volume(VOLUME)), expect=(201,))
    task = wait_accepting_writes(url, APP, timeout=90)
    # The agent polls the master about once a heartbeat; a few seconds is plenty.
    seen = []

    def reported_attached():
        seen.append(volume(api, VOLUME))
        return seen[-1] if seen[-1]["state"] == "ATTACHED" else None

    try:
        attached = poll(reported_attached, timeout=15, what=f"{VOLUME} to be reported ATTACHED")
    except AssertionError:
        last = seen[-1]
        raise AssertionError(f"{VOLUME} not reported ATTACHED within 15 s: state {last['state']}, "
                             f"attachment {last.get('attachment')}, deadline {last.get('deadline')}")
    assert attached["attachment"]["agentId"] == task["slaveId"]
    assert "deadline" not in attached, attached

    # The task ends: its claim is released and the agent's unmount confirmed.
    api.ok("PUT", "/v2/apps" + APP + "?force=true", {"instances": 0})
    released = poll(lambda: (lambda v: v if v["state"] == "AVAILABLE" else None)(volume(api, VOLUME)),
                    timeout=30, what=f"{VOLUME} to be released")
    assert released.get("attachment") is None and not released["claims"], released
    assert released["attachmentHistory"][-1]["endedBy"] == "detached", released
