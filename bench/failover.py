#!/usr/bin/python3
"""Failover benchmark: how long PostgreSQL on an external volume is unavailable when its node
dies, where that time goes, and whether any acknowledged write is lost.

It starts its own cluster (a master and three nodes, each an agent in its own pid and mount
namespaces, sharing one blockpool volume pool: tests/e2e/pg_cluster.py), deploys PostgreSQL as a
Marathon app with a DVDI external volume (tests/e2e/pg_launch.sh), and runs one writer for the
whole benchmark (tests/e2e/pg_workload.py: one row per transaction, every acknowledged id
logged). Each run kills the node PostgreSQL runs on (its whole namespace), waits until the new
task has acknowledged writes, checks every row acknowledged so far, then brings the killed node
back (same work dir and address: a rebooted machine) before the next run.

Needs root, Debian's postgresql and python3-psycopg2 (scripts/install-deps.sh) and a built berth
(BERTH_BIN, default build/release/bin/berth). Not part of the test suite.

    sudo bench/failover.py [--runs 10] [--heartbeat 1secs --missed 5] [--lease 5secs --drift 1secs]
"""

import argparse
import datetime
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

from pg_cluster import (BERTH, PgCluster, detach_loop_devices_below, external_volume, pg_app,  # noqa: E402
                        unmount_below, wait_accepting_writes)
from marathon_helpers import EventStream, poll  # noqa: E402
from pg_workload import check, read_log, start_writer, stop_writer  # noqa: E402

APP = "/bench-pg"
VOLUME = "bench-pg"
EVENT_TYPES = ["status_update_event", "volume_fencing", "volume_fenced", "volume_attaching",
               "volume_attached", "volume_failed_over", "volume_unfenced", "volume_error"]

# The phases, each from the milestone before it; `kill` is the benchmark's own clock.
PHASES = [
    ("detection", "unreachable", "kill -> TASK_UNREACHABLE of the old task (status_update_event)"),
    ("lease wait", "fenced", "TASK_UNREACHABLE -> volume_fenced (the master released the old attachment)"),
    ("attach", "mounted", "volume_fenced -> the volume's filesystem mounted in the new node's mount "
                          "namespace (the benchmark reads the node's /proc/<pid 1>/mountinfo every 5 ms; "
                          "includes the new epoch's grant, volume_attaching, and the task's launch)"),
    ("mount+start", "running", "mounted -> TASK_RUNNING of the new task (status_update_event): the bind "
                               "into the task's namespace and the command's start"),
    ("pg ready", "first_write", "TASK_RUNNING -> first write acknowledged by the new task (writer's log): "
                                "PostgreSQL's WAL recovery, and the writer finding the task"),
]
# Not on the way to the first write: when the master learns of the mount (the agent's next poll).
REPORTED = ("attach reported", "mounted -> volume_attached for the new agent (the master's view: the agent "
                               "reports mounts with its polls); volume_failed_over's durationSeconds is the "
                               "master's own figure, from the old agent's last heartbeat to this report")
MILESTONES = ["kill"] + [milestone for _, milestone, _ in PHASES]
# The attach phase, split: the scheduler's relaunch (it waits for the fence; a task lost with its
# node does not start the app's launch backoff) and the new agent's loop device and mount.
SPLITS = [
    ("  relaunch", "fenced", "granted",
     "volume_fenced -> volume_attaching (the new epoch granted to the new task's agent)"),
    ("  mount", "granted", "mounted", "volume_attaching -> the volume's filesystem mounted on the new node"),
]
# Launch backoff forgets an app's failures after maxLaunchDelaySeconds without one. A node loss is
# not counted as one; the cap keeps any other failure (PostgreSQL failing to start) from
# compounding over the runs.
MAX_LAUNCH_DELAY = 10


