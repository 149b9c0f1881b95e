"""The Marathon v2 API against a real master and three real nodes: apps deployed, inspected,
suspended, scaled, upgraded, restarted, rolled back, killed and destroyed; constraints; groups
with dependencies; health-based replacement; launch backoff; apps that cannot run; a master
killed in the middle of a deployment; and the requests real users' scripts send with curl."""

import json
import os
import socket
import subprocess
import time

import pytest

from marathon_helpers import EventStream, poll, processes_with, sleeper

HOSTS = {"127.0.0.2", "127.0.0.3", "127.0.0.4"}


def small(app_id, marker, instances=1, **extra):
    app = {"id": app_id, "cmd": sleeper(marker), "cpus": 0.1, "mem": 32, "instances": instances}
    app.update(extra)
    return app


def sleeping(marker):
    return processes_with(sleeper(marker), comm="sleep")


def ready_after(seconds, marker):
    """A cmd that becomes healthy (file `ready` in its sandbox) `seconds` after it starts. Its
    shell lives as long as the task: see `shells`."""
    return f"sleep {seconds} && touch ready; {sleeper(marker)}"


def shells(marker):
    """The shells of `ready_after` tasks (one per task for their whole life)."""
    return processes_with(sleeper(marker), comm="sh")


READY_CHECK = {"protocol": "COMMAND", "command": {"value": "test -f ready"}, "gracePeriodSeconds": 30,
               "intervalSeconds": 1, "timeoutSeconds": 5, "delaySeconds": 0, "maxConsecutiveFailures": 0}


def deployment_result(answer):
    assert answer.status == 200, answer.raw
    assert set(answer.body) == {"deploymentId", "version"}, answer.body
    assert answer.headers["Marathon-Deployment-Id"] == answer.body["deploymentId"]
    return answer.body


# --- the life of an app ------------------------------------------------------------------------

def test_deploy_inspect_suspend_scale_and_destroy(marathon_cluster):
    api = marathon_cluster.api
    created = api.call("POST", "/v2/apps", small("web", 1001, instances=2))
    assert created.status == 201, created.raw
    assert created.headers["Content-Type"].startswith("application/json")
    assert created.headers["Location"].endswith("/web"), created.headers["Location"]
    deployment_id = created.headers["Marathon-Deployment-Id"]
    assert created.body["id"] == "/web"
    assert created.body["deployments"] == [{"id": deployment_id}]
    assert created.body["tasksRunning"] == 0 and created.body["tasksStaged"] == 0

    api.wait_deployment_gone(deployment_id)
    app = api.app("/web")
    assert app["tasksRunning"] == 2 and app["deployments"] == []
    assert len(app["tasks"]) == 2
    for task in app["tasks"]:
        assert task["appId"] == "/web" and task["state"] == "TASK_RUNNING"
        assert task["host"] in HOSTS and task["slaveId"] and task["startedAt"]
        assert task["version"] == app["version"]
        assert len(task["servicePorts"]) >= len(task["ports"])
    listed = api.get("/v2/tasks").body["tasks"]
    assert sorted(t["id"] for t in listed) == sorted(t["id"] for t in app["tasks"])
    running = api.get("/v2/tasks?status[]=running&status[]=staging").body["tasks"]
    assert sorted(t["id"] for t in running) == sorted(t["id"] for t in listed)
    poll(lambda: len(sleeping(1001)) == 2, timeout=5, what="two sleep processes on the nodes")

    # Suspend: scale to 0, every process goes.
    suspended = deployment_result(api.call("PUT", "/v2/apps/web", {"instances": 0}))
    api.wait_deployment_gone(suspended["deploymentId"])
    assert api.tasks("/web") == []
    assert api.app("/web")["instances"] == 0
    poll(lambda: not sleeping(1001), timeout=10, what="the suspended app's processes to end")

    # Scale up again (PATCH is a partial update too).
    scaled = deployment_result(api.call("PATCH", "/v2/apps/web", {"instances": 3}))
    api.wait_deployment_gone(scaled["deploymentId"])
    tasks = api.wait_running("/web", 3)
    assert len(sleeping(1001)) == 3
    app = api.app("/web")
    assert app["versionInfo"]["lastScalingAt"] == app["version"]
    assert app["versionInfo"]["lastConfigChangeAt"] != app["version"], "a scale is not a config change"
    assert all(t["host"] in HOSTS for t in tasks)

    # Destroy, with the double slash clients send.
    destroyed = deployment_result(api.call("DELETE", "/v2/apps//web"))
    api.wait_deployment_gone(destroyed["deploymentId"])
    assert api.get("/v2/apps/web").status == 404
    assert api.get("/v2/apps").body["apps"] == []
    assert api.get("/v2/tasks").body["tasks"] == []
    poll(lambda: not sleeping(1001), timeout=10, what="the destroyed app's processes to end")


