"""The web UI: the master serves its embedded files (types, ETags, 404s) without shadowing the
API, and the browser tests in ui/tests drive it against a real master and one node.

The browser tests are JavaScript (node's test runner, playwright-core, Debian's chromium) because
that is what drives a browser best; this file runs them so that they get the same real cluster
fixtures as every other integration test. scripts/install-deps.sh installs chromium and the npm
packages; without them the browser test is skipped, unless BERTH_REQUIRE_UI_TESTS=1 (which
scripts/test.sh sets) makes that a failure. Screenshots go to .work/ui-test/<test>/screenshots/
(docs/ui.md)."""

import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request

import pytest

from cluster import Master, Node, http, remove_cgroups, wait_for

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
UI_DIR = os.path.join(ROOT, "ui")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = os.environ.get("BERTH_UI_ARTIFACTS", os.path.join(ROOT, ".work", "ui-test"))


def raw_get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_master_serves_the_embedded_ui_and_keeps_the_api(cluster):
    api = f"http://127.0.0.1:{cluster.master.http_port}"
    status, headers, body = raw_get(api + "/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert b'src="/ui/js/main.js"' in body
    etag = headers["ETag"]

    status, headers, body = raw_get(api + "/ui/js/main.js")
    assert status == 200 and headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert headers["Cache-Control"] == "no-cache"
    with open(os.path.join(UI_DIR, "static", "js", "main.js"), "rb") as f:
        assert body == f.read()  # served from the binary, byte for byte
    assert raw_get(api + "/ui/style.css")[1]["Content-Type"] == "text/css; charset=utf-8"

    # Revalidation: the same ETag answers 304 with no body.
    status, headers, body = raw_get(api + "/", {"If-None-Match": etag})
    assert status == 304 and body == b""

    head = urllib.request.Request(api + "/ui/style.css", method="HEAD")
    with urllib.request.urlopen(head, timeout=5) as response:
        assert response.status == 200 and response.read() == b""
        assert response.headers["Content-Type"] == "text/css; charset=utf-8"

    for path in ("/ui/", "/ui/missing.js", "/ui/../README.md", "/index.html", "/nothing"):
        assert raw_get(api + path)[0] == 404, path

    # The API keeps its routes: JSON, metrics and health are not the UI's.
    assert http("GET", api + "/v2/apps") == (200, {"apps": []})
    assert http("GET", api + "/health")[0] == 200
    status, headers, body = raw_get(api + "/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert http("GET", api + "/master/slaves")[0] == 200  # the Agents page's source, on this port
    assert http("POST", api + "/", {})[0] == 405


def test_master_reads_a_tasks_sandbox_through_its_agent(cluster):
    """GET /files/read on the master (what the app page's log tail reads) answers as the task's
    agent does, refuses what it can on its own, and answers 503 at once when the agent is gone."""
    node = cluster.node()
    task = cluster.master.launch(name="talker", cmd="echo hello-from-task; echo oops >&2; sleep 1000")
    cluster.master.wait_state(task["id"], "TASK_RUNNING")
    agent = f"http://{node.hostname}:{node.port}"
    for master in (f"http://127.0.0.1:{cluster.master.http_port}", cluster.master.url):
        def read(query, base=master):
            return http("GET", f"{base}/files/read?{query}")

        stdout = f"path={task['id']}/stdout"
        assert wait_for(lambda: read(stdout) == (200, {"data": "hello-from-task\n", "offset": 0,
                                                        "length": 16}), what="stdout")
        assert read(f"path={task['id']}/stderr&offset=-1") == (200, {"data": "", "offset": 5, "length": 0})
        assert read(stdout + "&offset=6&length=4") == (200, {"data": "from", "offset": 6, "length": 4})
        # The same answers as the agent's own, refusals included.
        for query in (stdout + "&offset=3", f"path={task['id']}/nothing", f"path={task['id']}/../x"):
            assert read(query) == read(query, agent), query
        assert read(f"path={task['id']}/../x")[0] == 400
        assert read(f"path={task['id']}/nothing")[0] == 404

        status, body = read("path=no-such-task/stdout")
        assert status == 404 and body["message"] == "Task 'no-such-task' does not exist"
        status, body = read(stdout + "&offset=x")
        assert status == 400 and "offset must be a whole number" in body["message"]
        status, body = read(stdout + "&offset=-2")
        assert status == 400 and "-1 or more" in body["message"]
        assert read(f"path={task['id']}")[0] == 400

    # The agent goes (its tasks stay): a read is answered 503 naming the agent, not left hanging.
    node.kill_agent()
    status, body = http("GET", f"{cluster.master.url}/files/read?path={task['id']}/stdout")
    assert status == 503, body
    assert f"{node.hostname}:{node.port}" in body["message"]


def browser_tools_missing():
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is not installed"
    if shutil.which("node") is None:
        return "node is not installed"
    if not os.path.exists(os.path.join(UI_DIR, "node_modules", "playwright-core")):
        return "ui/node_modules is missing (npm ci in ui/)"
    return None


def run_browser_test(name, master, **env):
    """Runs ui/tests/<name>.test.mjs against `master`; its output, the master's log and the
    screenshots go to ARTIFACTS/<name>/ (replaced at each run)."""
    missing = browser_tools_missing()
    if missing:
        if os.environ.get("BERTH_REQUIRE_UI_TESTS") == "1":
            pytest.fail(f"browser tests cannot run: {missing} (scripts/install-deps.sh installs it)")
        pytest.skip(missing)
    out = os.path.join(ARTIFACTS, name)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    env = dict(os.environ, BERTH_UI_URL=f"http://127.0.0.1:{master.http_port}",
               BERTH_UI_ARTIFACTS=os.path.join(out, "screenshots"), CHROMIUM=CHROMIUM, **env)
    result = subprocess.run(["node", "--test", "--test-reporter=spec", f"tests/{name}.test.mjs"],
                            cwd=UI_DIR, env=env, capture_output=True, text=True, timeout=180)
    with open(os.path.join(out, "node-test.log"), "w") as f:
        f.write(result.stdout + result.stderr)
    shutil.copy(master.log_path, out)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]


def test_browser(cluster):
    """Deploy, watch, scale, suspend and destroy an app from the UI; see a validation error at its
    field; the Agents and Volumes pages; polling when the event stream is refused."""
    if browser_tools_missing() is None:
        cluster.node(attributes="rack:r1")
    run_browser_test("ui", cluster.master)


def test_browser_volume_failover(work_dir):
    """A volume's failover as the UI shows it, live: two nodes sharing a blockpool; the browser
    test kills the node that holds the volume."""
    if browser_tools_missing() is not None:
        return run_browser_test("failover", None)
    pool = os.path.join(work_dir, "pool")
    os.makedirs(pool)
    master = Master(os.path.join(work_dir, "master")).start()
    nodes = []
    try:
        for i in range(2):
            node = Node(master, os.path.join(work_dir, f"node-{i + 1}"), hostname=f"127.0.0.{i + 2}",
                        extra_flags=[f"--volume_pool={pool}"])
            nodes.append(node)
            node.start()
        pids = {node.agent_id(): node.namespace.pid for node in nodes}
        run_browser_test("failover", master, BERTH_UI_NODES=json.dumps(pids))
    finally:
        for node in nodes:
            node.stop()
        master.stop()
        remove_cgroups()
