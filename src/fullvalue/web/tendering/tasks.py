"""Background tasks for tendering."""

from __future__ import annotations

from django.core.mail import send_mass_mail

from fullvalue.web.accounts.selectors import admin_emails_interested_in
from fullvalue.web.core.tasks import retrying_task
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
