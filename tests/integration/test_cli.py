"""The `berth` command-line client (app, task, deployment, agent ls, completion) run as a
subprocess against a real master and one node: every verb, its table and its --json, the
deployment it starts, $BERTH_MASTER, exit codes (0 ok, 1 refused or unreachable, 2 bad usage) and
a 422 printed field by field. Also the agent's /files/read, which `berth task logs` reads."""

import json
import os
import re
import subprocess
import pytest

from cluster import BERTH, http, wait_for
from marathon_helpers import Marathon


@pytest.fixture
def node_cluster(cluster):
    cluster.node()
    cluster.api = Marathon(cluster.master)
    return cluster


def berth(cluster, *args, env=None, stdin=None, timeout=60, master=True):
    """(exit code, stdout, stderr) of `berth <args>` aimed at the cluster's master API."""
    flags = [f"--master=127.0.0.1:{cluster.master.http_port}"] if master else []
    full_env = dict(os.environ)
    full_env.pop("BERTH_MASTER", None)
    full_env.update(env or {})
    done = subprocess.run([BERTH, *args, *flags], capture_output=True, text=True, input=stdin,
                          timeout=timeout, env=full_env)
    return done.returncode, done.stdout, done.stderr


def ok(cluster, *args, **kwargs):
    code, out, err = berth(cluster, *args, **kwargs)
    assert code == 0, f"berth {' '.join(args)} -> {code}\nstdout: {out}\nstderr: {err}"
    return out


def write_json(tmp_path, name, document):
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return str(path)


def rows(table_text):
    """The rows of a table as lists of cells, the header first."""
    return [line.split() for line in table_text.strip().splitlines()]


def task_ids(cluster, app_id):
    return [t["id"] for t in cluster.api.tasks(app_id) if t["state"] == "TASK_RUNNING"]


def test_app_verbs_from_add_to_rm(node_cluster, tmp_path):
    c = node_cluster
    app = write_json(tmp_path, "app.json", {
        "id": "/cli/web", "cmd": "echo hello-out; echo hello-err >&2; sleep 1000",
        "cpus": 0.1, "mem": 32, "instances": 1})
    out = ok(c, "app", "add", app, "--wait")
    assert out.startswith("created app /cli/web: deployment ")
    assert "succeeded" in out.splitlines()[-1]
    assert len(task_ids(c, "/cli/web")) == 1

    table = rows(ok(c, "app", "ls"))
    assert table[0] == ["ID", "RUNNING", "HEALTHY", "STAGED", "CPUS", "MEM", "DEPLOYING", "CMD"]
    assert table[1][:7] == ["/cli/web", "1/1", "-", "0", "0.1", "32", "-"]
    listed = json.loads(ok(c, "app", "ls", "--json"))
    assert [a["id"] for a in listed["apps"]] == ["/cli/web"]

    shown = ok(c, "app", "show", "/cli/web")
    assert re.search(r"^INSTANCES +1 running of 1, 0 staged", shown, re.M), shown
    assert "TASK_RUNNING" in shown and task_ids(c, "/cli/web")[0] in shown
    assert json.loads(ok(c, "app", "show", "cli/web", "--json"))["app"]["instances"] == 1

    out = ok(c, "app", "scale", "/cli/web", "2", "--wait")
    assert out.startswith("scaling app /cli/web to 2 instances: deployment ")
    assert len(task_ids(c, "/cli/web")) == 2

    update = write_json(tmp_path, "update.json", {"cmd": "echo v2; sleep 1000"})
    out = ok(c, "app", "update", "/cli/web", update, "--wait")
    assert out.startswith("updating app /cli/web: deployment ")
    assert c.api.app("/cli/web")["cmd"] == "echo v2; sleep 1000"

    before = set(task_ids(c, "/cli/web"))
    out = ok(c, "app", "restart", "/cli/web", "--wait")
    assert out.startswith("restarting app /cli/web: deployment ")
    assert not before & set(task_ids(c, "/cli/web"))

    ok(c, "app", "suspend", "/cli/web", "--wait")
    assert c.api.app("/cli/web")["instances"] == 0
    wait_for(lambda: not task_ids(c, "/cli/web"), what="no tasks after suspend")

    out = ok(c, "app", "rm", "/cli/web")
    assert out.startswith("removing app /cli/web")
    wait_for(lambda: c.api.get("/v2/apps/cli/web").status == 404, what="app gone")


