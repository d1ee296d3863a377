"""Background tasks for accounts."""

from __future__ import annotations

from django.core.mail import send_mail
from django.template.loader import render_to_string

from fullvalue.web.accounts.models import Invitation
from fullvalue.web.kernel.tasks import retrying_task


@retrying_task(max_attempts=5)
def send_invitation_email(invitation_id: int, link: str) -> str:
    """Email an invitation link (console backend locally)."""
    invitation = Invitation.objects.select_related("organisation", "invited_by").get(
        id=invitation_id
    )
    body = render_to_string(
        "accounts/invitation_email.txt", {"invitation": invitation, "link": link}
    )
    send_mail(
        subject=f"You're invited to join {invitation.organisation.name} on Fullvalue",
        message=body,
        from_email=None,
        recipient_list=[invitation.email],
    )
    return invitation.email