def test_rolling_update_restart_and_rollback(marathon_cluster):
    api = marathon_cluster.api
    first = small("roll", 2001, instances=2, cmd=ready_after(0, 2001), healthChecks=[READY_CHECK])
    created = api.call("POST", "/v2/apps", first)
    assert created.status == 201, created.raw
    api.wait_deployment_gone(created.headers["Marathon-Deployment-Id"])
    old = {t["id"] for t in api.wait_running("/roll", 2, healthy=True)}
    first_version = api.app("/roll")["version"]

    # A changed cmd rolls out under the default strategy (start new, then stop old): the
    # deployment is visible while the new tasks are not yet healthy, and the old ones keep running.
    update = deployment_result(api.call("PUT", "/v2/apps/roll", {"cmd": ready_after(3, 2002)}))
    seen = poll(lambda: [d for d in api.deployments() if d["id"] == update["deploymentId"]], timeout=5,
                what="the upgrade deployment to be listed")[0]
    assert seen["affectedApps"] == ["/roll"]
    assert seen["version"] == update["version"]
    assert seen["currentActions"][0]["action"] == "RestartApplication", seen
    assert seen["currentActions"][0]["app"] == "/roll"
    poll(lambda: len(shells(2002)) == 2, timeout=10, what="the new version's processes")
    assert len(shells(2001)) == 2, "old tasks must run until the new ones are healthy"
    assert len(api.tasks("/roll")) == 4, "old and new tasks side by side"
    assert update["deploymentId"] in [d["id"] for d in api.app("/roll")["deployments"]]
    api.wait_deployment_gone(update["deploymentId"], timeout=30)
    new = api.wait_running("/roll", 2, version=update["version"], healthy=True)
    assert not old & {t["id"] for t in new}
    poll(lambda: not shells(2001), timeout=10, what="the old version's processes to end")
    assert len(shells(2002)) == 2
    assert api.app("/roll")["cmd"] == ready_after(3, 2002)

    # Restart: same definition, new tasks, new version.
    before = {t["id"] for t in new}
    restart = deployment_result(api.call("POST", "/v2/apps/roll/restart"))
    assert restart["version"] != update["version"]
    api.wait_deployment_gone(restart["deploymentId"], timeout=30)
    restarted = api.wait_running("/roll", 2, version=restart["version"], healthy=True)
    assert not before & {t["id"] for t in restarted}
    assert api.app("/roll")["cmd"] == ready_after(3, 2002)
    poll(lambda: len(shells(2002)) == 2, timeout=10, what="exactly two processes after the restart")

    # Rollback to the first version.
    versions = api.get("/v2/apps/roll/versions").body["versions"]
    assert versions[0] == restart["version"] and first_version in versions
    assert len(versions) == 3, versions
    stored = api.get(f"/v2/apps/roll/versions/{first_version}")
    assert stored.status == 200 and stored.body["cmd"] == ready_after(0, 2001) and "tasks" not in stored.body
    rollback = deployment_result(api.call("PUT", "/v2/apps/roll", {"version": first_version}))
    api.wait_deployment_gone(rollback["deploymentId"], timeout=30)
    api.wait_running("/roll", 2, version=rollback["version"], healthy=True)
    assert api.app("/roll")["cmd"] == ready_after(0, 2001)
    poll(lambda: len(shells(2001)) == 2 and not shells(2002), timeout=10,
         what="the first version's processes back, the others gone")