def test_app_add_from_stdin_and_json_output(node_cluster):
    c = node_cluster
    out = ok(c, "app", "add", "-", "--json",
             stdin=json.dumps({"id": "piped", "cmd": "sleep 1000", "cpus": 0.1, "mem": 16}))
    created = json.loads(out)
    assert created["id"] == "/piped" and created["deployments"]


def test_task_ls_kill_and_logs(node_cluster, tmp_path):
    c = node_cluster
    app = write_json(tmp_path, "app.json", {
        "id": "/logger", "cpus": 0.1, "mem": 32, "instances": 2,
        "cmd": "for i in 1 2 3 4 5; do echo out-$i; done; echo err-line >&2; sleep 1000"})
    ok(c, "app", "add", app, "--wait")
    ids = task_ids(c, "/logger")
    assert len(ids) == 2

    table = rows(ok(c, "task", "ls"))
    assert table[0] == ["ID", "APP", "HOST", "STATE", "HEALTH", "PORTS", "STARTED"]
    assert sorted(r[0] for r in table[1:]) == sorted(ids)
    assert all(r[1:4] == ["/logger", "127.0.0.1", "TASK_RUNNING"] for r in table[1:])
    only = json.loads(ok(c, "task", "ls", "--app", "/logger", "--json"))
    assert sorted(t["id"] for t in only["tasks"]) == sorted(ids)

    task = ids[0]
    wait_for(lambda: "err-line" in ok(c, "task", "logs", task), what="the task's output")
    assert ok(c, "task", "logs", task) == (
        "==> stdout <==\nout-1\nout-2\nout-3\nout-4\nout-5\n\n==> stderr <==\nerr-line\n")
    assert ok(c, "task", "logs", task, "--stdout", "-n", "2") == "out-4\nout-5\n"
    assert ok(c, "task", "logs", task, "--stderr") == "err-line\n"

    # Killed without --scale, the task is replaced.
    out = ok(c, "task", "kill", task)
    assert out == f"killing task {task} (/logger replaces it)\n"
    wait_for(lambda: task not in task_ids(c, "/logger") and len(task_ids(c, "/logger")) == 2,
             timeout=20, what="a replacement task")
    # The logs of a task that has ended can still be read from its agent.
    assert "out-5" in ok(c, "task", "logs", task, "--stdout")

    # With --scale, the app shrinks.
    victim = task_ids(c, "/logger")[0]
    out = ok(c, "task", "kill", victim, "--scale")
    assert out.startswith(f"killing task {victim} and scaling /logger down: deployment ")
    wait_for(lambda: c.api.app("/logger")["instances"] == 1 and len(task_ids(c, "/logger")) == 1,
             timeout=20, what="the app scaled to 1")

    assert ok(c, "task", "logs", victim, "--stdout", "-n", "0").startswith("out-1\n")

    code, _, err = berth(c, "task", "kill", "no-such-task")
    assert code == 1 and "no running task 'no-such-task'" in err
    code, _, err = berth(c, "task", "logs", "no-such-task")
    assert code == 1 and "404" in err


def test_task_logs_follow_until_the_task_ends(node_cluster):
    c = node_cluster
    c.api.ok("POST", "/v2/apps", {
        "id": "/ticker", "cpus": 0.1, "mem": 16, "backoffSeconds": 60,
        "cmd": "sleep 0.5; for i in 1 2 3 4 5; do echo tick-$i; sleep 0.3; done"}, expect=(201,))
    task = wait_for(lambda: (task_ids(c, "/ticker") or [None])[0], timeout=20, what="the task")
    out = ok(c, "task", "logs", task, "--stdout", "-f", timeout=30)
    assert out == "".join(f"tick-{i}\n" for i in range(1, 6))


