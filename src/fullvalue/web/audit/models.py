"""The audit trail: append-only and hash-chained.

Each event's ``hash`` is an HMAC-SHA256, under the audit key kept outside the database
(:mod:`fullvalue.web.audit.keys`, whose id each event records), over the previous event's hash
and this event's canonical JSON (see :func:`fullvalue.web.audit.chain.event_digest`). Signed
checkpoints of the head are written outside the database
(:mod:`~fullvalue.web.audit.checkpoints`). Database triggers refuse UPDATE and DELETE;
``fullvalue verify-audit`` recomputes the chain and names the first row that was edited, deleted
or reordered. ``AuditHead`` holds the latest sequence number and hash, so removing the newest
rows is detected too, and locking it serialises appends.
"""

from __future__ import annotations

from django.db import models


class AuditEventQuerySet(models.QuerySet):
    """Bulk changes are refused too: the trail is append-only."""

    def update(self, **kwargs):
        """Refuse bulk updates."""
        raise RuntimeError("Audit events are append-only and cannot be changed.")

    def delete(self):
        """Refuse bulk deletes."""
        raise RuntimeError("Audit events are append-only and cannot be deleted.")


class AuditEvent(models.Model):
    """One write: who, for which organisation, when (UTC), what, to which object, and the diff."""

    seq = models.PositiveBigIntegerField(unique=True)
    occurred_at = models.DateTimeField()
    actor_user_id = models.BigIntegerField(null=True)
    actor_email = models.CharField(max_length=254, blank=True)
    actor_role = models.CharField(max_length=32, blank=True)
    organisation_id = models.BigIntegerField(null=True)
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    key_id = models.CharField(
        max_length=16, blank=True, default="", help_text="the audit key's id; blank: unkeyed"
    )

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["action"]),
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["organisation_id"]),
            models.Index(fields=["occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type} {self.object_id}"

    def save(self, *args, **kwargs):
        """Insert only; an existing event is never saved again."""
        if self.pk is not None:
            raise RuntimeError("Audit events are append-only and cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        """Audit events are never deleted."""
        raise RuntimeError("Audit events are append-only and cannot be deleted.")


class AuditHead(models.Model):
    """The single row holding the latest sequence number and hash of the chain."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"audit head at seq {self.seq}"
