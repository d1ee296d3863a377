"""Background tasks for tendering."""

from __future__ import annotations

from django.core.mail import send_mass_mail

from fullvalue.web.accounts.selectors import admin_emails_interested_in, admin_emails_of
from fullvalue.web.kernel.tasks import retrying_task
from fullvalue.web.tendering.models import Amendment


@retrying_task(max_attempts=5)
def notify_amendment(amendment_id: int) -> int:
    """Email every provider administrator of every organisation interested in the tender."""
    amendment = Amendment.objects.select_related("tender").get(id=amendment_id)
    tender = amendment.tender
    emails = admin_emails_interested_in(tender.id)
    subject = f"Amendment to tender {tender.reference}: {tender.title}"
    body = f"The tender {tender.reference} has been amended.\n\n{amendment.summary}\n"
    send_mass_mail([(subject, body, None, [email]) for email in emails])
    return len(emails)


@retrying_task(max_attempts=5)
def notify_partner_message(message_id: int) -> int:
    """Email the receiving organisation's administrators that a partner message arrived."""
    from fullvalue.web.tendering.models import PartnerMessage

    message = PartnerMessage.objects.select_related("sender", "recipient", "lot").get(id=message_id)
    emails = admin_emails_of(message.recipient_id)
    about = f" about {message.lot}" if message.lot else ""
    subject = f"{message.sender.name} would like to partner with you{about}"
    body = (
        f"{message.sender.name} sent {message.recipient.name} a message through Fullvalue's "
        f"partner finder{about}:\n\n{message.body}\n\n"
        "Sign in to Fullvalue to reply. Your contact details are shared only if you choose to.\n"
    )
    send_mass_mail([(subject, body, None, [email]) for email in emails])
    return len(emails)


@retrying_task(max_attempts=5)
def notify_partner_reply(message_id: int) -> int:
    """Email the person who sent a partner message that the organisation replied."""
    from fullvalue.web.tendering.models import PartnerMessage

    message = PartnerMessage.objects.select_related("recipient", "sent_by").get(id=message_id)
    subject = f"{message.recipient.name} replied to your message"
    body = f"{message.recipient.name} replied through Fullvalue:\n\n{message.reply}\n"
    if message.contact_shared:
        body += f"\nThey shared their contact details: {message.contact_shared}\n"
    send_mass_mail([(subject, body, None, [message.sent_by.email])])
    return 1
