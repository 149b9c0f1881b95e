"""Fixtures for the end-to-end tests (real PostgreSQL on a real Berth cluster, see pg_cluster.py):
a work directory and a cluster per test, torn down whatever happens: processes, mounts, loop
devices, cgroups."""

import os
import shutil
import tempfile

import pytest

from pg_cluster import BERTH, PG_BIN, PgCluster, detach_loop_devices_below, unmount_below


def pytest_configure(config):
    if os.geteuid() != 0:
        pytest.exit("end-to-end tests need root (namespaces, cgroups, loop devices, mounts)", returncode=1)
    if not os.path.exists(BERTH):
        pytest.exit(f"berth binary not found at {BERTH}; build first or set BERTH_BIN", returncode=1)
    missing = [what for what, present in (
        (f"{PG_BIN}/postgres (Debian's postgresql)", os.path.exists(f"{PG_BIN}/postgres")),
        ("python3-psycopg2", _has_psycopg2())) if not present]
    if missing:
        pytest.exit(f"missing {', '.join(missing)}: run scripts/install-deps.sh", returncode=1)


def _has_psycopg2():
    try:
        import psycopg2  # noqa: F401
        return True
    except ImportError:
        return False


@pytest.fixture
def work_dir():
    path = tempfile.mkdtemp(prefix="berth-e2e-")
    # PostgreSQL runs as `postgres` and must reach its data directory in a task's sandbox below
    # here; mkdtemp makes the directory 0700.
    os.chmod(path, 0o755)
    yield path
    if not os.environ.get("BERTH_KEEP_WORK_DIRS"):
        unmount_below(path)
        detach_loop_devices_below(path)
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def pg_cluster(work_dir):
    cluster = PgCluster(work_dir)
    try:
        yield cluster
    finally:
        cluster.stop()
