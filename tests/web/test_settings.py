"""Settings from the environment: production refuses to start unsafely."""

import os
import subprocess
import sys

import pytest

CHECK = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='fullvalue.web.settings'; "
    "django.setup(); from django.conf import settings; "
    "print(settings.SESSION_COOKIE_SECURE, settings.SECURE_HSTS_SECONDS, "
    "settings.CSRF_COOKIE_SECURE)"
)


def run(env):
    base = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [sys.executable, "-c", CHECK],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_without_secret_key():
    result = run({"ALLOWED_HOSTS": "fullvalue.example"})
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_production_refuses_without_allowed_hosts():
    result = run({"SECRET_KEY": "x" * 50})
    assert result.returncode != 0 and "ALLOWED_HOSTS must be set" in result.stderr


def test_production_has_secure_cookies_and_hsts():
    result = run({"SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "fullvalue.example"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "31536000", "True"]


def test_loopback_demo_without_tls_is_explicit():
    result = run({"SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "127.0.0.1", "HTTPS": "false"})
    assert result.stdout.split() == ["False", "0", "False"]


@pytest.mark.django_db
def test_sessions_time_out(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


@pytest.mark.django_db
def test_signed_in_sessions_are_refreshed_at_most_once_a_minute(
    signed_in, make_member, monkeypatch
):
    """The idle timeout moves forward with activity, without a write on every request."""
    from django.contrib.sessions.models import Session

    from fullvalue.domain.roles import Role
    from fullvalue.web.kernel import sessions

    clock = {"now": 1_900_000_000}
    monkeypatch.setattr(sessions.time, "time", lambda: clock["now"])
    client = signed_in(make_member(Role.PROVIDER_STAFF))
    client.get("/dashboard/")
    key = client.session.session_key
    first = Session.objects.get(session_key=key).expire_date
    clock["now"] += 10
    client.get("/dashboard/")
    assert Session.objects.get(session_key=key).expire_date == first  # no write
    clock["now"] += 61
    client.get("/dashboard/")
    assert Session.objects.get(session_key=key).expire_date > first  # refreshed
