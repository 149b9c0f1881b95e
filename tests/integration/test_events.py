"""Marathon's event stream (GET /v2/events) and /metrics on a real master: the HTTP framing that
line-reading clients depend on, keepalives, filters, and the Python client python3-marathon
reading task events."""

import json
import os
import socket
import threading
import time

import pytest

from cluster import Master, http, wait_for


class SseStream:
    """A raw socket on /v2/events that decodes the chunked body chunk by chunk, so that tests can
    check that each event is one chunk."""

    def __init__(self, port, query="", accept="text/event-stream"):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(f"GET /v2/events{query} HTTP/1.1\r\nHost: x\r\nAccept: {accept}\r\n\r\n".encode())
        self.buffer = b""
        self.head = self._read_head()

    def _read_head(self):
        while b"\r\n\r\n" not in self.buffer:
            data = self.sock.recv(65536)
            if not data:
                break
            self.buffer += data
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        return head.decode()

    def status(self):
        return int(self.head.split(" ")[1])

    def next_chunk(self, timeout=10):
        """The next chunk's payload (bytes), or None at the end of the body."""
        deadline = time.monotonic() + timeout
        while True:
            line_end = self.buffer.find(b"\r\n")
            if line_end >= 0:
                size = int(self.buffer[:line_end], 16)
                if size == 0:
                    return None
                if len(self.buffer) >= line_end + 2 + size + 2:
                    chunk = self.buffer[line_end + 2:line_end + 2 + size]
                    assert self.buffer[line_end + 2 + size:line_end + 4 + size] == b"\r\n"
                    self.buffer = self.buffer[line_end + 4 + size:]
                    return chunk
            remaining = deadline - time.monotonic()
            assert remaining > 0, "no chunk in time"
            self.sock.settimeout(remaining)
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buffer += data

    def next_event(self, timeout=10):
        """(type, parsed data) of the next event chunk, skipping keepalives."""
        while True:
            chunk = self.next_chunk(timeout)
            assert chunk is not None, "stream ended"
            if chunk.startswith(b":"):
                continue
            return parse_frame(chunk)

    def close(self):
        self.sock.close()


def parse_frame(chunk):
    """Checks one event frame exactly: `event: <type>\\r\\ndata: <json>\\r\\n\\r\\n`."""
    text = chunk.decode()
    assert text.endswith("\r\n\r\n"), text
    lines = text[:-4].split("\r\n")
    assert len(lines) == 2, text
    assert lines[0].startswith("event: ") and lines[1].startswith("data: "), text
    event_type = lines[0][len("event: "):]
    data = json.loads(lines[1][len("data: "):])
    assert data["eventType"] == event_type
    assert len(data["timestamp"]) == 24 and data["timestamp"].endswith("Z")
    return event_type, data


@pytest.fixture
def master(work_dir):
    m = Master(os.path.join(work_dir, "master"), state="memory")
    m.flags.append("--event_stream_keepalive=200ms")
    m.start()
    yield m
    m.stop()


def test_without_the_sse_accept_header_it_is_405(master):
    status, body = http("GET", f"http://127.0.0.1:{master.http_port}/v2/events")
    assert status == 405
    assert "text/event-stream" in body["message"]
    stream = SseStream(master.http_port, accept="application/json")
    assert stream.status() == 405
    stream.close()


def test_one_chunk_per_event_attached_first_and_keepalives(master):
    stream = SseStream(master.http_port)
    assert stream.status() == 200
    head = stream.head.lower()
    assert "content-type: text/event-stream;charset=utf-8" in head
    assert "transfer-encoding: chunked" in head
    event_type, data = parse_frame(stream.next_chunk())
    assert event_type == "event_stream_attached"
    assert data["remoteAddress"] == "127.0.0.1"
    # With a 200 ms interval, keepalive comments arrive between events.
    started = time.monotonic()
    assert stream.next_chunk() == b":\r\n"
    assert stream.next_chunk() == b":\r\n"
    assert time.monotonic() - started < 2
    # Another subscriber leaving is announced, as one chunk of its own.
    other = SseStream(master.http_port)
    assert parse_frame(other.next_chunk())[0] == "event_stream_attached"
    other.close()
    event_type, data = stream.next_event()
    assert event_type == "event_stream_detached"
    stream.close()


def test_event_type_filters(master):
    detached_only = SseStream(master.http_port, "?event_type=event_stream_detached&event_type=status_update_event")
    leaver = SseStream(master.http_port)
    leaver.next_chunk()
    leaver.close()
    # The filtered stream got no attached event of its own: its first event is the departure.
    event_type, data = detached_only.next_event()
    assert event_type == "event_stream_detached"
    detached_only.close()


def test_metrics_are_prometheus_text(master):
    stream = SseStream(master.http_port)
    stream.next_chunk()
    status, body = http("GET", f"http://127.0.0.1:{master.http_port}/metrics")
    assert status == 200
    lines = body.splitlines()
    assert "berth_event_stream_subscribers 1" in lines
    assert 'berth_tasks{state="TASK_RUNNING"} 0' in lines
    assert any(line.startswith('berth_http_requests_total{method="GET",route="/v2/events",code="200"}')
               for line in lines)
    assert "# TYPE berth_http_request_duration_seconds histogram" in lines
    stream.close()


