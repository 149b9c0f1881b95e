"""Debian's python3-marathon (0.13) against a real master and three real nodes: every client
method whose endpoint Berth serves must succeed and every document must parse in the client's
strict models (no TypeError, AttributeError or ValueError); the removed endpoints must map to
NotFoundError."""

import datetime
import threading

import pytest

from marathon_helpers import poll, processes_with, sleeper

marathon = pytest.importorskip("marathon", reason="python3-marathon is not installed (use /usr/bin/python3)")
from marathon import MarathonClient  # noqa: E402
from marathon.exceptions import ConflictError, NotFoundError  # noqa: E402
from marathon.models import MarathonApp, MarathonDeployment, MarathonGroup, MarathonInfo, MarathonQueueItem, \
    MarathonTask  # noqa: E402
from marathon.models.constraint import MarathonConstraint  # noqa: E402


@pytest.fixture
def client(marathon_cluster):
    return MarathonClient(f"http://127.0.0.1:{marathon_cluster.master.http_port}", timeout=10)


def app(marker, **kwargs):
    kwargs.setdefault("cpus", 0.1)
    kwargs.setdefault("mem", 32)
    return MarathonApp(cmd=sleeper(marker), **kwargs)


def sleeping(marker):
    return processes_with(sleeper(marker), comm="sleep")


def settled(client, timeout=20):
    """Waits until no deployment is listed (through the client, so the list parses)."""
    poll(lambda: client.list_deployments() == [], timeout=timeout, what="deployments to finish")


def running(client, app_id, count, timeout=20):
    return poll(lambda: (lambda ts: ts if len(ts) == count and all(t.state == "TASK_RUNNING" for t in ts) else None)(
        client.list_tasks(app_id)), timeout=timeout, what=f"{count} running task(s) of {app_id}")


def is_deployment_result(result):
    return isinstance(result, dict) and set(result) == {"deploymentId", "version"}


def test_apps_create_list_get_update_rollback_delete(client):
    created = client.create_app("/c/one", app(101, instances=2, labels={"tier": "web", "env": "prod"}))
    assert isinstance(created, MarathonApp), "create_app returns an App only on 201"
    assert created.id == "/c/one" and created.instances == 2 and created.tasks_running == 0
    assert len(created.deployments) == 1
    assert client.create_app("/c/two", app(102, labels={"tier": "db"}))
    with pytest.raises(ConflictError):
        client.create_app("/c/two", app(102))
    settled(client)

    assert sorted(a.id for a in client.list_apps()) == ["/c/one", "/c/two"]
    embedded = client.list_apps(embed_tasks=True, embed_counts=True, embed_deployments=True, embed_readiness=True,
                                embed_last_task_failure=True, embed_failures=True, embed_task_stats=True)
    one = [a for a in embedded if a.id == "/c/one"][0]
    assert len(one.tasks) == 2 and all(isinstance(t, MarathonTask) for t in one.tasks)
    assert one.tasks_running == 2
    assert [a.id for a in client.list_apps(cmd=sleeper(101))] == ["/c/one"]
    assert [a.id for a in client.list_apps(app_id="two")] == ["/c/two"]
    assert [a.id for a in client.list_apps(label="tier==db")] == ["/c/two"]
    assert [a.id for a in client.list_apps(label="tier in (web, db),env")] == ["/c/one"]
    assert [a.id for a in client.list_apps(label="tier!=web")] == ["/c/two"]
    assert [a.id for a in client.list_apps(instances=2)] == ["/c/one"]

    got = client.get_app("/c/one", embed_tasks=True, embed_counts=True, embed_deployments=True,
                         embed_readiness=True, embed_last_task_failure=True, embed_failures=True,
                         embed_task_stats=True)
    assert got.cmd == sleeper(101) and got.labels == {"tier": "web", "env": "prod"}
    assert len(got.tasks) == 2
    assert all(isinstance(t.started_at, datetime.datetime) and t.host for t in got.tasks)
    with pytest.raises(NotFoundError) as missing:
        client.get_app("/c/none")
    assert missing.value.error_message == "App '/c/none' does not exist"

    updated = client.update_app("/c/one", app(103, instances=2))
    assert is_deployment_result(updated), updated
    settled(client)
    assert client.get_app("/c/one").cmd == sleeper(103)
    running(client, "/c/one", 2)
    poll(lambda: len(sleeping(103)) == 2 and not sleeping(101), timeout=10, what="the update's processes")

    versions = client.list_versions("/c/one")
    assert len(versions) == 2 and versions[0] == updated["version"], versions
    first = client.get_version("/c/one", versions[-1])
    assert isinstance(first, MarathonApp) and first.cmd == sleeper(101)
    rolled = client.rollback_app("/c/one", versions[-1])
    assert is_deployment_result(rolled), rolled
    settled(client)
    assert client.get_app("/c/one").cmd == sleeper(101)
    poll(lambda: len(sleeping(101)) == 2 and not sleeping(103), timeout=10, what="the rolled-back processes")

    assert is_deployment_result(client.delete_app("/c/two"))
    assert is_deployment_result(client.delete_app("/c/one", force=True))
    settled(client)
    assert client.list_apps() == []
    poll(lambda: not sleeping(101) and not sleeping(102), timeout=10, what="every process to end")


