"""Health tells the truth (issue #14, finding 2): the database and the task worker's heartbeat."""

from __future__ import annotations

import time

import pytest

from fullvalue.web.kernel import health


@pytest.fixture
def beats(settings, tmp_path):
    settings.WORKER_HEARTBEAT_DIR = str(tmp_path / "heartbeats")
    return tmp_path / "heartbeats"


@pytest.mark.django_db
def test_healthy_when_the_database_answers_and_a_worker_beat_within_a_minute(client, beats):
    health.beat("host-1")
    r = client.get("/healthz")
    assert r.status_code == 200, r.json()
    assert r.json() == {"status": "ok", "database": "ok", "worker": "ok"}
    assert r["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_503_naming_the_worker_after_a_minute_without_a_heartbeat(client, beats):
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json() == {
        "status": "unavailable",
        "database": "ok",
        "worker": "no heartbeat from any task worker",
    }
    health.beat("host-1", now=time.time() - 3600)
    r = client.get("/healthz")
    assert r.status_code == 503 and r.json()["worker"].startswith("no heartbeat for 36")
    health.beat("host-2")  # another worker is alive: the newest heartbeat counts
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_503_naming_the_database_when_it_does_not_answer(client, beats, monkeypatch):
    from django.db import OperationalError

    health.beat("host-1")

    def broken(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(health.connection, "cursor", broken)
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json() == {
        "status": "unavailable",
        "database": "unavailable (OperationalError)",
        "worker": "ok",
    }


def test_a_heartbeat_counts_for_sixty_seconds(beats):
    health.beat("host-1", now=1000.0)
    assert health.worker_state(now=1059.0) == "ok"
    assert health.worker_state(now=1060.0) == "ok"
    assert health.worker_state(now=1061.0) == "no heartbeat for 61 s"


def test_the_heartbeat_thread_beats_until_stopped(beats):
    stop = health.start_heartbeat("host-1", every=0.05)
    first = health.newest_heartbeat()
    time.sleep(0.3)
    assert health.newest_heartbeat() > first
    stop.set()
    time.sleep(0.1)
    last = health.newest_heartbeat()
    time.sleep(0.2)
    assert health.newest_heartbeat() == last
    assert [p.name for p in beats.iterdir()] == ["host-1"]  # no partial files left