def test_task_events_reach_raw_and_python_client_streams(cluster):
    """python3-marathon's event_stream() parses every event of a bare task's life."""
    from marathon import MarathonClient
    from marathon.models.events import MarathonStatusUpdateEvent, MarathonEventStreamAttached

    master = cluster.master
    cluster.node()
    wait_for(lambda: len(master.active_agents()) == 1, what="an active agent")

    raw = SseStream(master.http_port)
    assert parse_frame(raw.next_chunk())[0] == "event_stream_attached"

    received = []
    errors = []

    def consume():
        try:
            client = MarathonClient(f"http://127.0.0.1:{master.http_port}")
            for event in client.event_stream():
                received.append(event)
                if isinstance(event, MarathonStatusUpdateEvent) and event.task_status == "TASK_FINISHED":
                    return
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    wait_for(lambda: received, what="the Python client's attached event")
    assert isinstance(received[0], MarathonEventStreamAttached)

    task = master.launch(name="events", cmd="sleep 0.2")
    master.wait_state(task["id"], "TASK_FINISHED")
    consumer.join(timeout=10)
    assert not errors, errors
    updates = [e for e in received if isinstance(e, MarathonStatusUpdateEvent)]
    states = [e.task_status for e in updates]
    assert states[0] == "TASK_STAGING" and states[-1] == "TASK_FINISHED", states
    assert "TASK_RUNNING" in states
    running = updates[states.index("TASK_RUNNING")]
    assert running.task_id == task["id"]
    assert running.app_id == "/events"
    assert running.host == "127.0.0.1"
    assert running.slave_id == task["slave_id"]
    assert [a.ip_address for a in running.ip_addresses] == ["127.0.0.1"]

    # The raw stream saw the same updates, each with its instance_changed_event, one per chunk.
    seen = []
    while not seen or seen[-1] != ("status_update_event", "TASK_FINISHED"):
        event_type, data = raw.next_event()
        if event_type == "status_update_event":
            seen.append((event_type, data["taskStatus"]))
            assert data["taskId"] == task["id"]
        elif event_type == "instance_changed_event":
            assert data["instanceId"] == task["id"]
    assert [s for _, s in seen] == states
    raw.close()


def test_deployment_steps_and_failed_health_checks_reach_the_stream(marathon_cluster, work_dir):
    """On a master with three nodes, a deployment shows its step beginning and succeeding, and
    an app whose HTTP check gets a 404 shows each failed check, on the default stream, which
    python3-marathon parses without a fault (it models the plans and health checks)."""
    from marathon import MarathonClient
    from marathon.models.events import MarathonDeploymentInfo, MarathonFailedHealthCheckEvent
    from marathon_helpers import EventStream, poll, sleeper

    api = marathon_cluster.api
    port = marathon_cluster.master.http_port
    raw = EventStream(port)
    assert raw.status == 200
    parsed, errors = [], []

    def consume():
        try:
            for event in MarathonClient(f"http://127.0.0.1:{port}").event_stream():
                parsed.append(event)
                if isinstance(event, MarathonFailedHealthCheckEvent):
                    return
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    try:
        wait_for(lambda: parsed, what="the Python client's attached event")
        created = api.call("POST", "/v2/apps", {"id": "steady", "cmd": sleeper("steady-6e"),
                                                "cpus": 0.1, "mem": 32, "instances": 2})
        assert created.status == 201, created.raw
        deployment_id = created.headers["Marathon-Deployment-Id"]

        def of_deployment(event_type):
            return [e for e in raw.of_type(event_type) if e["plan"]["id"] == deployment_id]

        info = poll(lambda: of_deployment("deployment_info"), what="deployment_info")[0]
        assert info["currentStep"] == {"actions": [{"action": "StartApplication", "app": "/steady"}]}
        assert [a["id"] for a in info["plan"]["target"]["apps"]] == ["/steady"]
        assert info["plan"]["original"]["apps"] == []
        step = poll(lambda: of_deployment("deployment_step_success"), what="deployment_step_success")[0]
        assert step["currentStep"] == info["currentStep"]
        poll(lambda: [e for e in raw.of_type("deployment_success") if e["id"] == deployment_id],
             what="deployment_success")

        check = {"protocol": "HTTP", "path": "/missing", "portIndex": 0, "gracePeriodSeconds": 0,
                 "intervalSeconds": 1, "timeoutSeconds": 1, "maxConsecutiveFailures": 0}
        created = api.call("POST", "/v2/apps", {
            "id": "sick", "cmd": "exec /usr/bin/python3 -m http.server $PORT0", "cpus": 0.1, "mem": 64,
            "portDefinitions": [{"port": 0}], "healthChecks": [check]})
        assert created.status == 201, created.raw
        added = poll(lambda: [e for e in raw.of_type("add_health_check_event") if e["appId"] == "/sick"],
                     what="add_health_check_event")[0]
        assert added["healthCheck"]["path"] == "/missing"
        failed = poll(lambda: [e for e in raw.of_type("failed_health_check_event")
                               if e["appId"] == "/sick"], timeout=30, what="failed_health_check_event")
        task = api.tasks("/sick")[0]
        assert failed[0]["taskId"] == task["id"] and failed[0]["instanceId"] == task["id"], failed[0]
        assert failed[0]["healthCheck"]["protocol"] == "HTTP"
        assert failed[0]["healthCheck"]["path"] == "/missing"
        # Each probe is one event: a second failure comes a second later.
        poll(lambda: len([e for e in raw.of_type("failed_health_check_event") if e["appId"] == "/sick"]) >= 2,
             timeout=10, what="a second failed_health_check_event")

        consumer.join(timeout=10)
        assert not errors, errors
        infos = [e for e in parsed if isinstance(e, MarathonDeploymentInfo)]
        assert any(e.plan.id == deployment_id for e in infos), infos
        assert isinstance(parsed[-1], MarathonFailedHealthCheckEvent)
        assert parsed[-1].health_check.path == "/missing"
    finally:
        raw.close()