def test_kill_tasks_with_and_without_scale(marathon_cluster):
    api = marathon_cluster.api
    created = api.call("POST", "/v2/apps", small("/k/worker", 3001, instances=4))
    assert created.status == 201, created.raw
    api.wait_deployment_gone(created.headers["Marathon-Deployment-Id"])
    tasks = api.wait_running("/k/worker", 4)

    # scale=false: the task goes, a replacement comes, instances stay 4.
    victim = tasks[0]["id"]
    killed = api.call("DELETE", f"/v2/apps//k/worker/tasks/{victim}?scale=false")
    assert killed.status == 200, killed.raw
    assert killed.body["task"]["id"] == victim
    replaced = poll(lambda: (lambda ts: ts if len(ts) == 4 and victim not in [t["id"] for t in ts] else None)(
        api.running("/k/worker")), what="a replacement for the killed task")
    assert api.app("/k/worker")["instances"] == 4
    poll(lambda: len(sleeping(3001)) == 4, timeout=10, what="four processes after the replacement")

    # scale=true on one task: instances 3.
    victim = replaced[0]["id"]
    scaled = deployment_result(api.call("DELETE", f"/v2/apps/k/worker/tasks/{victim}?scale=True"))
    api.wait_deployment_gone(scaled["deploymentId"])
    assert api.app("/k/worker")["instances"] == 3
    remaining = api.wait_running("/k/worker", 3)
    assert victim not in [t["id"] for t in remaining]

    # POST /v2/tasks/delete without scale: replaced; unknown well-formed ids are skipped.
    victim = remaining[0]["id"]
    bulk = api.call("POST", "/v2/tasks/delete?scale=false", {"ids": [victim, "k_worker.unknown-id"]})
    assert bulk.status == 200, bulk.raw
    assert [t["id"] for t in bulk.body["tasks"]] == [victim]
    poll(lambda: (lambda ts: len(ts) == 3 and victim not in [t["id"] for t in ts])(api.running("/k/worker")),
         what="the bulk-killed task to be replaced")

    # DELETE /v2/apps/{id}/tasks?host=...&scale=true: only that host's tasks, instances drop.
    tasks = api.running("/k/worker")
    host = tasks[0]["host"]
    on_host = {t["id"] for t in tasks if t["host"] == host}
    by_host = deployment_result(api.call("DELETE", f"/v2/apps/k/worker/tasks?host={host}&scale=true"))
    api.wait_deployment_gone(by_host["deploymentId"])
    assert api.app("/k/worker")["instances"] == 3 - len(on_host)
    left = api.wait_running("/k/worker", 3 - len(on_host))
    assert not on_host & {t["id"] for t in left}
    assert all(t["host"] != host for t in left)
    poll(lambda: len(sleeping(3001)) == 3 - len(on_host), timeout=10, what="the killed processes to end")

    assert api.call("DELETE", "/v2/apps/k/worker/tasks?scale=true&wipe=true").status == 400
    missing = api.call("DELETE", "/v2/apps/k/worker/tasks/k_worker.nope")
    assert missing.status == 404 and "message" in missing.body


# --- placement ---------------------------------------------------------------------------------

