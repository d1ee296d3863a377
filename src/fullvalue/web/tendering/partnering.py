"""Partner finder messages: writes and reads.

A provider contacts an organisation through the platform: the message goes to that
organisation's administrators (by email, through the task worker), never to a personal
address the sender can see. An administrator may reply and chooses whether to share contact
details; until then the sender knows only the organisation's public profile.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from fullvalue.domain.roles import Role
from fullvalue.errors import FullvalueError, NotFound, PermissionDenied, Problem
from fullvalue.web.audit.services import audit_record
from fullvalue.web.kernel import fields
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.organisations.selectors import organisation_by_id
from fullvalue.web.tendering.models import Lot, PartnerMessage

MAX_MESSAGE = 3000


def _provider_org(actor: Actor) -> tuple[int, int]:
    """Check the actor is a person on a provider's team; return (organisation id, user id)."""
    actor.require_can_write()
    actor.require_role(
        Role.PROVIDER_ADMIN,
        Role.PROVIDER_STAFF,
        message="Partner messages are between provider organisations.",
    )
    if actor.organisation_id is None or actor.user_id is None:
        raise PermissionDenied("A person acting for an organisation contacts partners.")
    return actor.organisation_id, actor.user_id


@transaction.atomic
def partner_message_send(
    *, actor: Actor, recipient_id: int, body: str, lot_id: int | None = None
) -> PartnerMessage:
    """Send a message to another organisation's administrators (emailed by the task worker)."""
    org_id, user_id = _provider_org(actor)
    recipient = organisation_by_id(recipient_id)
    if recipient is None:
        raise NotFound("No such organisation.")
    problems = []
    if recipient.id == org_id:
        problems.append(Problem("Choose another organisation than your own", column="recipient"))
    text = fields.Fields(problems)(
        fields.text, body, "body", max_length=MAX_MESSAGE, multiline=True
    )
    if text == "":
        problems.append(Problem("Write your message", column="body"))
    if problems:
        raise FullvalueError.from_problems("Your message needs correcting.", problems)
    lot = Lot.objects.filter(id=lot_id).first() if lot_id else None
    message = PartnerMessage.objects.create(
        sender_id=org_id,
        sent_by_id=user_id,
        recipient=recipient,
        lot=lot,
        body=text,
    )
    audit_record(
        actor=actor,
        action="partner_message.send",
        object_type="partner_message",
        object_id=message.id,
        object_repr=f"to {recipient.name}",
        after={"recipient": recipient.id, "lot": lot.id if lot else None},
    )
    from fullvalue.web.tendering.tasks import notify_partner_message

    transaction.on_commit(lambda: notify_partner_message.enqueue(message.id))
    return message


@transaction.atomic
def partner_message_reply(
    *, actor: Actor, message_id: int, reply: str, share_contact: bool
) -> PartnerMessage:
    """An administrator of the receiving organisation replies, sharing contact details or not.

    Shared details are the replying administrator's name and email and the organisation's
    phone number, copied at the time of the reply.
    """
    org_id, user_id = _provider_org(actor)
    actor.require_role(
        Role.PROVIDER_ADMIN, message="An administrator of your organisation replies."
    )
    message = (
        PartnerMessage.objects.select_for_update()
        .select_related("recipient")
        .filter(id=message_id, recipient_id=org_id)
        .first()
    )
    if message is None:
        raise NotFound("No such message.")
    read = fields.Fields()
    reply = read(fields.text, reply, "reply", max_length=MAX_MESSAGE, multiline=True) or ""
    read.check("Your reply needs correcting.")
    if not reply and not share_contact:
        raise FullvalueError.from_problems(
            "Your reply needs correcting.",
            [Problem("Write a reply or choose to share your contact details", column="reply")],
        )
    contact = ""
    if share_contact:
        phone = message.recipient.contact_phone
        contact = f"{actor.full_name}, {actor.email}" + (f", {phone}" if phone else "")
    message.reply, message.contact_shared = reply, contact
    message.replied_by_id, message.replied_at = user_id, timezone.now()
    message.save(update_fields=["reply", "contact_shared", "replied_by", "replied_at"])
    audit_record(
        actor=actor,
        action="partner_message.reply",
        object_type="partner_message",
        object_id=message.id,
        object_repr=f"from {message.recipient.name}",
        after={"contact_shared": share_contact},
    )
    from fullvalue.web.tendering.tasks import notify_partner_reply

    transaction.on_commit(lambda: notify_partner_reply.enqueue(message.id))
    return message


def partner_messages_for(actor: Actor) -> QuerySet[PartnerMessage]:
    """Messages the actor's organisation sent or received (provider team members only)."""
    if actor.organisation_id is None or actor.role not in (
        Role.PROVIDER_ADMIN,
        Role.PROVIDER_STAFF,
    ):
        return PartnerMessage.objects.none()
    org = actor.organisation_id
    return PartnerMessage.objects.filter(Q(sender_id=org) | Q(recipient_id=org)).select_related(
        "sender", "recipient", "lot__tender", "sent_by"
    )


def partner_message_get(actor: Actor, message_id: int) -> PartnerMessage:
    """One message the actor's organisation sent or received."""
    message = partner_messages_for(actor).filter(id=message_id).first()
    if message is None:
        raise NotFound("No such message.")
    return message


def unanswered_count(actor: Actor) -> int:
    """Messages to the actor's organisation not yet replied to (for administrators)."""
    if actor.organisation_id is None or actor.role != Role.PROVIDER_ADMIN:
        return 0
    return PartnerMessage.objects.filter(
        recipient_id=actor.organisation_id, replied_at__isnull=True
    ).count()