def test_scale_and_kill_tasks(client):
    assert client.create_app("/s", app(201))
    settled(client)
    assert is_deployment_result(client.scale_app("/s", instances=3))
    settled(client)
    assert client.get_app("/s").instances == 3
    assert is_deployment_result(client.scale_app("/s", delta=-1))
    settled(client)
    tasks = running(client, "/s", 2)
    assert client.get_app("/s").instances == 2
    listed = client.list_tasks()
    assert sorted(t.id for t in listed) == sorted(t.id for t in tasks)
    assert all(t.app_id == "/s" and t.slave_id and len(t.service_ports) >= len(t.ports) for t in listed)

    # kill_task without scale: a MarathonTask back, a replacement comes.
    killed = client.kill_task("/s", tasks[0].id)
    assert isinstance(killed, MarathonTask) and killed.id == tasks[0].id
    tasks = poll(lambda: (lambda ts: ts if len(ts) == 2 and killed.id not in [t.id for t in ts] else None)(
        running(client, "/s", 2)), what="a replacement task")
    # kill_task with scale: a deployment result, instances drop.
    scaled = client.kill_task("/s", tasks[0].id, scale=True)
    assert is_deployment_result(scaled), scaled
    settled(client)
    assert client.get_app("/s").instances == 1

    assert is_deployment_result(client.scale_app("/s", instances=4))
    settled(client)
    tasks = running(client, "/s", 4)
    assert client.kill_given_tasks([tasks[0].id]) is True
    poll(lambda: tasks[0].id not in [t.id for t in running(client, "/s", 4)], what="the killed task replaced")
    tasks = running(client, "/s", 4)
    assert client.kill_given_tasks([tasks[0].id], scale=True, force=False) is True
    settled(client)
    assert client.get_app("/s").instances == 3
    tasks = running(client, "/s", 3)

    host = tasks[0].host
    on_host = [t.id for t in tasks if t.host == host]
    by_host = client.kill_tasks("/s", scale=True, host=host)
    assert is_deployment_result(by_host), by_host
    settled(client)
    assert client.get_app("/s").instances == 3 - len(on_host)
    left = running(client, "/s", 3 - len(on_host))
    assert all(t.host != host for t in left)

    everything = client.kill_tasks("/s")
    assert sorted(t.id for t in everything) == sorted(t.id for t in left)
    assert all(isinstance(t, MarathonTask) for t in everything)
    poll(lambda: (lambda ts: len(ts) == len(left) and not {t.id for t in ts} & {t.id for t in left})(
        running(client, "/s", len(left))), what="all killed tasks replaced")

    before = {t.id for t in client.list_tasks("/s")}
    restarted = client.restart_app("/s")
    assert is_deployment_result(restarted), restarted
    settled(client)
    after = running(client, "/s", len(left))
    assert not before & {t.id for t in after}
    assert all(t.version == restarted["version"] for t in after)


