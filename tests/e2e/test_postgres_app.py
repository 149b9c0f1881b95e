"""The pieces of the end-to-end tests checked on their own, on a Marathon app without a volume
(the data directory is in the task's sandbox): the launcher brings up a durable PostgreSQL as a
root task, the writer follows the app and records what was acknowledged, the checker finds a row
that went missing, and an app that is stopped shuts PostgreSQL down cleanly."""

import os

import psycopg2

from pg_cluster import pg_app, sandbox_log, wait_accepting_writes
from marathon_helpers import poll, processes_with
from pg_workload import check, connect, read_log, start_writer, stop_writer


def test_launcher_writer_and_checker_on_an_app_without_volume(pg_cluster, work_dir):
    api, url = pg_cluster.api, pg_cluster.api_url
    api.ok("POST", "/v2/apps", pg_app("/pg-plain"), expect=(201,))
    task = wait_accepting_writes(url, "/pg-plain", timeout=60)
    node = pg_cluster.node_of(task["slaveId"])

    # Where it listens, as whom, and with what durability.
    assert task["host"] == node.hostname
    connection = connect(task["host"], task["ports"][0])
    with connection.cursor() as cursor:
        settings = {}
        for name in ("fsync", "synchronous_commit", "full_page_writes", "listen_addresses", "port",
                     "unix_socket_directories", "data_directory"):
            cursor.execute("SELECT current_setting(%s)", (name,))
            settings[name] = cursor.fetchone()[0]
    connection.close()
    sandbox = node.sandbox(task["id"])
    assert settings == {
        "fsync": "on", "synchronous_commit": "on", "full_page_writes": "on",
        "listen_addresses": node.hostname, "port": str(task["ports"][0]),
        "unix_socket_directories": "/run/postgresql",
        "data_directory": os.path.join(sandbox, "pgdata", "pg15")}
    assert os.stat(os.path.join(sandbox, "pgdata", "pg15")).st_uid != 0
    # The unix socket is in the server's own mount namespace, not on the host.
    postmaster = processes_with(os.path.join(sandbox, "pgdata", "pg15"), comm="postgres")
    assert len(postmaster) == 1, postmaster
    socket_name = f"run/postgresql/.s.PGSQL.{task['ports'][0]}"
    assert os.path.exists(f"/proc/{postmaster[0]}/root/{socket_name}")
    assert not os.path.exists("/" + socket_name)

    log_path = os.path.join(work_dir, "writes.log")
    writer = start_writer(url, "/pg-plain", log_path)
    try:
        poll(lambda: len(read_log(log_path).acks) >= 200, timeout=30, what="200 acknowledged rows")
    finally:
        assert stop_writer(writer) == 0

    report = check(url, "/pg-plain", log_path)
    print(report.summary())
    assert report.acknowledged >= 200
    assert report.missing == [] and report.unexpected == []
    assert report.present >= report.acknowledged

    # The checker can fail: an acknowledged row taken away behind its back is reported.
    victim = sorted(read_log(log_path).acks)[len(report.missing) + 17]
    connection = connect(task["host"], task["ports"][0])
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM acked_rows WHERE id = %s", (victim,))
    connection.close()
    assert check(url, "/pg-plain", log_path).missing == [victim]

    # Stopping the app: SIGTERM becomes a fast shutdown, a clean exit within the grace period.
    api.ok("PUT", "/v2/apps/pg-plain", {"instances": 0})
    api.wait_deployments_done(timeout=30, app_id="/pg-plain")
    poll(lambda: "PostgreSQL exited with status 0" in sandbox_log(node, task["id"]), timeout=15,
         what="the launcher to report a clean exit")
    stderr = sandbox_log(node, task["id"])
    assert "received fast shutdown request" in stderr
    assert "database system is shut down" in stderr
    try:
        connect(task["host"], task["ports"][0], timeout=1).close()
        raise AssertionError("PostgreSQL still answers after its app was scaled to 0")
    except psycopg2.OperationalError:
        pass
