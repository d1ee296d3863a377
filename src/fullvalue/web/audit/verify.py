"""Verify the audit chain and name the first row that was edited, deleted or reordered."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fullvalue.web.audit.chain import GENESIS, event_digest
from fullvalue.web.audit.models import AuditEvent, AuditHead


@dataclass(frozen=True)
class VerifyResult:
    """The outcome: ``ok`` and how many events were checked, or the first problem found."""

    ok: bool
    checked: int
    problem: str = ""
    seq: int | None = None


def verify_events(
    events: Iterable[AuditEvent], head: AuditHead | None, present: set[int] | None = None
) -> VerifyResult:
    """Walk events in storage order (by primary key) and check every link of the chain.

    - a row whose contents no longer give its stored hash was **edited**;
    - a gap in the sequence numbers means a row was **deleted**;
    - sequence numbers out of order, or a ``prev_hash`` that is not the previous row's hash
      when the row itself is intact, means rows were **reordered** (or one replaced);
    - the head must match the last row, so deleting the newest rows is detected too.

    ``present`` (every stored sequence number) tells a row stored out of order from a deleted
    one.
    """
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    for event in events:
        if event.seq != expected_seq:
            if event.seq > expected_seq and present is not None and expected_seq in present:
                return VerifyResult(
                    False,
                    checked,
                    f"row {event.pk} (seq {event.seq}): stored before seq {expected_seq} — "
                    "reordered",
                    event.seq,
                )
            if event.seq > expected_seq:
                missing = (
                    f"seq {expected_seq}"
                    if event.seq == expected_seq + 1
                    else f"seq {expected_seq} to {event.seq - 1}"
                )
                return VerifyResult(
                    False,
                    checked,
                    f"row {event.pk} (seq {event.seq}): {missing} is missing — deleted",
                    event.seq,
                )
            return VerifyResult(
                False,
                checked,
                f"row {event.pk} (seq {event.seq}): out of order after seq {expected_seq - 1} — "
                "reordered",
                event.seq,
            )
        recomputed = event_digest(event.prev_hash, event.__dict__)
        if recomputed != event.hash:
            return VerifyResult(
                False,
                checked,
                f"row {event.pk} (seq {event.seq}): contents do not match its hash — edited",
                event.seq,
            )
        if event.prev_hash != prev_hash:
            return VerifyResult(
                False,
                checked,
                f"row {event.pk} (seq {event.seq}): does not follow seq {event.seq - 1} — "
                "reordered or replaced",
                event.seq,
            )
        prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    if head is not None and (head.seq != expected_seq - 1 or head.hash != prev_hash):
        return VerifyResult(
            False,
            checked,
            f"the chain ends at seq {expected_seq - 1} but the head records seq {head.seq}: "
            "the newest rows were deleted",
            expected_seq,
        )
    return VerifyResult(True, checked)


def verify_audit() -> VerifyResult:
    """Verify the whole trail in the database, streaming rows in primary-key order."""
    present = set(AuditEvent.objects.values_list("seq", flat=True))
    events = AuditEvent.objects.order_by("pk").iterator(chunk_size=2000)
    return verify_events(events, AuditHead.objects.filter(id=1).first(), present)