def test_hostname_unique_with_more_instances_than_nodes_waits_with_unfulfilled_constraint(marathon_cluster):
    api = marathon_cluster.api
    created = api.call("POST", "/v2/apps", small("spread", 4001, instances=4,
                                                 constraints=[["hostname", "UNIQUE"]]))
    assert created.status == 201, created.raw
    running = poll(lambda: (lambda ts: ts if len(ts) == 3 else None)(api.running("/spread")),
                   what="three instances, one per node")
    assert {t["host"] for t in running} == HOSTS
    item = poll(lambda: (lambda q: q if q and q["count"] == 1 and
                         q["processedOffersSummary"]["rejectSummaryLastOffers"] else None)(api.queue_item("/spread")),
                what="the fourth instance queued with its reasons")
    reasons = {r["reason"]: r for r in item["processedOffersSummary"]["rejectSummaryLastOffers"]}
    assert "UnfulfilledConstraint" in reasons, reasons
    assert reasons["UnfulfilledConstraint"]["declined"] >= 3
    assert item["app"]["id"] == "/spread" and item["delay"]["overdue"] in (True, False)
    # The deployment cannot finish: it stays listed.
    assert [d["affectedApps"] for d in api.deployments()] == [["/spread"]]
    assert len(sleeping(4001)) == 3

    # The app is locked by that deployment: a change without force is refused.
    locked = api.call("PUT", "/v2/apps/spread", {"instances": 3})
    assert locked.status == 409, locked.raw
    assert locked.body["deployments"] == [{"id": created.headers["Marathon-Deployment-Id"]}]
    assert locked.body["message"].startswith("App is locked by one or more deployments.")

    # Scaling to what fits ends the deployment (force: the first is still running).
    scaled = deployment_result(api.call("PUT", "/v2/apps/spread?force=true", {"instances": 3}))
    api.wait_deployments_done()
    assert api.queue_item("/spread") is None
    assert len(api.running("/spread")) == 3
    assert scaled["deploymentId"] != created.headers["Marathon-Deployment-Id"]


def test_cluster_constraint_on_an_attribute_pins_to_that_node(marathon_cluster):
    api = marathon_cluster.api
    created = api.call("POST", "/v2/apps", small("pinned", 4101, instances=3,
                                                 constraints=[["rack", "CLUSTER", "r2"]]))
    assert created.status == 201, created.raw
    api.wait_deployment_gone(created.headers["Marathon-Deployment-Id"])
    tasks = api.wait_running("/pinned", 3)
    node2 = marathon_cluster.nodes[1]
    assert {t["host"] for t in tasks} == {"127.0.0.3"}
    assert {t["slaveId"] for t in tasks} == {node2.agent_id()}

    ssd = api.call("POST", "/v2/apps", small("fast", 4102, instances=2, constraints=[["disk", "CLUSTER", "ssd"]]))
    assert ssd.status == 201, ssd.raw
    api.wait_deployment_gone(ssd.headers["Marathon-Deployment-Id"])
    assert {t["host"] for t in api.wait_running("/fast", 2)} == {"127.0.0.2"}


# --- groups ------------------------------------------------------------------------------------

def test_group_dependencies_start_db_before_web(marathon_cluster):
    api = marathon_cluster.api
    group = {"id": "/shop", "apps": [
        {"id": "db", "cmd": ready_after(3, 5001), "cpus": 0.1, "mem": 32, "healthChecks": [READY_CHECK]},
        {"id": "web", "cmd": sleeper(5002), "cpus": 0.1, "mem": 32, "instances": 2, "dependencies": ["../shop/db"]},
    ]}
    created = api.call("POST", "/v2/groups", group)
    assert created.status == 201, created.raw
    deployment_id = created.body["deploymentId"]
    assert created.headers["Marathon-Deployment-Id"] == deployment_id
    listed = poll(lambda: [d for d in api.deployments() if d["id"] == deployment_id], timeout=5,
                  what="the group deployment")[0]
    assert sorted(listed["affectedApps"]) == ["/shop/db", "/shop/web"]
    assert listed["totalSteps"] >= 2
    steps = [[a["app"] for a in step["actions"]] for step in listed["steps"]]
    assert steps.index(["/shop/db"]) < steps.index(["/shop/web"]), steps

    # While db runs but is not yet healthy, web has no task at all.
    saw_db_unhealthy = False
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        db = api.tasks("/shop/db")
        web = api.tasks("/shop/web")
        db_healthy = any(r.get("alive") for t in db for r in t.get("healthCheckResults", []))
        if db_healthy:
            break
        if db and db[0]["state"] == "TASK_RUNNING":
            saw_db_unhealthy = True
        assert web == [], f"web started before db was healthy: {web}"
        assert not sleeping(5002)
        time.sleep(0.1)
    assert saw_db_unhealthy, "never saw db running before it was healthy"
    api.wait_deployment_gone(deployment_id, timeout=20)
    api.wait_running("/shop/web", 2)
    group_info = api.get("/v2/groups/shop").body
    assert sorted(a["id"] for a in group_info["apps"]) == ["/shop/db", "/shop/web"]
    assert api.get("/v2/apps/shop/*").status == 200

    removed = api.call("DELETE", "/v2/groups/shop")
    assert removed.status == 200, removed.raw
    api.wait_deployment_gone(removed.body["deploymentId"])
    assert api.get("/v2/groups/shop").status == 404
    poll(lambda: not shells(5001) and not sleeping(5002), timeout=10, what="the group's processes to end")


