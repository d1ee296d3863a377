"""Background tasks: the database backend and worker, retries, and failures shown to admins."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from fullvalue.domain.roles import Role
from tests.web import flaky_tasks

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_failed_task_is_retried_then_succeeds(settings):
    flaky_tasks.FAILURES_LEFT["n"] = 2
    flaky_tasks.flaky.enqueue("hello")
    for _ in range(3):
        call_command("db_worker", batch=True, interval=0, verbosity=0)
    statuses = list(DBTaskResult.objects.order_by("enqueued_at").values_list("status", flat=True))
    assert statuses == ["FAILED", "FAILED", "SUCCESSFUL"]
    assert flaky_tasks.CALLS == ["hello", "hello", "hello"]


def test_task_gives_up_after_max_attempts():
    flaky_tasks.FAILURES_LEFT["n"] = 99
    flaky_tasks.CALLS.clear()
    flaky_tasks.flaky.enqueue("again")
    for _ in range(5):
        call_command("db_worker", batch=True, interval=0, verbosity=0)
    assert DBTaskResult.objects.filter(status="FAILED").count() == 3
    assert DBTaskResult.objects.exclude(status="FAILED").count() == 0


def test_failures_are_visible_to_system_admins(signed_in, make_member):
    flaky_tasks.FAILURES_LEFT["n"] = 99
    flaky_tasks.flaky.enqueue("visible")
    call_command("db_worker", batch=True, interval=0, verbosity=0)
    page = signed_in(make_member(Role.SYSTEM_ADMIN)).get(reverse("task-list") + "?status=FAILED")
    body = page.content.decode()
    assert "flaky" in body and "RuntimeError" in body
