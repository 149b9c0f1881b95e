#!/usr/bin/python3
"""A PostgreSQL client that follows a Marathon app around the cluster, and the checker that says
whether anything it was promised got lost.

The writer asks the Marathon API (`GET /v2/apps/<id>/tasks`) where the app's running task is,
connects to its host and first port, and inserts rows into `acked_rows`, one row per transaction
(autocommit: the INSERT returning is the COMMIT being acknowledged). Row ids come from the writer,
so it knows each id before sending it. Every outcome goes to a log file, one line each, flushed as
written; times are the writer's wall clock (`time.time()`), comparable with the master's event
timestamps:

    start   <t> <app id>
    connect <t> <host>:<port> <task id>        a session is open and the table exists
    ack     <t> <row id>                       the COMMIT of that row returned: it must survive
    doubt   <t> <row id> <error>               the INSERT failed midway: the row may or may not exist
    fail    <t> <error>                        no session (no running task, refused, recovering)
    stop    <t>

On any error the writer drops the session, asks the API again, and carries on with the next id
(an id in doubt is never reused, so a row that did commit is never mistaken for a later one).

The checker reads every row back from wherever the app runs now and reports the acknowledged
rows that are missing (the number that must be 0), what became of the rows in doubt, rows that
nobody wrote, and the gaps in the acknowledgements: when writes stopped and when they resumed.

    pg_workload.py write --api http://127.0.0.1:8080 --app /pg --log writes.log   (until SIGINT/SIGTERM)
    pg_workload.py check --api http://127.0.0.1:8080 --app /pg --log writes.log   (exit 1 if rows are missing)
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

import psycopg2

TABLE = "acked_rows"
PAYLOAD = "x" * 100  # some bytes per row, so that WAL pages fill at a realistic pace


# --- where the app runs ------------------------------------------------------------------------

def running_task(api, app_id, timeout=2.0):
    """The app's running task as the Marathon API reports it now (the most recently started one
    if there are several), or None."""
    url = f"{api.rstrip('/')}/v2/apps/{app_id.strip('/')}/tasks"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            tasks = json.load(answer)["tasks"]
    except (OSError, ValueError, KeyError):
        return None
    running = [t for t in tasks if t.get("state") == "TASK_RUNNING" and t.get("ports")]
    if not running:
        return None
    return max(running, key=lambda t: t.get("startedAt") or t.get("stagedAt") or "")


def connect(host, port, timeout=2):
    connection = psycopg2.connect(host=host, port=port, user="postgres", dbname="postgres",
                                  connect_timeout=timeout, application_name="berth-e2e",
                                  options="-c statement_timeout=10000")
    connection.autocommit = True
    return connection


def connect_to_app(api, app_id, timeout=60.0):
    """A session with the app's current task, retried (the task may be starting or recovering)
    until `timeout`. Returns (connection, task)."""
    deadline = time.monotonic() + timeout
    last = "no running task"
    while time.monotonic() < deadline:
        task = running_task(api, app_id)
        if task:
            try:
                return connect(task["host"], task["ports"][0]), task
            except psycopg2.Error as error:
                last = one_line(error)
        time.sleep(0.1)
    raise TimeoutError(f"no PostgreSQL session with {app_id} within {timeout}s: {last}")


def one_line(error):
    return " ".join(str(error).split()) or type(error).__name__


# --- the writer ----------------------------------------------------------------------------------

class Writer:
    def __init__(self, api, app_id, log_path):
        self.api = api
        self.app_id = app_id
        self.log = open(log_path, "a", buffering=1)  # line buffered: one write per record
        self.stopping = False
        self.next_id = 1

    def record(self, kind, *fields):
        self.log.write(" ".join([kind, f"{time.time():.6f}"] + [str(f) for f in fields]) + "\n")

    def run(self):
        self.record("start", self.app_id)
        while not self.stopping:
            task = running_task(self.api, self.app_id)
            if task is None:
                self.record("fail", "no running task")
                time.sleep(0.1)
                continue
            try:
                connection = connect(task["host"], task["ports"][0])
                with connection.cursor() as cursor:
                    cursor.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} ("
                                   "id bigint PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT now(),"
                                   " payload text NOT NULL)")
            except psycopg2.Error as error:
                self.record("fail", one_line(error))
                time.sleep(0.05)
                continue
            self.record("connect", f"{task['host']}:{task['ports'][0]}", task["id"])
            self.write_rows(connection)
            connection.close()
        self.record("stop")
        self.log.close()

    def write_rows(self, connection):
        with connection.cursor() as cursor:
            while not self.stopping:
                row = self.next_id
                self.next_id += 1
                try:
                    cursor.execute(f"INSERT INTO {TABLE} (id, payload) VALUES (%s, %s)", (row, PAYLOAD))
                except psycopg2.Error as error:
                    self.record("doubt", row, one_line(error))
                    return
                self.record("ack", row)


def write_main(args):
    writer = Writer(args.api, args.app, args.log)

    def stop(_signum, _frame):
        writer.stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    writer.run()
    return 0


def start_writer(api, app_id, log_path):
    """The writer in a process of its own (a client that outlives anything it talks to)."""
    open(log_path, "a").close()  # readable at once, even before the writer's first record
    return subprocess.Popen([sys.executable, os.path.abspath(__file__), "write", "--api", api,
                             "--app", app_id, "--log", log_path])


def stop_writer(process, timeout=30):
    """Asks the writer to finish its current row and exit; returns its exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    return process.wait(timeout=timeout)


