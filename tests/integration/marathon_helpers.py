"""Helpers for the Marathon v2 API integration tests: raw HTTP with headers, polling of apps,
tasks, deployments and the queue, processes seen from the host, and nodes with their own
hostname and attributes (so that hostname and attribute constraints have something to choose
between)."""

import json
import os
import random
import subprocess
import time
import urllib.error
import urllib.request
from collections import namedtuple

from cluster import http, wait_for

Response = namedtuple("Response", "status headers body raw")


def request(method, url, body=None, raw=None, headers=None, timeout=10):
    """One HTTP exchange. `body` is sent as JSON, `raw` as given (bytes or str). Returns a
    Response whose `body` is the parsed JSON when the answer is JSON, else the text."""
    if raw is not None:
        data = raw.encode() if isinstance(raw, str) else raw
    elif body is not None:
        data = json.dumps(body).encode()
    else:
        data = None
    all_headers = {"Content-Type": "application/json", "Accept": "application/json"}
    all_headers.update(headers or {})
    req = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:
            text = answer.read().decode()
            status, answer_headers = answer.status, answer.headers
    except urllib.error.HTTPError as error:
        text = error.read().decode()
        status, answer_headers = error.code, error.headers
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = text
    return Response(status, answer_headers, parsed, text)


def poll(predicate, timeout=20.0, interval=0.1, what="condition"):
    """Calls `predicate` until it returns something truthy and returns that; fails with `what`
    and the last value seen after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last seen: {last!r}")
        time.sleep(interval)


class Marathon:
    """The v2 API of one master."""

    def __init__(self, master):
        self.master = master

    @property
    def base(self):
        return f"http://127.0.0.1:{self.master.http_port}"

    def call(self, method, path, body=None, **kwargs):
        return request(method, self.base + path, body=body, **kwargs)

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def ok(self, method, path, body=None, expect=(200,), **kwargs):
        answer = self.call(method, path, body, **kwargs)
        assert answer.status in expect, f"{method} {path} -> {answer.status} {answer.raw[:2000]}"
        return answer.body

    # --- reading -----------------------------------------------------------------------------

    def app(self, app_id):
        answer = self.get("/v2/apps/" + app_id.lstrip("/"))
        return answer.body["app"] if answer.status == 200 else None

    def tasks(self, app_id):
        answer = self.get("/v2/apps/" + app_id.lstrip("/") + "/tasks")
        assert answer.status == 200, answer
        return answer.body["tasks"]

    def running(self, app_id):
        return [t for t in self.tasks(app_id) if t["state"] == "TASK_RUNNING"]

    def deployments(self):
        answer = self.get("/v2/deployments")
        assert answer.status == 200, answer
        return answer.body

    def queue(self):
        answer = self.get("/v2/queue")
        assert answer.status == 200, answer
        return answer.body["queue"]

    def queue_item(self, app_id):
        for item in self.queue():
            if item["app"]["id"] == app_id:
                return item
        return None

    # --- waiting -----------------------------------------------------------------------------

    def wait_running(self, app_id, count, timeout=20, version=None, healthy=False):
        """Waits until exactly `count` tasks of the app run (of `version`'s config if given),
        and nothing else of the app is left; returns those tasks."""
        def check():
            tasks = self.tasks(app_id)
            running = [t for t in tasks if t["state"] == "TASK_RUNNING"
                       and (version is None or t["version"] == version)
                       and (not healthy or all(r.get("alive") for r in t.get("healthCheckResults") or [{}]))]
            return running if len(running) == count and len(tasks) == count else None
        return poll(check, timeout=timeout,
                    what=f"{count} running task(s) of {app_id}" + (f" at version {version}" if version else ""))

    def wait_deployments_done(self, timeout=20, app_id=None):
        def check():
            listed = self.deployments()
            if app_id is not None:
                listed = [d for d in listed if app_id in d["affectedApps"]]
            return not listed
        poll(check, timeout=timeout, what="deployments" + (f" of {app_id}" if app_id else "") + " to finish")

    def wait_deployment_gone(self, deployment_id, timeout=20):
        poll(lambda: all(d["id"] != deployment_id for d in self.deployments()), timeout=timeout,
             what=f"deployment {deployment_id} to finish")


# --- processes, seen from the host -----------------------------------------------------------

def processes_with(marker, comm=None):
    """Pids of live (not zombie) processes whose command line contains `marker` (and whose
    command name is `comm`, if given: the shell that runs a cmd shows the marker too)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            state = stat.rsplit(")", 1)[1].split()[0]
            name = stat[stat.index("(") + 1:stat.rindex(")")]
        except OSError:
            continue
        if marker in cmdline and state != "Z" and (comm is None or name == comm):
            pids.append(int(entry))
    return pids


# Makes process markers unique to this test run (other runs may share the machine).
RUN = random.randint(100, 999)


def sleeper(marker):
    """A cmd that runs until killed and is recognisable from the host by `marker` (a number)."""
    return f"sleep 1{RUN}{marker}"


# --- nodes with a hostname and attributes of their own ----------------------------------------

class EventStream:
    """GET /v2/events read on a thread; `events` collects every decoded data payload."""

    def __init__(self, port, query=""):
        import http.client
        import threading
        self.events = []
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.connection.request("GET", "/v2/events" + query, headers={"Accept": "text/event-stream"})
        self.response = self.connection.getresponse()
        self.status = self.response.status
        self.thread = threading.Thread(target=self._read, daemon=True)
        if self.status == 200:
            self.thread.start()

    def _read(self):
        try:
            for line in self.response:
                line = line.decode().strip()
                if line.startswith("data:"):
                    self.events.append(json.loads(line[5:]))
        except (OSError, ValueError, AttributeError):
            pass

    def of_type(self, event_type):
        return [e for e in list(self.events) if e.get("eventType") == event_type]

    def close(self):
        try:
            self.connection.sock and self.connection.sock.shutdown(2)
        except OSError:
            pass
        self.connection.close()
