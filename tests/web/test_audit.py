"""The audit trail: recorded with every write, append-only, and tamper-evident."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.db import connection, transaction

from fullvalue.domain.roles import Role
from fullvalue.errors import FullvalueError
from fullvalue.web.audit.models import AuditEvent
from fullvalue.web.audit.verify import verify_audit
from fullvalue.web.core.actor import Actor
from fullvalue.web.organisations.services import organisation_create, organisation_update

pytestmark = pytest.mark.django_db(transaction=False)

VALID = {
    "name": "Harbour Lights Trust",
    "legal_form": "registered_charity",
    "sector": "voluntary",
    "identifiers": ["GB-CHC-1092948"],
    "annual_income": "85000",
}


def admin() -> Actor:
    return Actor.system("test")


def make_events(n: int) -> list[AuditEvent]:
    for i in range(n):
        organisation_create(
            actor=admin(),
            data={**VALID, "name": f"Org {i}", "identifiers": [f"GB-CHC-{1092900 + i}"]},
        )
    return list(AuditEvent.objects.order_by("seq"))


def raw_sql(sql: str, params=()):
    """Tamper the way someone with database access would: triggers off, then SQL."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        cursor.execute(sql, params)


def test_write_records_actor_action_object_and_diff():
    org = organisation_create(actor=admin(), data=VALID)
    organisation_update(actor=admin(), organisation_id=org.id, data={"town": "Hull"}, partial=True)
    create, update = AuditEvent.objects.order_by("seq")
    assert create.action == "organisation.create"
    assert create.actor_email == "system:test"
    assert create.object_id == str(org.id)
    assert create.changes["name"] == [None, "Harbour Lights Trust"]
    assert update.action == "organisation.update"
    assert update.changes == {"town": ["", "Hull"]}
    assert update.prev_hash == create.hash
    assert update.occurred_at.tzinfo is not None


def test_failed_write_leaves_no_event_and_no_row():
    """The event is written in the write's transaction: a rejected write records nothing."""
    organisation_create(actor=admin(), data=VALID)
    before = AuditEvent.objects.count()
    with pytest.raises(FullvalueError):
        organisation_create(actor=admin(), data=VALID)  # identifier already registered
    assert AuditEvent.objects.count() == before


def test_rollback_of_outer_transaction_removes_event():
    with pytest.raises(RuntimeError), transaction.atomic():
        organisation_create(actor=admin(), data=VALID)
        raise RuntimeError("later failure in the same transaction")
    assert AuditEvent.objects.count() == 0


def test_events_refuse_update_and_delete_through_the_orm():
    (event,) = make_events(1)
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()
    with pytest.raises(RuntimeError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(RuntimeError):
        AuditEvent.objects.all().delete()


def test_database_trigger_refuses_update():
    (event,) = make_events(1)
    with (
        pytest.raises(Exception, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [event.pk])


def test_intact_chain_verifies():
    make_events(4)
    result = verify_audit()
    assert result.ok and result.checked == 4


def test_edited_row_is_named():
    events = make_events(5)
    raw_sql("UPDATE audit_auditevent SET object_repr = 'forged' WHERE id = %s", [events[2].pk])
    result = verify_audit()
    assert not result.ok
    assert result.seq == 3 and "edited" in result.problem
    assert f"row {events[2].pk}" in result.problem


def test_edited_diff_is_detected():
    events = make_events(3)
    raw_sql(
        "UPDATE audit_auditevent SET changes = %s WHERE id = %s",
        ['{"name": [null, "Someone else"]}', events[0].pk],
    )
    result = verify_audit()
    assert not result.ok and result.seq == 1 and "edited" in result.problem


def test_deleted_row_is_named():
    events = make_events(5)
    raw_sql("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    result = verify_audit()
    assert not result.ok
    assert "seq 2 is missing" in result.problem and "deleted" in result.problem


def test_deleted_newest_rows_are_detected_by_the_head():
    events = make_events(4)
    raw_sql("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])
    result = verify_audit()
    assert not result.ok and "newest rows were deleted" in result.problem


def test_reordered_rows_are_named():
    """Swap the sequence numbers of two rows: the chain no longer follows storage order."""
    events = make_events(4)
    a, b = events[1], events[2]
    raw_sql("UPDATE audit_auditevent SET seq = 1000 WHERE id = %s", [a.pk])
    raw_sql("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [a.seq, b.pk])
    raw_sql("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [b.seq, a.pk])
    result = verify_audit()
    assert not result.ok
    assert result.seq in (2, 3)
    assert "reordered" in result.problem


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_verify_audit_command_exit_codes(tmp_path):
    """``fullvalue verify-audit`` exits 0 when intact and 1 naming the row when not."""
    db_path = tmp_path / "audit.sqlite3"
    env = {
        "DATABASE_URL": f"sqlite:///{db_path}",
        "FULLVALUE_TESTING": "1",
        "PATH": "/usr/bin:/bin",
    }
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "fullvalue.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run("manage", "migrate", "-v0").returncode == 0
    seed = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='fullvalue.web.settings'; "
        "django.setup(); from fullvalue.web.demo.world import build_demo_world; build_demo_world()"
    )
    assert subprocess.run([sys.executable, "-c", seed], env=env, timeout=120).returncode == 0
    ok = run("verify-audit")
    assert ok.returncode == 0, ok.stderr
    assert "intact" in ok.stdout
    import sqlite3

    con = sqlite3.connect(db_path)
    con.execute("DROP TRIGGER audit_event_no_update")
    con.execute("UPDATE audit_auditevent SET actor_email = 'mallory' WHERE seq = 7")
    con.commit()
    con.close()
    broken = run("verify-audit")
    assert broken.returncode == 1
    assert "(seq 7)" in broken.stderr and "edited" in broken.stderr


def test_only_auditors_and_admins_read_the_trail(make_member, actor_for):
    from fullvalue.errors import PermissionDenied
    from fullvalue.web.audit.selectors import audit_events

    make_events(2)
    assert audit_events(actor_for(make_member(Role.AUDITOR)), {}).count() == 2
    for role in (Role.COMMISSIONER, Role.PROVIDER_ADMIN, Role.COMMUNITY_MEMBER):
        with pytest.raises(PermissionDenied):
            audit_events(actor_for(make_member(role)), {})