# --- health, backoff, apps that cannot run ---------------------------------------------------

FLAKY_SERVER = """
import http.server, os, time
started = time.time()
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if time.time() - started < 3 else 500)
        self.end_headers()
    def log_message(self, *args):
        pass
# Its own agent's address: tasks of other agents may be given the same port number.
http.server.HTTPServer((os.environ["HOST"], int(os.environ["PORT0"])), Handler).serve_forever()
"""


def test_failing_health_checks_kill_and_replace_the_task(marathon_cluster, work_dir):
    api = marathon_cluster.api
    script = os.path.join(work_dir, "flaky_6001.py")
    with open(script, "w") as f:
        f.write(FLAKY_SERVER)
    events = EventStream(marathon_cluster.master.http_port, "?event_type=unhealthy_instance_kill_event")
    try:
        assert events.status == 200
        created = api.call("POST", "/v2/apps", {
            "id": "flaky", "cmd": f"exec /usr/bin/python3 {script}", "cpus": 0.1, "mem": 64,
            "portDefinitions": [{"port": 0}],
            "healthChecks": [{"protocol": "MESOS_HTTP", "path": "/", "portIndex": 0, "gracePeriodSeconds": 5,
                              "intervalSeconds": 1, "timeoutSeconds": 1, "delaySeconds": 0,
                              "maxConsecutiveFailures": 2}]})
        assert created.status == 201, created.raw
        first = poll(lambda: (lambda ts: ts[0] if ts and any(r.get("alive") for r in ts[0].get("healthCheckResults", []))
                              else None)(api.tasks("/flaky")), what="the first task to be healthy")
        assert api.app("/flaky")["tasksHealthy"] == 1

        replacement = poll(lambda: [t for t in api.tasks("/flaky") if t["id"] != first["id"]], timeout=25,
                           what="the unhealthy task to be replaced")
        assert replacement[0]["appId"] == "/flaky"
        poll(lambda: first["id"] not in [t["id"] for t in api.tasks("/flaky")], timeout=10,
             what="the unhealthy task to be gone")
        kill = poll(lambda: [e for e in events.of_type("unhealthy_instance_kill_event")
                             if e.get("taskId") == first["id"]], timeout=5, what="unhealthy_instance_kill_event")[0]
        assert kill["appId"] == "/flaky" and kill["host"] == first["host"], kill
        assert kill["slaveId"] == first["slaveId"] and kill["reason"], kill
        poll(lambda: len(processes_with(script, comm="python3")) == 1, timeout=10, what="exactly one server process")
    finally:
        events.close()


def launches(path):
    try:
        with open(path) as f:
            return [float(line) for line in f.read().split()]
    except FileNotFoundError:
        return []


