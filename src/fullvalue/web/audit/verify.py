"""Verify the audit chain and name the first row that was edited, deleted or reordered.

Each keyed event's hash is checked with the audit key whose id it records; the chain must pass
through the latest signed checkpoint (written outside the database), so a chain rewritten
after it fails even if every hash in the database agrees with the next.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fullvalue.web.audit.chain import GENESIS, event_digest
from fullvalue.web.audit.checkpoints import Checkpoint, latest_checkpoint
from fullvalue.web.audit.keys import AuditKey, known_keys
from fullvalue.web.audit.models import AuditEvent, AuditHead


@dataclass(frozen=True)
class VerifyResult:
    """The outcome: ``ok`` and how many events were checked, or the first problem found."""

    ok: bool
    checked: int
    problem: str = ""
    seq: int | None = None


def verify_events(
    events: Iterable[AuditEvent],
    head: AuditHead | None,
    present: set[int] | None = None,
    keys: dict[str, AuditKey] | None = None,
    checkpoint: Checkpoint | None = None,
) -> VerifyResult:
    """Walk events in storage order (by primary key) and check every link of the chain.

    - a row whose contents no longer give its stored hash was **edited**;
    - a gap in the sequence numbers means a row was **deleted**;
    - sequence numbers out of order, or a ``prev_hash`` that is not the previous row's hash
      when the row itself is intact, means rows were **reordered** (or one replaced);
    - the head must match the last row, so deleting the newest rows is detected too.

    ``present`` (every stored sequence number) tells a row stored out of order from a deleted
    one. ``keys`` (by id) check keyed events; once an event is keyed, every later one must be
    (an unkeyed hash can be recomputed by anyone). ``checkpoint``, when given, must be
    correctly signed and the chain must hold its sequence number with its hash.
    """
    keys = keys if keys is not None else {}
    if checkpoint is not None and not checkpoint.signed_correctly():
        return VerifyResult(
            False,
            0,
            f"the checkpoint of {checkpoint.written_at} (seq {checkpoint.seq}) is not signed by "
            "a known audit key — forged, or its key is missing",
        )
    prev_hash, expected_seq, checked, keyed = GENESIS, 1, 0, False
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
        if event.key_id:
            key = keys.get(event.key_id)
            if key is None:
                return VerifyResult(
                    False,
                    checked,
                    f"row {event.pk} (seq {event.seq}): signed with audit key {event.key_id}, "
                    "which is not configured (add it to AUDIT_RETIRED_KEYS)",
                    event.seq,
                )
            recomputed, keyed = event_digest(event.prev_hash, event.__dict__, key.secret), True
        elif keyed or checkpoint is None or event.seq > checkpoint.seq:
            # Anyone can compute an unkeyed hash: such rows (written before the chain was
            # keyed) are trusted only up to a signed checkpoint, and never after a keyed row.
            return VerifyResult(
                False,
                checked,
                f"row {event.pk} (seq {event.seq}): not signed with the audit key and not "
                "covered by a signed checkpoint — rewritten, or write a checkpoint first",
                event.seq,
            )
        else:
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
        if checkpoint is not None and event.seq == checkpoint.seq and event.hash != checkpoint.hash:
            return VerifyResult(
                False,
                checked,
                f"row {event.pk} (seq {event.seq}): its hash is not the one in the signed "
                f"checkpoint of {checkpoint.written_at} — the chain was rewritten",
                event.seq,
            )
        prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    if checkpoint is not None and checkpoint.seq > expected_seq - 1:
        return VerifyResult(
            False,
            checked,
            f"the chain ends at seq {expected_seq - 1} but the signed checkpoint of "
            f"{checkpoint.written_at} records seq {checkpoint.seq}: rows were deleted",
            expected_seq,
        )
    if head is not None and (head.seq != expected_seq - 1 or head.hash != prev_hash):
        return VerifyResult(
            False,
            checked,
            f"the chain ends at seq {expected_seq - 1} but the head records seq {head.seq}: "
            "the newest rows were deleted",
            expected_seq,
        )
    return VerifyResult(True, checked)


def verify_audit(checkpoint: Checkpoint | None = None) -> VerifyResult:
    """Verify the whole trail against the audit keys and the latest (or given) checkpoint."""
    present = set(AuditEvent.objects.values_list("seq", flat=True))
    events = AuditEvent.objects.order_by("pk").iterator(chunk_size=2000)
    return verify_events(
        events,
        AuditHead.objects.filter(id=1).first(),
        present,
        keys=known_keys(),
        checkpoint=checkpoint or latest_checkpoint(),
    )