def test_deployment_ls_watch_and_cancel(node_cluster, tmp_path):
    c = node_cluster
    # More memory than the node has: the deployment cannot finish until cancelled.
    stuck = write_json(tmp_path, "stuck.json", {"id": "/stuck", "cmd": "sleep 1000", "cpus": 0.1,
                                                 "mem": 100000, "instances": 1})
    out = ok(c, "app", "add", stuck)
    deployment = out.strip().split("deployment ")[-1]

    table = rows(ok(c, "deployment", "ls"))
    assert table[0] == ["ID", "STEP", "APPS", "VERSION", "ACTIONS"]
    assert table[1][:3] == [deployment, "1/1", "/stuck"]
    assert [d["id"] for d in json.loads(ok(c, "deployment", "ls", "--json"))] == [deployment]

    watch = subprocess.Popen([BERTH, "deployment", "watch", deployment,
                              f"--master=127.0.0.1:{c.master.http_port}", "--interval=100ms"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = watch.stdout.readline()
        assert "step 1/1: StartApplication /stuck 0/1 running" in first
        out = ok(c, "deployment", "cancel", deployment, "--force")
        assert out == f"stopped deployment {deployment} (no rollback)\n"
        rest, err = watch.communicate(timeout=20)
    finally:
        if watch.poll() is None:
            watch.kill()
    assert watch.returncode == 1, err
    assert rest.strip().endswith(f"deployment {deployment} failed: cancelled")

    # Without --force, a cancel rolls back in a new deployment.
    scaled = ok(c, "app", "scale", "/stuck", "2", "--force")
    second = scaled.strip().split("deployment ")[-1]
    out = ok(c, "deployment", "cancel", second)
    assert out.startswith(f"cancelled deployment {second}; rolling back in deployment ")

    code, _, err = berth(c, "deployment", "watch", "no-such-deployment")
    assert code == 1 and "no deployment 'no-such-deployment' is running" in err
    code, _, err = berth(c, "deployment", "cancel", "no-such-deployment")
    assert code == 1 and "404" in err


def test_agent_ls(node_cluster):
    c = node_cluster
    agent_id = c.nodes[0].agent_id()
    table = rows(ok(c, "agent", "ls"))
    assert table[0] == ["ID", "HOSTNAME", "PORT", "STATUS", "CPUS", "MEM", "DISK", "ATTRIBUTES"]
    assert table[1][:7] == [agent_id, "127.0.0.1", str(c.nodes[0].port), "ACTIVE", "0/2",
                            "0/1024", "0/1024"]
    slaves = json.loads(ok(c, "agent", "ls", "--json"))["slaves"]
    assert [s["id"] for s in slaves] == [agent_id]


def test_master_from_the_environment_and_the_flag_wins(node_cluster):
    c = node_cluster
    good = f"127.0.0.1:{c.master.http_port}"
    code, out, err = berth(c, "agent", "ls", master=False, env={"BERTH_MASTER": good})
    assert code == 0, err
    assert "ACTIVE" in out
    code, _, err = berth(c, "app", "ls", env={"BERTH_MASTER": "127.0.0.1:1"})
    assert code == 0, err
    code, _, err = berth(c, "app", "ls", master=False, env={"BERTH_MASTER": "127.0.0.1:1"})
    assert code == 1 and "cannot reach the master at 127.0.0.1:1" in err
    code, _, err = berth(c, "task", "ls", master=False, env={"BERTH_MASTER": "nonsense"})
    assert code == 2 and "host:port" in err


def test_a_422_prints_each_field(node_cluster, tmp_path):
    c = node_cluster
    bad = write_json(tmp_path, "bad.json", {"id": "/bad", "cmd": "sleep 1", "cpus": -1,
                                             "mem": 16, "instances": -2})
    code, out, err = berth(c, "app", "add", bad)
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert lines[0] == "berth app add: 422 Object is not valid"
    assert any(line.startswith("  /cpus: ") for line in lines[1:]), err
    assert any(line.startswith("  /instances: ") for line in lines[1:]), err


def test_bad_usage_exits_2_before_any_request(node_cluster, tmp_path):
    c = node_cluster
    broken = tmp_path / "broken.json"
    broken.write_text('{"id": ')
    for args in (["app", "scale", "/web", "-1"], ["app", "scale", "/web"], ["app"],
                 ["app", "add", str(tmp_path / "missing.json")], ["app", "add", str(broken)],
                 ["app", "show", "//"], ["task", "kill", "t", "--scale", "--wipe"],
                 ["task", "logs", "t", "--stdout", "--stderr"], ["deployment", "frobnicate"],
                 ["agent", "ls", "--work_dir=/tmp"], ["completion", "zsh"]):
        code, out, err = berth(c, *args)
        assert code == 2, (args, out, err)
    # Nothing reached the master: no app exists.
    assert c.api.get("/v2/apps").body["apps"] == []


def test_unreachable_master_exits_1(node_cluster):
    for args in (["app", "ls"], ["task", "ls"], ["deployment", "ls"], ["agent", "ls"]):
        code, _, err = berth(node_cluster, *args, "--master=127.0.0.1:1", master=False)
        assert code == 1 and "cannot reach the master" in err, (args, err)


def test_bash_completion():
    script = subprocess.run([BERTH, "completion", "bash"], capture_output=True, text=True,
                            check=True).stdout

    def complete(*words):
        line = " ".join(["berth", *words])
        program = (f"{script}\nCOMP_WORDS=({line}); COMP_CWORD={len(words)};"
                   f" _berth; echo \"${{COMPREPLY[@]}}\"")
        return subprocess.run(["bash", "-c", program], capture_output=True, text=True,
                              check=True).stdout.split()

    assert complete("ap") == ["app"]
    assert complete("app", "s") == ["show", "scale", "suspend"]
    assert complete("--json", "deployment", "") == ["ls", "watch", "cancel"]
    assert set(complete("app", "scale", "--")) >= {"--force", "--wait", "--master", "--json"}
    assert complete("task", "logs", "--s") == ["--stdout", "--stderr"]


def test_files_read_serves_only_task_sandboxes(node_cluster):
    c = node_cluster
    # The task plants links to escape its sandbox.
    c.api.ok("POST", "/v2/apps", {
        "id": "/planter", "cpus": 0.1, "mem": 16,
        "cmd": "ln -s /etc/passwd leak; ln -s .. up; printf '\\377x\\n' > bytes; echo planted;"
               " sleep 1000"}, expect=(201,))
    task = wait_for(lambda: (task_ids(c, "/planter") or [None])[0], timeout=20, what="the task")
    agent = f"http://127.0.0.1:{c.nodes[0].port}"

    def read(path, query=""):
        return http("GET", f"{agent}/files/read?path={path}{query}")

    wait_for(lambda: read(f"{task}/stdout")[1].get("data") == "planted\n", what="stdout")
    assert read(f"{task}/stdout", "&offset=-1") == (200, {"data": "", "offset": 8, "length": 0})
    assert read(f"{task}/stdout", "&offset=2&length=3") == (
        200, {"data": "ant", "offset": 2, "length": 3})
    # Bytes that are not UTF-8 arrive replaced; `length` still counts the bytes read.
    assert read(f"{task}/bytes") == (200, {"data": "\ufffdx\n", "offset": 0, "length": 3})
    for path in (f"{task}/leak", f"{task}/up/{task}/stdout", f"{task}/../{task}/stdout",
                 "../../../etc/passwd", "/etc/passwd", task):
        status, body = read(path)
        assert status == 400, (path, status, body)
    assert read(f"{task}/nothing")[0] == 404
    assert read("no-such-task/stdout")[0] == 404
    assert read(f"{task}/stdout", "&offset=x")[0] == 400