def event_time(event):
    """The master's timestamp (UTC, millisecond-truncated) as seconds since the epoch."""
    moment = datetime.datetime.strptime(event["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.replace(tzinfo=datetime.timezone.utc).timestamp()


def first(events, predicate, since):
    for event in events:
        if event_time(event) >= since - 0.001 and predicate(event):
            return event
    return None


class MountWatcher:
    """Notes, for each node, the first moment the volume shows in its mount namespace. An agent
    reports a mount to the master with its next poll, so volume_attached comes some time after
    the mount itself (and often after the first write); the node's mount table says when."""

    def __init__(self, nodes, volume, interval=0.005):
        self.nodes, self.volume, self.interval = nodes, volume, interval
        self.seen = {}  # agent id -> time
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping:
            for node in self.nodes:
                if node.known_id in self.seen:
                    continue
                try:
                    table = node.mountinfo()
                except (OSError, TypeError):  # a dead node has no pid 1
                    continue
                if any("/volume_mounts/" in line and self.volume in line for line in table.splitlines()):
                    self.seen[node.known_id] = time.time()
            time.sleep(self.interval)

    def stop(self):
        self.stopping = True
        self.thread.join()


def one_failover(cluster, stream, log_path, run, lost_before, not_before):
    api = cluster.api
    old = poll(lambda: running(api), timeout=120, what="a running PostgreSQL task")
    # Steady state first: the writer is acknowledging rows on the current task.
    acked = len(read_log(log_path).acks)
    poll(lambda: len(read_log(log_path).acks) >= acked + 100, timeout=60, what="writes before the kill")
    before = api.get(f"/v2/volumes/{VOLUME}").body
    doomed = cluster.node_of(old["slaveId"])

    time.sleep(max(0.0, not_before - time.time()))
    watcher = MountWatcher([n for n in cluster.nodes if n is not doomed], VOLUME)
    kill = time.time()
    doomed.kill()
    try:
        # The writer finds the app's new task by itself; whichever task first acknowledges a
        # write after the kill is the one that took over (the first relaunch may have failed).
        log, serving, connected = poll(lambda: _write_elsewhere(log_path, kill, old["id"]), timeout=240,
                                       what=f"run {run}: a write acknowledged by a new task")
        new = poll(lambda: next((t for t in api.tasks(APP) if t["id"] == serving), None), timeout=10,
                   what=f"run {run}: task {serving} in the API")
    except AssertionError:
        print(f"run {run} did not complete; tasks {api.tasks(APP)}; volume "
              f"{api.get(f'/v2/volumes/{VOLUME}').body}; events since the kill:", file=sys.stderr)
        for event in stream.events:
            if event_time(event) >= kill - 0.001:
                print("  ", json.dumps(event), file=sys.stderr)
        raise
    finally:
        watcher.stop()
    new_agent = new["slaveId"]
    # The agent reports the mount with a later poll, which may come after the first write: the
    # master's view (volume_attached, volume_failed_over) is waited for, and not counted above.
    try:
        poll(lambda: any(e.get("eventType") == "volume_failed_over" and e.get("agentId") == new_agent
                         and event_time(e) >= kill for e in list(stream.events)),
             timeout=15, interval=0.05, what="volume_failed_over")
    except AssertionError:
        pass  # reported as missing below
    events = list(stream.events)
    launched = [e for e in events if e.get("eventType") == "status_update_event" and e.get("appId") == APP
                and e.get("taskStatus") == "TASK_STAGING" and event_time(e) >= kill - 0.001]
    ended = [f"{e['taskId'][-8:]} {e['taskStatus']} {e.get('message', '')}".strip() for e in events
             if e.get("eventType") == "status_update_event" and e.get("appId") == APP
             and e.get("taskId") not in (old["id"], new["id"]) and event_time(e) >= kill - 0.001
             and e.get("taskStatus") not in ("TASK_STAGING", "TASK_STARTING", "TASK_RUNNING")]

    def status(task_id, state):
        return first(events, lambda e: e.get("eventType") == "status_update_event"
                     and e.get("taskId") == task_id and e.get("taskStatus") == state, kill)

    def volume_event(kind, agent=None):
        return first(events, lambda e: e.get("eventType") == kind and e.get("volume") == VOLUME
                     and (agent is None or e.get("agentId") == agent), kill)

    found = {
        "unreachable": status(old["id"], "TASK_UNREACHABLE"),
        "fenced": volume_event("volume_fenced"),
        "granted": volume_event("volume_attaching", new_agent),
        "running": status(new["id"], "TASK_RUNNING"),
    }
    milestones = {"kill": kill, "mounted": watcher.seen.get(new_agent),
                  "first_write": log.first_ack_after(connected)}
    for name, event in found.items():
        milestones[name] = event_time(event) if event else None
    attached = volume_event("volume_attached", new_agent)
    milestones["attached_event"] = event_time(attached) if attached else None
    failed_over = volume_event("volume_failed_over", new_agent)

    report = check(cluster.api_url, APP, log_path)
    after = api.get(f"/v2/volumes/{VOLUME}").body
    result = {
        "run": run, "from": old["host"], "to": new["host"], "kill_at": kill,
        "epoch": [before.get("attachment", {}).get("epoch"), after.get("attachment", {}).get("epoch")],
        "milestones": {k: (v - kill if v is not None else None) for k, v in milestones.items()},
        "failed_over_event_seconds": failed_over.get("durationSeconds") if failed_over else None,
        # The check reads every row acknowledged since the start: count only this run's losses.
        "acknowledged": report.acknowledged, "lost": len(set(report.missing) - lost_before),
        "missing": report.missing,
        "missing_event": sorted(k for k, v in list(found.items()) + [("mounted", milestones["mounted"])]
                                if v is None),
        "launches": len(launched), "failed_launches": ended,
    }

    # The machine comes back (same work dir, same address) before the next run.
    doomed.start()
    poll(lambda: len(api.master.active_agents()) == len(cluster.nodes), timeout=60,
         what="the killed node to rejoin")
    return result


def running(api, not_on=None):
    tasks = [t for t in api.tasks(APP) if t["state"] == "TASK_RUNNING" and t["slaveId"] != not_on]
    return tasks[0] if tasks else None


def _write_elsewhere(log_path, since, old_task):
    """(log, task id, connect time) of the first session after `since` with a task other than
    `old_task` that had a write acknowledged, or None."""
    log = read_log(log_path)
    for moment, _, task_id in log.connects:
        if moment >= since and task_id != old_task and log.first_ack_after(moment) is not None:
            return log, task_id, moment
    return None


def percentile(values, fraction):
    """Nearest rank: the smallest value with at least `fraction` of the values at or below it."""
    ordered = sorted(values)
    rank = max(1, int(-(-fraction * len(ordered) // 1)))
    return ordered[rank - 1]


def phase_times(result):
    m = result["milestones"]
    times = {}
    for (name, milestone, _), previous in zip(PHASES, MILESTONES):
        times[name] = m[milestone] - m[previous] if m[milestone] is not None and m[previous] is not None else None
    times["total"] = m["first_write"]
    for name, start, end, _ in SPLITS:
        times[name] = m[end] - m[start] if m[end] is not None and m[start] is not None else None
    reported = m.get("attached_event")
    times[REPORTED[0]] = reported - m["mounted"] if reported is not None and m["mounted"] is not None else None
    return times


def print_run(result):
    times = phase_times(result)
    cells = "  ".join(f"{name} {fmt(times[name])}" for name in [p[0] for p in PHASES] + ["total"])
    note = f"  (not seen: {', '.join(result['missing_event'])})" if result["missing_event"] else ""
    if result["launches"] != 1:
        note += f"  ({result['launches']} launches; ended: {'; '.join(result['failed_launches'])})"
    print(f"run {result['run']:2}: {result['from']} -> {result['to']}  epoch {result['epoch'][0]}->"
          f"{result['epoch'][1]}  {cells}  lost {result['lost']} (of {result['acknowledged']} "
          f"acknowledged so far){note}")
    offsets = "  ".join(f"{name} {'-' if at is None else f'+{at:.3f}'}"
                        for name, at in result["milestones"].items() if name != "kill")
    failed_over = result["failed_over_event_seconds"]
    print(f"        after the kill: {offsets}; volume_failed_over durationSeconds "
          f"{'-' if failed_over is None else f'{failed_over:.3f}'}", flush=True)


def fmt(value):
    return "   -   " if value is None else f"{value:6.3f}s"


def print_summary(results, args):
    print()
    print(f"{len(results)} failovers; heartbeat {args.heartbeat} x {args.missed} missed, lease {args.lease}, "
          f"drift margin {args.drift}")
    print(f"{'phase':15} {'p50':>8} {'p95':>8} {'min':>8} {'max':>8}")
    rows = [p[0] for p in PHASES]
    rows[rows.index("attach") + 1:rows.index("attach") + 1] = [name for name, _, _, _ in SPLITS]
    for name in rows + ["total", REPORTED[0]]:
        values = [phase_times(r)[name] for r in results if phase_times(r)[name] is not None]
        if not values:
            print(f"{name:15} {'-':>8}")
            continue
        print(f"{name:15} {percentile(values, 0.5):7.3f}s {percentile(values, 0.95):7.3f}s "
              f"{min(values):7.3f}s {max(values):7.3f}s")
    attached = sum(1 for r in results if r["milestones"].get("attached_event") is not None)
    print(f"volume_attached events for the new agent: {attached} of {len(results)} runs")
    reported = [r["failed_over_event_seconds"] for r in results if r["failed_over_event_seconds"] is not None]
    if reported:
        print(f"volume_failed_over durationSeconds (master: old agent's last heartbeat -> mount reported): "
              f"p50 {percentile(reported, 0.5):.3f}s, p95 {percentile(reported, 0.95):.3f}s")
    lost = sum(r["lost"] for r in results)
    print(f"acknowledged writes lost: {lost} of {results[-1]['acknowledged'] if results else 0}")
    print()
    print("How each figure was measured (one host clock for all: the master stamps events with the "
          "wall clock, in ms):")
    print("  kill         the benchmark's time.time() just before killing the node's pid 1 (SIGKILL; "
          "the node's processes and mounts die with its namespaces)")
    for name, _, how in PHASES:
        print(f"  {name:12} {how}")
        if name == "attach":
            for split, _, _, split_how in SPLITS:
                print(f"  {split:12} {split_how}")
    print("  total        kill -> first write acknowledged by the new task")
    print(f"  {REPORTED[0]} {REPORTED[1]}")
    print("  lost         rows whose INSERT (autocommit) returned to the writer but are not in the table "
          "read back after the run, from the new task")
    print("  p50/p95      nearest rank over the runs")
    print(f"  backoff      a task lost with its node does not delay its replacement (the app's "
          f"maxLaunchDelaySeconds {MAX_LAUNCH_DELAY} only caps other failures)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--heartbeat", default="1secs", help="master --heartbeat_interval (Berth's default)")
    parser.add_argument("--missed", type=int, default=5, help="master --max_missed_heartbeats (Berth's default)")
    parser.add_argument("--lease", default="5secs", help="--volume_lease of master and agents (default)")
    parser.add_argument("--drift", default="1secs", help="master --volume_drift_margin (default)")
    parser.add_argument("--json", help="also write every run's figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs) afterwards")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("failover bench: needs root (namespaces, loop devices, mounts)")
    if not os.path.exists(BERTH):
        sys.exit(f"failover bench: no berth binary at {BERTH}; build it or set BERTH_BIN")

    work_dir = tempfile.mkdtemp(prefix="berth-failover-bench-")
    os.chmod(work_dir, 0o755)  # PostgreSQL (user postgres) reaches its sandbox below here
    print(f"berth {BERTH}; work dir {work_dir}")
    cluster = writer = stream = None
    results = []
    lost = set()
    try:
        cluster = PgCluster(work_dir, heartbeat=args.heartbeat, missed=args.missed,
                            master_flags=[f"--volume_lease={args.lease}", f"--volume_drift_margin={args.drift}"],
                            agent_flags=[f"--volume_lease={args.lease}"])
        stream = EventStream(cluster.master.http_port, "?" + "&".join(f"event_type={t}" for t in EVENT_TYPES))
        assert stream.status == 200, stream.status
        cluster.api.ok("POST", "/v2/apps", pg_app(APP, external_volume(VOLUME),
                                                   maxLaunchDelaySeconds=MAX_LAUNCH_DELAY), expect=(201,))
        wait_accepting_writes(cluster.api_url, APP, timeout=120)
        log_path = os.path.join(work_dir, "writes.log")
        writer = start_writer(cluster.api_url, APP, log_path)
        for run in range(1, args.runs + 1):
            # Plus up to a second at random, so that kills do not fall at one phase of the heartbeats.
            not_before = results[-1]["kill_at"] + results[-1]["milestones"]["unreachable"] + MAX_LAUNCH_DELAY \
                + random.uniform(0.5, 1.5) if results and results[-1]["milestones"]["unreachable"] is not None else 0.0
            result = one_failover(cluster, stream, log_path, run, lost, not_before)
            lost |= set(result.pop("missing"))
            results.append(result)
            print_run(result)
    finally:
        if writer:
            stop_writer(writer)
        if stream:
            stream.close()
        if cluster:
            cluster.stop()
        if results:
            print_summary(results, args)
            if args.json:
                with open(args.json, "w") as f:
                    json.dump({"args": vars(args), "runs": results}, f, indent=1)
        if args.keep:
            print(f"kept {work_dir}")
        else:
            unmount_below(work_dir)
            detach_loop_devices_below(work_dir)
            shutil.rmtree(work_dir, ignore_errors=True)
    return 1 if len(results) < args.runs or lost else 0


if __name__ == "__main__":
    sys.exit(main())