def test_deployments_and_queue(client, marathon_cluster):
    # Four instances, three hosts: the deployment cannot finish.
    assert client.create_app("/q", app(301, instances=4, constraints=[MarathonConstraint("hostname", "UNIQUE")]))
    running(client, "/q", 3)
    deployments = client.list_deployments()
    assert len(deployments) == 1 and isinstance(deployments[0], MarathonDeployment)
    stuck = deployments[0]
    assert stuck.affected_apps == ["/q"] and stuck.current_actions[0].app == "/q"
    item = poll(lambda: [i for i in client.list_queue() if i.app.id == "/q" and i.count == 1], what="/q in the queue")[0]
    assert isinstance(item, MarathonQueueItem) and item.delay.time_left_seconds is not None
    assert [i.app.id for i in client.list_queue(embed_last_unused_offers=True)] == ["/q"]

    # Cancel with rollback: a revert deployment takes the app back to before it existed.
    revert = client.delete_deployment(stuck.id)
    assert is_deployment_result(revert) and revert["deploymentId"] != stuck.id, revert
    settled(client)
    with pytest.raises(NotFoundError):
        client.get_app("/q")
    poll(lambda: not sleeping(301), timeout=10, what="the reverted app's processes to end")

    # Cancel with force: the deployment goes, the app stays as far as it got.
    assert client.create_app("/q2", app(302, instances=4, constraints=[MarathonConstraint("hostname", "UNIQUE")]))
    running(client, "/q2", 3)
    stuck = client.list_deployments()[0]
    assert client.delete_deployment(stuck.id, force=True) == {}
    poll(lambda: client.list_deployments() == [], timeout=10, what="the cancelled deployment to go")
    assert client.get_app("/q2").instances == 4
    with pytest.raises(NotFoundError):
        client.delete_deployment(stuck.id)

    # reset_delay on a crashing app; NotFoundError when nothing is queued.
    assert client.create_app("/crash", MarathonApp(cmd="exit 1", cpus=0.1, mem=32, backoff_seconds=5,
                                                   backoff_factor=2, max_launch_delay_seconds=60))
    poll(lambda: [i for i in client.list_queue() if i.app.id == "/crash" and i.delay.time_left_seconds > 0],
         what="/crash delayed in the queue")
    failure = client.get_app("/crash", embed_last_task_failure=True).last_task_failure
    assert failure.state == "TASK_FAILED" and failure.app_id == "/crash"
    assert isinstance(failure.timestamp, datetime.datetime)
    assert client.reset_delay("/crash") is None
    with pytest.raises(NotFoundError):
        client.reset_delay("/nothing")


def test_groups(client):
    group = MarathonGroup(id="/g", apps=[app(401, id="/g/a")])
    created = client.create_group(group)
    assert is_deployment_result(created), created
    settled(client)
    groups = client.list_groups()
    assert [g.id for g in groups] == ["/g"] and isinstance(groups[0], MarathonGroup)
    got = client.get_group("/g")
    assert [a.id for a in got.apps] == ["/g/a"] and got.apps[0].cmd == sleeper(401)
    running(client, "/g/a", 1)

    updated = client.update_group("/g", MarathonGroup(id="/g", apps=[app(401, id="/g/a", instances=2),
                                                                     app(402, id="/g/b")]))
    assert is_deployment_result(updated), updated
    settled(client)
    assert sorted((a.id, a.instances) for a in client.get_group("/g").apps) == [("/g/a", 2), ("/g/b", 1)]

    assert is_deployment_result(client.scale_group("/g", 2))
    settled(client)
    assert sorted((a.id, a.instances) for a in client.get_group("/g").apps) == [("/g/a", 4), ("/g/b", 2)]
    running(client, "/g/a", 4)
    poll(lambda: len(sleeping(401)) == 4 and len(sleeping(402)) == 2, timeout=10, what="the scaled processes")

    assert is_deployment_result(client.delete_group("/g"))
    settled(client)
    with pytest.raises(NotFoundError):
        client.get_group("/g")
    assert client.list_groups() == []
    poll(lambda: not sleeping(401) and not sleeping(402), timeout=10, what="the group's processes to end")


