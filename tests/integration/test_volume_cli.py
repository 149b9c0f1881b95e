"""`berth volume ls|create|inspect|rm|resize` against a real master on loopback, and what the live
master does with volumes it owns: /v2/volumes, volume_* events only for subscribers that ask,
volume metrics. No agents: nothing here mounts anything."""

import json
import os
import subprocess

import pytest

from cluster import BERTH, Master, http
from test_events import SseStream


@pytest.fixture
def master(work_dir):
    m = Master(os.path.join(work_dir, "master"), state="memory")
    m.start()
    yield m
    m.stop()


def berth_volume(master, *args, port=None):
    """(exit code, stdout, stderr) of `berth volume <args>` aimed at `master`."""
    target = f"127.0.0.1:{port if port is not None else master.http_port}"
    done = subprocess.run([BERTH, "volume", f"--master={target}", *args],
                          capture_output=True, text=True, timeout=30)
    return done.returncode, done.stdout, done.stderr


def test_create_ls_inspect_rm(master):
    code, out, err = berth_volume(master, "create", "pgdata", "--size=1G", "--opt", "tier=fast")
    assert code == 0, err
    assert "created volume pgdata (blockpool, 1GiB, AVAILABLE)" in out

    code, out, err = berth_volume(master, "create", "cache", "--size", "64", "--driver", "rexray")
    assert code == 0, err

    code, out, err = berth_volume(master, "ls")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0].split() == ["NAME", "DRIVER", "SIZE", "KIND", "STATE", "HOST", "EPOCH", "CLAIMS"]
    assert [line.split()[0] for line in lines[1:]] == ["cache", "pgdata"]
    assert lines[2].split() == ["pgdata", "blockpool", "1GiB", "external", "AVAILABLE", "-", "-", "-"]

    code, out, err = berth_volume(master, "ls", "--json")
    assert code == 0, err
    assert [v["name"] for v in json.loads(out)["volumes"]] == ["cache", "pgdata"]

    code, out, err = berth_volume(master, "inspect", "pgdata")
    assert code == 0, err
    volume = json.loads(out)
    assert volume["size"] == 1024 and volume["options"] == {"tier": "fast"}
    assert volume["attachmentHistory"] == []

    code, out, err = berth_volume(master, "rm", "pgdata")
    assert code == 0, err
    assert "deleted volume pgdata" in out
    status, _ = http("GET", f"http://127.0.0.1:{master.http_port}/v2/volumes/pgdata")
    assert status == 404


def test_resize_grows_and_refuses_to_shrink(master):
    assert berth_volume(master, "create", "pgdata", "--size=1G")[0] == 0
    code, out, err = berth_volume(master, "resize", "pgdata", "2G")
    assert code == 0, err
    assert "volume pgdata is now 2GiB (applied when it is next attached)" in out
    assert json.loads(berth_volume(master, "inspect", "pgdata")[1])["size"] == 2048
    code, out, err = berth_volume(master, "resize", "pgdata", "512M")
    assert code == 1
    assert "/size: volumes only grow: 'pgdata' has 2048 MiB, got 512" in err
    assert berth_volume(master, "resize", "pgdata", "lots")[0] == 2


def test_api_errors_exit_1_with_the_message(master):
    code, out, err = berth_volume(master, "inspect", "nope")
    assert code == 1 and out == ""
    assert "404" in err and "nope" in err

    code, _, err = berth_volume(master, "create", "bad..name;", "--size=64")
    assert code == 1
    assert "422" in err and "/name:" in err

    code, _, err = berth_volume(master, "create", "v", "--driver=ebs")
    assert code == 1
    assert "/driver:" in err

    assert berth_volume(master, "create", "twice", "--size=64")[0] == 0
    code, _, err = berth_volume(master, "create", "twice", "--size=64")
    assert code == 1 and "409" in err


def test_bad_usage_exits_2_before_any_request(master):
    assert berth_volume(master, "create", "v", "--size=12X")[0] == 2
    assert berth_volume(master, "create", "v", "--opt", "novalue")[0] == 2
    assert berth_volume(master, "create")[0] == 2
    assert berth_volume(master, "frobnicate")[0] == 2
    done = subprocess.run([BERTH, "volume", "--master=nohostport", "ls"], capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 2 and "host:port" in done.stderr


def test_unreachable_master_exits_1(master):
    code, _, err = berth_volume(master, "ls", port=1)
    assert code == 1
    assert "cannot reach the master" in err


def test_volume_events_only_for_subscribers_that_ask(master):
    plain = SseStream(master.http_port)
    asking = SseStream(master.http_port, "?event_type=volume_created&event_type=volume_deleted")
    assert plain.next_event()[0] == "event_stream_attached"
    assert berth_volume(master, "create", "evt", "--size=64")[0] == 0
    assert berth_volume(master, "rm", "evt")[0] == 0
    event_type, data = asking.next_event()
    assert event_type == "volume_created" and data["volume"] == "evt"
    event_type, data = asking.next_event()
    assert event_type == "volume_deleted" and data["volume"] == "evt"
    # The default stream (Marathon's clients) saw none of them: the next event it gets is the
    # departure of the other subscriber.
    asking.close()
    event_type, _ = plain.next_event()
    assert event_type == "event_stream_detached"
    plain.close()


def test_metrics_show_volumes(master):
    assert berth_volume(master, "create", "m1", "--size=64")[0] == 0
    status, text = http("GET", f"http://127.0.0.1:{master.http_port}/metrics")
    assert status == 200
    assert 'berth_volumes{state="AVAILABLE"} 1' in text
    assert 'berth_volume_operations_total{operation="created"} 1' in text
