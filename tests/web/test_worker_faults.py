"""Crash tests: real task workers killed (SIGKILL) mid-task, then restarted.

Each step runs as its own process against a scratch database (an SQLite file, or a scratch
PostgreSQL database when the suite runs on PostgreSQL), so the killed worker shares nothing
with the test. ``FULLVALUE_FAULTS`` makes the worker kill itself at a named checkpoint
(``fullvalue.web.kernel.faults``).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from fullvalue.web.delivery.imports import PARTICIPANT_BATCH

ROOT = Path(__file__).resolve().parents[2]
WORKER = [
    "manage.py",
    "worker",
    "--batch",
    "--no-startup-delay",
    "--no-reload",
    "--interval",
    "0.1",
    "--worker-id",
    "faults-1",
]


@pytest.fixture
def scratch_db(tmp_path):
    """A database URL of its own, migrated; dropped afterwards."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.postgresql":
        import psycopg

        name = f"fullvalue_faults_{uuid.uuid4().hex[:8]}"
        params = {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432, "user": db["USER"]}
        with psycopg.connect(
            dbname="postgres", autocommit=True, password=db["PASSWORD"], **params
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        auth = f"{db['USER']}:{db['PASSWORD']}@" if db["PASSWORD"] else f"{db['USER']}@"
        url = f"postgres://{auth}{params['host']}:{params['port']}/{name}"
    else:
        url = f"sqlite:///{tmp_path / 'faults.sqlite3'}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fullvalue.web.settings_test",
        "DATABASE_URL": url,
        "SECRET_KEY": "faults-test-key-not-secret",
        "FULLVALUE_VAR_DIR": str(tmp_path),
        "FULLVALUE_FAULTS": "",
        "PYTHONPATH": str(ROOT),
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=600
    )
    yield env
    if db["ENGINE"] == "django.db.backends.postgresql":
        with psycopg.connect(
            dbname="postgres", autocommit=True, password=db["PASSWORD"], **params
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def step(env, *args):
    out = subprocess.run(
        [sys.executable, "-m", "tests.web.fault_steps", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def worker(env, faults=""):
    return subprocess.run(
        [sys.executable, *WORKER],
        cwd=ROOT,
        env={**env, "FULLVALUE_FAULTS": faults},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_killed_payment_run_is_recovered_and_pays_nothing_twice(scratch_db):
    env = scratch_db
    ids = step(env, "setup")
    contract, c, c2 = str(ids["contract"]), str(ids["c"]), str(ids["c2"])

    # Killed inside the run's transaction, after the settlement was written but before commit.
    run = step(env, "request-run", contract, c, "2025-26")["run"]
    killed = worker(env, "payrun.compute.before_commit")
    assert killed.returncode == -signal.SIGKILL
    state = step(env, "state", contract)
    assert state["runs"] == [["2025-26", "preparing", "0.00"]]  # the write was rolled back
    assert state["tasks"] == [["prepare_payment_run", "RUNNING"]]  # left behind by the kill
    again = worker(env)
    assert again.returncode == 0 and "Recovered 1 task" in again.stdout
    state = step(env, "state", contract)
    # 70% of £450,000 over three years, plus 8 accepted accommodation outcomes x £250.
    assert state["runs"] == [["2025-26", "prepared", "107000.00"]]
    assert state["tasks"] == [["prepare_payment_run", "SUCCESSFUL"]]
    assert step(env, "approve", str(run), c2) == {"approved": run}

    # Killed after the re-run committed but before the worker recorded the task as done: the
    # recovered task runs again and finds the run already computed.
    second = step(env, "request-run", contract, c, "2025-26")["run"]
    assert worker(env, "payrun.task.after_compute").returncode == -signal.SIGKILL
    assert step(env, "state", contract)["runs"][-1] == ["2025-26", "prepared", "0.00"]
    assert "Recovered 1 task" in worker(env).stdout
    state = step(env, "state", contract)
    assert state["runs"] == [["2025-26", "approved", "107000.00"], ["2025-26", "prepared", "0.00"]]
    assert "already been approved" in step(env, "approve", str(second), c2)["refused"]
    assert state["approved_total"] == "107000.00"
    # The sub-contractor's 30% flows down once.
    assert state["flow_down"] == ["32100.00"]


def test_killed_import_is_recovered_and_imports_each_row_once(scratch_db):
    env = scratch_db
    ids = step(env, "setup")
    contract = str(ids["contract"])
    rows = PARTICIPANT_BATCH + 7000
    step(env, "request-import", contract, str(ids["sub"]), str(rows))
    killed = worker(env, "import.batch")  # dies after the first batch is committed
    assert killed.returncode == -signal.SIGKILL
    state = step(env, "state", contract)
    assert state["imports"][0][0] == "running"
    assert state["participants"] == 40 + PARTICIPANT_BATCH
    assert "Recovered 1 task" in worker(env).stdout
    state = step(env, "state", contract)
    assert state["imports"] == [["done", rows]]
    assert state["participants"] == 40 + rows
    assert state["tasks"] == [["run_import", "SUCCESSFUL"]]


#: The worker as script/server runs it (not ``--batch``: it keeps polling until stopped).
SUPERVISED = [a for a in WORKER if a != "--batch"]


def test_a_supervised_worker_killed_while_checking_an_upload_is_restarted_and_finishes(
    scratch_db, tmp_path
):
    """script/supervise (as script/server runs the worker) restarts a worker killed mid-check.

    The worker dies (SIGKILL) while it reads and checks the uploaded file; the supervisor logs
    the death and starts it again; the new worker takes the task back and imports every row
    once; the service answers pages and says healthy throughout what follows.
    """
    env = scratch_db
    ids = step(env, "setup")
    contract = str(ids["contract"])
    rows = PARTICIPANT_BATCH + 7000
    step(env, "request-import", contract, str(ids["sub"]), str(rows))
    log = tmp_path / "worker.log"
    supervisor = subprocess.Popen(
        [str(ROOT / "script" / "supervise"), str(log), sys.executable, *SUPERVISED],
        cwd=ROOT,
        env={
            **env,
            "FULLVALUE_FAULTS": "import.check",
            "FULLVALUE_FAULTS_ONCE": str(tmp_path / "killed-once"),
        },
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        state = step(env, "state", contract)
        while state["imports"] != [["done", rows]] and time.monotonic() < deadline:
            time.sleep(1)
            state = step(env, "state", contract)
        assert state["imports"] == [["done", rows]]
        assert state["participants"] == 40 + rows  # every row once
        assert state["tasks"] == [["run_import", "SUCCESSFUL"]]
        text = log.read_text()
        assert re.search(r"supervise: pid \d+ exited with status 137; restarting", text), text
        assert "Recovered 1 task" in text
        served = step(env, "serve")
        assert served["pages"] == [200, 200]
        assert served["health"] == [200, {"status": "ok", "database": "ok", "worker": "ok"}]
    finally:
        supervisor.terminate()
        supervisor.wait(timeout=60)
    text = log.read_text()
    assert text.rstrip().endswith("supervise: stopped")
    last = int(re.findall(r"\(pid (\d+)\)", text)[-1])
    with pytest.raises(ProcessLookupError):  # the worker stopped with its supervisor
        os.kill(last, 0)