# --- reading the log -----------------------------------------------------------------------------

@dataclass
class WriteLog:
    acks: dict = field(default_factory=dict)      # row id -> time acknowledged
    doubts: dict = field(default_factory=dict)    # row id -> (time, error)
    connects: list = field(default_factory=list)  # (time, "host:port", task id)
    fails: list = field(default_factory=list)     # (time, error)
    started: float = None
    stopped: float = None

    def acks_between(self, since, until=float("inf")):
        return sorted(t for t in self.acks.values() if since <= t < until)

    def first_ack_after(self, moment):
        later = self.acks_between(moment)
        return later[0] if later else None

    def last_ack_before(self, moment):
        earlier = [t for t in self.acks.values() if t < moment]
        return max(earlier) if earlier else None


def read_log(path):
    log = WriteLog()
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split(" ", 3)
            if len(parts) < 2:
                continue  # a line cut short by a writer that died mid-write
            kind, moment = parts[0], float(parts[1])
            if kind == "ack":
                log.acks[int(parts[2])] = moment
            elif kind == "doubt":
                log.doubts[int(parts[2])] = (moment, parts[3] if len(parts) > 3 else "")
            elif kind == "connect":
                log.connects.append((moment, parts[2], parts[3] if len(parts) > 3 else ""))
            elif kind == "fail":
                log.fails.append((moment, " ".join(parts[2:])))
            elif kind == "start":
                log.started = moment
            elif kind == "stop":
                log.stopped = moment
    return log


def write_gaps(log, threshold=0.5):
    """Intervals longer than `threshold` seconds without an acknowledgement: (stopped, resumed)
    as the times of the last acknowledgement before and the first after."""
    times = sorted(log.acks.values())
    return [(a, b) for a, b in zip(times, times[1:]) if b - a > threshold]


# --- the checker ---------------------------------------------------------------------------------

@dataclass
class CheckReport:
    acknowledged: int
    present: int
    missing: list          # acknowledged, not in the table: must be empty
    doubt_present: list    # in doubt and committed after all
    doubt_absent: list     # in doubt and not committed
    unexpected: list       # in the table, never attempted by the writer
    gaps: list             # (stopped, resumed) wall-clock times
    checked_on: str        # host:port read from

    def summary(self):
        lines = [f"checked on {self.checked_on}: {self.acknowledged} rows acknowledged, "
                 f"{self.present} present, {len(self.missing)} acknowledged rows missing"
                 + (f" (first: {self.missing[:10]})" if self.missing else ""),
                 f"in doubt: {len(self.doubt_present)} committed, {len(self.doubt_absent)} not; "
                 f"rows nobody wrote: {len(self.unexpected)}"]
        for stopped, resumed in self.gaps:
            lines.append(f"write gap: stopped {iso(stopped)}, resumed {iso(resumed)} "
                         f"({resumed - stopped:.3f} s)")
        return "\n".join(lines)


def iso(moment):
    return time.strftime("%H:%M:%S", time.gmtime(moment)) + f".{int(moment * 1000) % 1000:03d}Z"


def check(api, app_id, log_path, gap_threshold=0.5, timeout=60.0):
    log = read_log(log_path)
    connection, task = connect_to_app(api, app_id, timeout=timeout)
    try:
        with connection.cursor() as cursor:
            try:
                cursor.execute(f"SELECT id FROM {TABLE}")
                present = {row[0] for row in cursor.fetchall()}
            except psycopg2.errors.UndefinedTable:
                present = set()  # a database without the table lost every row
    finally:
        connection.close()
    acked = set(log.acks)
    doubts = set(log.doubts)
    return CheckReport(
        acknowledged=len(acked), present=len(present),
        missing=sorted(acked - present),
        doubt_present=sorted(doubts & present), doubt_absent=sorted(doubts - present),
        unexpected=sorted(present - acked - doubts),
        gaps=write_gaps(log, gap_threshold),
        checked_on=f"{task['host']}:{task['ports'][0]}")


def check_main(args):
    report = check(args.api, args.app, args.log, args.gap)
    print(report.summary())
    return 1 if report.missing or report.unexpected else 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    verbs = parser.add_subparsers(dest="verb", required=True)
    for verb in ("write", "check"):
        sub = verbs.add_parser(verb)
        sub.add_argument("--api", required=True, help="the master's Marathon API, http://host:port")
        sub.add_argument("--app", required=True, help="the app id, e.g. /pg")
        sub.add_argument("--log", required=True, help="the writer's log file")
        if verb == "check":
            sub.add_argument("--gap", type=float, default=0.5,
                             help="report pauses in acknowledgements longer than this (s)")
    args = parser.parse_args(argv)
    return write_main(args) if args.verb == "write" else check_main(args)


if __name__ == "__main__":
    sys.exit(main())
