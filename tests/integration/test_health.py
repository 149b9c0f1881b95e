"""Health checks, readiness and fetching, run by real agents on real tasks."""

import os
import subprocess
import tarfile

from cluster import wait_for


def test_http_health_check_and_readiness_of_a_real_server(cluster):
    cluster.node()
    task = cluster.master.launch(
        name="web", cmd="exec python3 -m http.server $PORT0 --bind 127.0.0.1", ports=1, mem=128,
        health_checks=[{"protocol": "MESOS_HTTP", "path": "/", "portIndex": 0,
                        "gracePeriodSeconds": 30, "intervalSeconds": 0.3, "timeoutSeconds": 2,
                        "delaySeconds": 0, "maxConsecutiveFailures": 3}],
        readiness_check={"path": "/", "portIndex": 0, "intervalSeconds": 0.3,
                         "httpStatusCodesForReady": [200]})
    healthy = wait_for(lambda: (lambda t: t if t.get("healthy") is True else None)(
        cluster.master.task(task["id"])), timeout=20, what="the server to be healthy")
    assert healthy["state"] == "TASK_RUNNING"
    assert healthy["statuses"][-1]["healthy"] is True
    result = healthy["health_check_results"][0]
    assert result["alive"] is True and result["consecutive_failures"] == 0
    assert result["first_success"] is not None
    wait_for(lambda: cluster.master.task(task["id"]).get("ready") is True, timeout=10,
             what="the server to be ready")


def test_checks_reach_a_server_that_listens_only_on_its_host(cluster):
    """Marathon probes host:port: a task bound to $HOST alone (not loopback) is healthy."""
    node = cluster.node(hostname="127.0.0.7")
    task = cluster.master.launch(
        name="bound", cmd="exec python3 -m http.server $PORT0 --bind $HOST", ports=1, mem=128,
        agent_id=node.agent_id(),
        health_checks=[{"protocol": protocol, "path": "/", "portIndex": 0, "gracePeriodSeconds": 30,
                        "intervalSeconds": 0.3, "timeoutSeconds": 2, "delaySeconds": 0,
                        "maxConsecutiveFailures": 3} for protocol in ("MESOS_HTTP", "MESOS_TCP")])
    healthy = wait_for(lambda: (lambda t: t if t.get("healthy") is True else None)(
        cluster.master.task(task["id"])), timeout=20, what="the server to be healthy")
    assert [r["alive"] for r in healthy["health_check_results"]] == [True, True]


def test_failing_tcp_check_counts_consecutive_failures_without_killing_a_bare_task(cluster):
    cluster.node()
    task = cluster.master.launch(
        name="deaf", cmd="sleep 1000", ports=1,
        health_checks=[{"protocol": "TCP", "portIndex": 0, "gracePeriodSeconds": 0,
                        "intervalSeconds": 0.2, "timeoutSeconds": 1, "delaySeconds": 0,
                        "maxConsecutiveFailures": 2}])
    failing = wait_for(lambda: (lambda t: t if t.get("health_check_results") and
                                t["health_check_results"][0]["consecutive_failures"] >= 4 else None)(
        cluster.master.task(task["id"])), timeout=20, what="four consecutive failures")
    assert failing["healthy"] is False
    assert failing["state"] == "TASK_RUNNING", "only the app scheduler kills for health"
    assert failing["health_check_results"][0]["last_failure_cause"] == "connection refused"
    assert failing["statuses"][-1]["healthy"] is False


def test_command_check_runs_inside_the_task_with_its_environment(cluster):
    node = cluster.node()
    # Inside the task's pid namespace pid 1 is its supervisor (berth __supervise); outside it is
    # the node's init (python3). The check passes only inside, in the sandbox, with the task's variables.
    task = cluster.master.launch(
        name="cmdcheck", cmd="touch marker; sleep 1000", env={"SECRET_WORD": "swordfish"},
        health_checks=[{"protocol": "COMMAND", "gracePeriodSeconds": 0, "intervalSeconds": 0.3,
                        "timeoutSeconds": 5, "delaySeconds": 0.5,
                        "command": {"value": "grep -qa __supervise /proc/1/cmdline && test -f marker && "
                                             "test \"$SECRET_WORD\" = swordfish"}}])
    try:
        wait_for(lambda: cluster.master.task(task["id"]).get("healthy") is True, timeout=10,
                 what="the command check to pass")
    except AssertionError:
        raise AssertionError(node.log()[-3000:])


def test_fetch_copies_unpacks_and_makes_executable_before_the_task_starts(cluster, work_dir):
    node = cluster.node()
    source = os.path.join(work_dir, "artifacts")
    os.makedirs(os.path.join(source, "app"))
    with open(os.path.join(source, "app", "data.txt"), "w") as f:
        f.write("from the archive\n")
    with tarfile.open(os.path.join(source, "app.tgz"), "w:gz") as archive:
        archive.add(os.path.join(source, "app"), arcname="app")
    with open(os.path.join(source, "run.sh"), "w") as f:
        f.write("#!/bin/sh\necho run by $MESOS_TASK_ID\n")
    task = cluster.master.launch(
        name="fetched", cmd="./bin/run && cat app/data.txt",
        fetch=[{"uri": "file://" + os.path.join(source, "app.tgz")},
               {"uri": os.path.join(source, "run.sh"), "executable": True, "destPath": "bin/run"}])
    cluster.master.wait_state(task["id"], "TASK_FINISHED", timeout=15)
    with open(os.path.join(node.sandbox(task["id"]), "stdout")) as f:
        assert f.read() == f"run by {task['id']}\nfrom the archive\n"


def test_a_uri_that_cannot_be_fetched_fails_the_task_naming_it(cluster):
    cluster.node()
    task = cluster.master.launch(name="nofetch", cmd="true", uris=["http://example.com/app.tgz"])
    failed = cluster.master.wait_state(task["id"], "TASK_FAILED", timeout=15)
    status = failed["statuses"][-1]
    assert status["reason"] == "REASON_CONTAINER_LAUNCH_FAILED"
    assert "Failed to fetch 'http://example.com/app.tgz'" in status["message"]
