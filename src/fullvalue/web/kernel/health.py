"""Is the service healthy? The database answers, and a task worker has beaten recently.

Each task worker (``manage.py worker``) writes a heartbeat: a small file named after its worker
id in :func:`heartbeat_dir`, rewritten every :data:`BEAT_SECONDS` by a thread of the worker
process. ``/healthz`` reads the newest heartbeat: older than :data:`STALE_SECONDS` (or none at
all) means no worker is taking tasks, and the service answers 503 naming it, so a supervisor
(``script/server``, systemd, an orchestrator) or a monitor can act. Files, not database rows:
a heartbeat must not need the database it reports on, and must not take a write lock on SQLite
every few seconds. Web and worker processes must share the directory (on one host they do; in
containers mount one volume, or set ``WORKER_HEARTBEAT_DIR``).
"""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

#: How often a worker writes its heartbeat (seconds).
BEAT_SECONDS = 5.0
#: A heartbeat older than this means the worker is gone or stuck (seconds).
STALE_SECONDS = 60.0


def heartbeat_dir() -> Path:
    """Where workers write heartbeats (``WORKER_HEARTBEAT_DIR``, default ``var/heartbeats``)."""
    configured = getattr(settings, "WORKER_HEARTBEAT_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "heartbeats"


def _file(worker_id: str) -> Path:
    return heartbeat_dir() / re.sub(r"[^A-Za-z0-9_.-]", "_", worker_id)


def beat(worker_id: str, now: float | None = None) -> None:
    """Record that this worker is alive now (written whole, then renamed into place)."""
    path = _file(worker_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = time.time() if now is None else now
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(f"{stamp:.3f} {os.getpid()}\n")
    os.replace(partial, path)


def start_heartbeat(worker_id: str, every: float = BEAT_SECONDS) -> threading.Event:
    """Beat now and then every ``every`` seconds from a daemon thread; set the event to stop."""
    stop = threading.Event()
    beat(worker_id)

    def loop() -> None:
        while not stop.wait(every):
            try:
                beat(worker_id)
            except OSError:  # a full disk must not kill the worker; health will say so
                continue

    threading.Thread(target=loop, name=f"heartbeat-{worker_id}", daemon=True).start()
    return stop


def newest_heartbeat() -> float | None:
    """The time of the most recent heartbeat of any worker, or ``None`` if there is none."""
    try:
        stamps = [
            float(p.read_text().split()[0])
            for p in heartbeat_dir().iterdir()
            if p.is_file() and not p.name.startswith(".")
        ]
    except (OSError, ValueError, IndexError):
        return None
    return max(stamps, default=None)


def worker_state(now: float | None = None) -> str:
    """``"ok"``, or what is wrong with the task workers' heartbeats."""
    newest = newest_heartbeat()
    if newest is None:
        return "no heartbeat from any task worker"
    age = (time.time() if now is None else now) - newest
    if age > STALE_SECONDS:
        return f"no heartbeat for {age:.0f} s"
    return "ok"


def database_state() -> str:
    """``"ok"``, or why the database does not answer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any database failure means unhealthy
        return f"unavailable ({type(exc).__name__})"
    return "ok"


def check(now: float | None = None) -> tuple[int, dict[str, Any]]:
    """The health answer: 200 with every part ``"ok"``, or 503 naming what failed."""
    parts = {"database": database_state(), "worker": worker_state(now)}
    healthy = all(state == "ok" for state in parts.values())
    return (200 if healthy else 503), {"status": "ok" if healthy else "unavailable", **parts}