def test_rollback_group_is_not_found(client):
    created = client.create_group(MarathonGroup(id="/r", apps=[app(451, id="/r/a")]))
    assert is_deployment_result(created), created
    settled(client)
    with pytest.raises(NotFoundError):
        client.rollback_group("/r", created["version"])


def test_update_apps_info_leader_ping_and_removed_endpoints(client, marathon_cluster):
    check = {"protocol": "COMMAND", "command": {"value": "true"}, "gracePeriodSeconds": 30, "intervalSeconds": 1,
             "timeoutSeconds": 5, "delaySeconds": 0, "maxConsecutiveFailures": 3}
    result = client.update_apps([app(501, id="/u/a", health_checks=[check]), app(502, id="/u/b", instances=2)])
    assert is_deployment_result(result), result
    settled(client)
    healthy = client.get_app("/u/a", embed_tasks=True).tasks[0].health_check_results
    assert healthy and healthy[0].alive is True and isinstance(healthy[0].last_success, datetime.datetime)
    assert client.get_app("/u/a").health_checks[0].protocol == "COMMAND"
    assert sorted((a.id, a.tasks_running) for a in client.list_apps()) == [("/u/a", 1), ("/u/b", 2)]
    result = client.update_apps([MarathonApp(id="/u/a", instances=2), MarathonApp(id="/u/b", instances=1)])
    assert is_deployment_result(result), result
    settled(client)
    assert sorted((a.id, a.instances) for a in client.list_apps()) == [("/u/a", 2), ("/u/b", 1)]

    info = client.get_info()
    assert isinstance(info, MarathonInfo)
    assert info.name == "marathon" and info.version.split(".")[0].isdigit()
    assert info.http_config.http_port == marathon_cluster.master.http_port
    assert info.marathon_config is not None and info.zookeeper_config is not None
    leader = client.get_leader()
    assert set(leader) == {"leader"} and leader["leader"]
    assert client.ping().strip() in (b"pong", b'"pong"')

    with pytest.raises(NotFoundError):
        client.list_event_subscriptions()
    with pytest.raises(NotFoundError):
        client.create_event_subscription("http://127.0.0.1:1/callback")


def test_event_stream_parses_app_events(client, marathon_cluster):
    import http.client
    connection = http.client.HTTPConnection("127.0.0.1", marathon_cluster.master.http_port, timeout=5)
    connection.request("GET", "/v2/events", headers={"Accept": "text/event-stream"})
    status = connection.getresponse().status
    connection.close()
    if status != 200:
        pytest.skip(f"/v2/events answers {status}")

    seen, errors = [], []

    def consume():
        try:
            stream_client = MarathonClient(f"http://127.0.0.1:{marathon_cluster.master.http_port}")
            for event in stream_client.event_stream():
                seen.append(event)
                if event.event_type == "deployment_success":
                    return
        except Exception as error:  # noqa: BLE001 - any parse failure is the finding
            errors.append(repr(error))

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    poll(lambda: seen or errors, timeout=10, what="the stream to attach")
    assert client.create_app("/ev", app(601, instances=2))
    thread.join(timeout=20)
    assert not errors, errors
    assert not thread.is_alive(), f"no deployment_success; saw {[e.event_type for e in seen]}"
    types = [e.event_type for e in seen]
    assert types[0] == "event_stream_attached"
    assert "api_post_event" in types
    updates = [e for e in seen if e.event_type == "status_update_event" and e.task_status == "TASK_RUNNING"]
    assert len(updates) == 2 and all(u.app_id == "/ev" for u in updates), types