def test_failing_app_backs_off_and_the_delay_can_be_reset(marathon_cluster, work_dir):
    api = marathon_cluster.api
    log = os.path.join(work_dir, "launches")
    created = api.call("POST", "/v2/apps", {
        "id": "crashy", "cmd": f"date +%s.%N >> {log}; exit 1", "cpus": 0.1, "mem": 32,
        "backoffSeconds": 1, "backoffFactor": 3, "maxLaunchDelaySeconds": 60})
    assert created.status == 201, created.raw
    times = poll(lambda: (lambda ts: ts if len(ts) >= 3 else None)(launches(log)), timeout=15,
                 what="three launches")
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert gaps[1] > gaps[0] + 1, f"relaunches did not slow down: {gaps}"

    item = poll(lambda: (lambda q: q if q and q["delay"]["timeLeftSeconds"] >= 3 else None)(api.queue_item("/crashy")),
                timeout=10, what="a launch delay of at least 3 s in the queue")
    assert item["delay"]["overdue"] is False
    assert item["count"] == 1
    failure = api.app("/crashy")["lastTaskFailure"]
    assert failure["state"] == "TASK_FAILED" and failure["appId"] == "/crashy"

    count = len(launches(log))
    reset = api.call("DELETE", "/v2/queue//crashy/delay")
    assert reset.status == 204 and reset.raw == "", reset
    reset_at = time.monotonic()
    poll(lambda: len(launches(log)) > count, timeout=item["delay"]["timeLeftSeconds"] - 0.5,
         what="a launch right after the delay was reset")
    assert time.monotonic() - reset_at < item["delay"]["timeLeftSeconds"]

    missing = api.call("DELETE", "/v2/queue/nothing/delay")
    assert missing.status == 404 and missing.body["message"] == "Application /nothing not found in tasks queue."


def test_docker_image_app_waits_in_the_queue_with_a_reason(marathon_cluster):
    api = marathon_cluster.api
    created = api.call("POST", "/v2/apps", {
        "id": "imaged", "cpus": 0.1, "mem": 32,
        "container": {"type": "DOCKER", "docker": {"image": "nginx:1.25"}}})
    assert created.status == 201, created.raw
    item = poll(lambda: (lambda q: q if q and q["processedOffersSummary"].get("message") else None)(
        api.queue_item("/imaged")), what="the image app in the queue with a message")
    assert "nginx:1.25" in item["processedOffersSummary"]["message"], item
    assert item["count"] == 1
    assert item["processedOffersSummary"]["rejectSummaryLastOffers"], item
    # It keeps waiting: the deployment stays, no task is ever created, nothing failed.
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        assert api.tasks("/imaged") == []
        assert [d["affectedApps"] for d in api.deployments()] == [["/imaged"]]
        time.sleep(0.3)
    app = api.app("/imaged")
    assert "lastTaskFailure" not in app and app["tasksRunning"] == 0
    assert api.queue_item("/imaged") is not None
    removed = api.call("DELETE", "/v2/apps/imaged")
    assert removed.status == 200, removed.raw
    api.wait_deployments_done()
    assert api.queue() == []


# --- a master killed in the middle of a deployment --------------------------------------------

