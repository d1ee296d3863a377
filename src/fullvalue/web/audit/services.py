"""Recording audit events in the same transaction as the write they describe."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from fullvalue.web.audit.chain import GENESIS, diff, event_digest
from fullvalue.web.audit.keys import current_key
from fullvalue.web.audit.models import AuditEvent, AuditHead
from fullvalue.web.kernel.actor import Actor


def audit_record(
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: Any = "",
    object_repr: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    organisation_id: int | None = None,
) -> AuditEvent:
    """Append one event to the chain; must run inside the write's transaction.

    The head row is locked (``SELECT ... FOR UPDATE``) so concurrent writers append one at a
    time and the chain never forks.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside the write's transaction")
    key = current_key()
    head, _ = AuditHead.objects.select_for_update().get_or_create(
        id=1, defaults={"seq": 0, "hash": GENESIS}
    )
    event = AuditEvent(
        seq=head.seq + 1,
        occurred_at=timezone.now(),
        actor_user_id=actor.user_id,
        actor_email=actor.email,
        actor_role=actor.role.value if actor.role else "",
        organisation_id=organisation_id if organisation_id is not None else actor.organisation_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        object_repr=(object_repr or "")[:200],
        changes=diff(before or {}, after or {}),
        prev_hash=head.hash,
        key_id=key.id,
    )
    event.hash = event_digest(head.hash, event.__dict__, key.secret)
    event.save()
    AuditHead.objects.filter(id=1).update(seq=event.seq, hash=event.hash)
    return event
