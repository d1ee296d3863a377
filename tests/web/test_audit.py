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
from fullvalue.web.kernel.actor import Actor
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
        "FULLVALUE_VAR_DIR": str(tmp_path),  # its own audit key and checkpoints
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


# -- the keyed chain and its checkpoints (issue #14, finding 4) ---------------------------------


def _rewrite_from(events, index: int, key: bytes | None, key_id: str | None = None) -> None:
    """Edit event ``index`` and recompute every later hash, as a database owner could."""
    from fullvalue.web.audit.chain import event_digest

    raw_sql("UPDATE audit_auditevent SET object_repr = 'forged' WHERE id = %s", [events[index].pk])
    prev = events[index].prev_hash
    for event in AuditEvent.objects.filter(seq__gte=events[index].seq).order_by("seq"):
        if key_id is not None:
            event.key_id = key_id
        event.prev_hash = prev
        event.hash = event_digest(prev, event.__dict__, key)
        raw_sql(
            "UPDATE audit_auditevent SET prev_hash = %s, hash = %s, key_id = %s WHERE id = %s",
            [event.prev_hash, event.hash, event.key_id, event.pk],
        )
        prev = event.hash
    raw_sql("UPDATE audit_audithead SET hash = %s WHERE id = 1", [prev])


def test_events_are_signed_with_the_audit_key_and_record_its_id():
    from fullvalue.web.audit.keys import current_key

    (event,) = make_events(1)
    assert event.key_id == current_key().id and len(event.key_id) == 16


def test_a_row_edited_and_every_later_plain_hash_recomputed_fails_verification():
    """Without the key, recomputing SHA-256 hashes (the old chain) no longer passes."""
    events = make_events(5)
    _rewrite_from(events, 2, key=None)
    result = verify_audit()
    assert not result.ok and result.seq == 3 and "edited" in result.problem
    assert f"row {events[2].pk} (seq 3)" in result.problem


def test_a_chain_rewritten_as_unkeyed_is_refused():
    """Clearing the key ids and recomputing plain hashes from the start: not signed."""
    events = make_events(3)
    _rewrite_from(events, 0, key=None, key_id="")
    result = verify_audit()
    assert not result.ok and result.seq == 1 and "not signed with the audit key" in result.problem


def test_a_chain_rewritten_with_the_key_fails_against_the_signed_checkpoint(settings):
    """Even whoever holds the key cannot rewrite what a checkpoint already anchors."""
    from fullvalue.web.audit.checkpoints import write_checkpoint
    from fullvalue.web.audit.keys import current_key

    events = make_events(4)
    checkpoint = write_checkpoint()
    assert checkpoint.seq == 4 and verify_audit().ok
    _rewrite_from(events, 1, key=current_key().secret)
    result = verify_audit()
    assert not result.ok and result.seq == 4
    assert "not the one in the signed checkpoint" in result.problem


def test_rows_deleted_after_a_checkpoint_are_detected_even_with_the_head_rewound():
    from fullvalue.web.audit.checkpoints import write_checkpoint

    events = make_events(4)
    write_checkpoint()
    raw_sql("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])
    raw_sql("UPDATE audit_audithead SET seq = 3, hash = %s WHERE id = 1", [events[2].hash])
    result = verify_audit()
    assert not result.ok and "signed checkpoint" in result.problem and "deleted" in result.problem


def test_a_forged_checkpoint_is_refused(settings):
    import json
    from pathlib import Path

    from fullvalue.web.audit.checkpoints import write_checkpoint

    make_events(2)
    write_checkpoint()
    (path,) = Path(settings.AUDIT_CHECKPOINT_DIR).glob("checkpoint-*.json")
    data = json.loads(path.read_text())
    path.write_text(json.dumps(data | {"hash": "0" * 64}))
    result = verify_audit()
    assert not result.ok and "not signed by a known audit key" in result.problem


def test_keys_rotate_with_the_old_key_kept_for_verification(settings):
    settings.AUDIT_KEY = "first key"
    make_events(2)
    settings.AUDIT_KEY = "second key"
    organisation_update(
        actor=admin(),
        organisation_id=AuditEvent.objects.get(seq=1).object_id,
        data={"town": "Hull"},
        partial=True,
    )
    result = verify_audit()
    assert not result.ok and "not configured" in result.problem and result.seq == 1
    settings.AUDIT_RETIRED_KEYS = ["first key"]
    assert verify_audit().ok
    assert len(set(AuditEvent.objects.values_list("key_id", flat=True))) == 2


def test_auditors_read_checkpoints_through_the_api(client, make_member, api_token):
    from fullvalue.web.audit.checkpoints import write_checkpoint

    make_events(2)
    written = write_checkpoint()
    auditor = {"HTTP_AUTHORIZATION": f"Bearer {api_token(make_member(Role.AUDITOR))}"}
    r = client.get("/api/v1/audit/checkpoints", **auditor)
    assert r.status_code == 200
    assert [(c["seq"], c["hash"], c["signature"]) for c in r.json()] == [
        (2, written.hash, written.signature)
    ]
    provider = {"HTTP_AUTHORIZATION": f"Bearer {api_token(make_member(Role.PROVIDER_ADMIN))}"}
    assert client.get("/api/v1/audit/checkpoints", **provider).status_code == 403
    r = client.post("/api/v1/audit/checkpoints", **auditor)
    assert r.status_code == 202


def test_the_worker_writes_a_checkpoint_when_one_is_due(settings):
    import datetime as dt

    from fullvalue.web.audit.checkpoints import checkpoint_due, write_checkpoint
    from fullvalue.web.audit.tasks import audit_checkpoint

    assert checkpoint_due()
    make_events(1)
    audit_checkpoint.call()
    assert not checkpoint_due()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1, seconds=1)
    assert checkpoint_due(now=later)
    write_checkpoint(now=later)
    assert not checkpoint_due(now=later)