def test_master_sigkill_during_a_rolling_upgrade_resumes_it(marathon_cluster):
    api = marathon_cluster.api
    master = marathon_cluster.master
    created = api.call("POST", "/v2/apps", small("steady", 7001, instances=2, cmd=ready_after(0, 7001),
                                                 healthChecks=[READY_CHECK]))
    assert created.status == 201, created.raw
    api.wait_deployment_gone(created.headers["Marathon-Deployment-Id"])
    old = {t["id"] for t in api.wait_running("/steady", 2, healthy=True)}

    update = deployment_result(api.call("PUT", "/v2/apps/steady", {"cmd": ready_after(4, 7002)}))
    new_before = poll(lambda: (lambda ts: ts if len(ts) == 2 else None)(
        [t["id"] for t in api.running("/steady") if t["version"] == update["version"]]),
        timeout=10, what="the new tasks to run")
    new_before = set(new_before)
    assert len(shells(7002)) == 2 and len(shells(7001)) == 2, "the upgrade must still be under way"
    master.kill()
    master.start()
    listed = poll(lambda: [d for d in api.deployments() if d["id"] == update["deploymentId"]], timeout=5,
                  what="the upgrade to be listed after the restart")
    assert listed[0]["affectedApps"] == ["/steady"]
    api.wait_deployment_gone(update["deploymentId"], timeout=30)
    final = api.wait_running("/steady", 2, version=update["version"], healthy=True)
    assert {t["id"] for t in final} == new_before, "the restarted master must keep the tasks it had started"
    assert not old & new_before
    poll(lambda: not shells(7001), timeout=10, what="the old tasks to be stopped")
    assert len(shells(7002)) == 2, "no task may be launched twice"
    app = api.app("/steady")
    assert app["cmd"] == ready_after(4, 7002) and app["version"] == update["version"]
    assert len(api.get("/v2/apps/steady/versions").body["versions"]) == 2


# --- what users' curl scripts send -------------------------------------------------------------

def curl(*args):
    out = subprocess.run(["curl", "-s", "-w", "\n%{http_code} %{content_type}", *args],
                         capture_output=True, text=True, timeout=30, check=True).stdout
    body, _, tail = out.rpartition("\n")
    status, _, content_type = tail.partition(" ")
    return int(status), content_type, body


def test_seed_curl_usage(marathon_cluster):
    api = marathon_cluster.api
    base = api.base
    mongo = json.dumps({"id": "mongo", "cpus": 0.1, "mem": 32, "cmd": sleeper(8001),
                        "constraints": [["disk", "CLUSTER", "spinning"]]})
    status, content_type, body = curl("-X", "POST", "-H", "Content-Type: application/json",
                                      f"{base}/v2/apps", "-d", mongo)
    assert status == 201 and content_type.startswith("application/json"), body
    # The demo polls until .app.tasksRunning is set and counts .apps | length.
    poll(lambda: json.loads(curl(f"{base}/v2/apps/mongo")[2])["app"]["tasksRunning"] == 1,
         what="tasksRunning 1")
    assert len(json.loads(curl(f"{base}/v2/apps")[2])["apps"]) == 1
    assert api.tasks("/mongo")[0]["host"] in {"127.0.0.3", "127.0.0.4"}
    status, _, body = curl("-X", "DELETE", f"{base}/v2/apps//mongo")
    assert status == 200 and "deploymentId" in json.loads(body), body
    poll(lambda: curl(f"{base}/v2/apps/mongo")[0] == 404, what="mongo to be gone")
    poll(lambda: not sleeping(8001), timeout=10, what="mongo's process to end")

    # Trailing commas (seen in real READMEs): 400 Invalid JSON, details a string.
    status, content_type, body = curl("-X", "POST", "-H", "Content-Type: application/json",
                                      f"{base}/v2/apps", "-d", '{"id": "x", "cmd": "sleep 1",}')
    assert status == 400 and content_type.startswith("application/json")
    error = json.loads(body)
    assert error["message"] == "Invalid JSON" and isinstance(error["details"], str) and error["details"]

    status, content_type, body = curl("-X", "POST", f"{base}/v2/apps", "-d",
                                      '{"id": "My_App", "cmd": "sleep 1"}')
    assert status == 422 and content_type.startswith("application/json"), body
    error = json.loads(body)
    assert error["message"] == "Object is not valid"
    assert [d["path"] for d in error["details"]] == ["/id"], error

    status, content_type, body = curl(f"{base}/v2/nothing/here")
    assert status == 404 and content_type.startswith("application/json")
    assert json.loads(body) == {"message": "URI not found"}

    assert api.get("/v2/apps").body == {"apps": []}


def test_location_is_the_app_id_against_the_base_uri(marathon_cluster):
    api = marathon_cluster.api
    created = api.call("POST", "/v2/apps", small("mongo", 9101))
    assert created.status == 201, created.raw
    assert created.headers["Location"] == api.base + "/mongo"


def test_ping_negotiates_json(marathon_cluster):
    api = marathon_cluster.api
    plain = api.get("/ping", headers={"Accept": "text/plain"})
    assert plain.status == 200 and plain.headers["Content-Type"].startswith("text/plain")
    assert plain.raw.strip() == "pong"
    as_json = api.get("/ping", headers={"Accept": "application/json"})
    assert as_json.status == 200 and as_json.headers["Content-Type"].startswith("application/json")
    assert as_json.body == "pong" and as_json.raw.strip() == '"pong"'


def test_put_creates_and_version_rules(marathon_cluster):
    api = marathon_cluster.api
    created = api.call("PUT", "/v2/apps/viaput", small("ignored", 9201))
    assert created.status == 201, created.raw
    assert set(created.body) == {"deploymentId", "version"}
    assert created.headers["Marathon-Deployment-Id"] == created.body["deploymentId"]
    assert "viaput" in created.headers["Location"]
    api.wait_deployment_gone(created.body["deploymentId"])
    assert api.app("/viaput")["id"] == "/viaput", "the path id wins over the body id"
    mixed = api.call("PUT", "/v2/apps/viaput", {"version": created.body["version"], "cmd": "sleep 5"})
    assert mixed.status == 422
    assert mixed.body["details"][0]["errors"] == ["The 'version' field may only be combined with the 'id' field."]
    unknown = api.call("PUT", "/v2/apps/viaput", {"version": "2015-01-01T00:00:00.000Z"})
    assert unknown.status == 404, unknown.raw
    assert unknown.body["message"] == "App '/viaput' does not exist in version 2015-01-01T00:00:00.000Z"
    duplicate = api.call("POST", "/v2/apps", small("viaput", 9201))
    assert duplicate.status == 409 and duplicate.body == {"message": "An app with id [/viaput] already exists."}
    cyclic = api.call("POST", "/v2/groups", {"id": "/cyc", "apps": [
        {"id": "a", "cmd": "sleep 1", "dependencies": ["/cyc/b"]},
        {"id": "b", "cmd": "sleep 1", "dependencies": ["/cyc/a"]}]})
    assert cyclic.status == 422 and "Dependency graph has cyclic dependencies." in json.dumps(cyclic.body)


def test_huge_body_is_refused_and_the_server_keeps_serving(marathon_cluster):
    api = marathon_cluster.api
    port = marathon_cluster.master.http_port
    size = 64 * 1024 * 1024
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"POST /v2/apps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  + f"Content-Length: {size}\r\n\r\n".encode())
        chunk = b"[" + b" " * (1024 * 1024)
        answer = b""
        try:
            for _ in range(64):
                s.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            while b"\r\n\r\n" not in answer:
                data = s.recv(65536)
                if not data:
                    break
                answer += data
        except ConnectionResetError:
            pass
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.1 413"), answer[:500]
    assert api.get("/v2/apps").status == 200
    created = api.call("POST", "/v2/apps", small("after", 9001))
    assert created.status == 201, created.raw


# --- agents under the default test heartbeats ----------------------------------------------------

def test_an_app_task_survives_idle_agents_under_the_default_test_heartbeats(cluster):
    """200ms x 3 heartbeats used to make idle agents flap (fixed in a54ccff); the app's task must stay."""
    from marathon_helpers import Marathon
    cluster.node()
    api = Marathon(cluster.master)
    created = api.call("POST", "/v2/apps", small("calm", 9501))
    assert created.status == 201, created.raw
    task_id = api.wait_running("/calm", 1)[0]["id"]
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        assert [t["id"] for t in api.tasks("/calm")] == [task_id], "the task was replaced"
        assert all(s["active"] for s in cluster.master.slaves()), "the agent went unreachable"
        time.sleep(0.1)
    assert "unreachable" not in cluster.master.log()
