"""Feedback on the service: anyone may send it; system administrators read it.

The site layer holds it because storing feedback is audited (the kernel imports no
capability, and the audit trail is one).
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from fullvalue.errors import FullvalueError, Problem
from fullvalue.web.audit.services import audit_record
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.kernel.forms import FormState
from fullvalue.web.kernel.models import Feedback
from fullvalue.web.kernel.pages import page
from fullvalue.web.kernel.selectors import feedback_received

MAX_FEEDBACK = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@transaction.atomic
def feedback_create(*, actor: Actor, text: str, email: str = "", about_page: str = "") -> Feedback:
    """Store feedback on the service (anyone may give it, signed in or not).

    Raises :class:`FullvalueError` naming each field when the text is missing or too long or
    the email address is not one.
    """
    text, email = text.strip(), email.strip()
    problems = []
    if not text:
        problems.append(Problem("Enter your feedback", column="text"))
    elif len(text) > MAX_FEEDBACK:
        problems.append(
            Problem(f"Feedback must be {MAX_FEEDBACK:,} characters or fewer", column="text")
        )
    elif _CONTROL.search(text):
        problems.append(Problem("Feedback must not contain control characters", column="text"))
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            problems.append(Problem("Enter an email address like name@example.org", column="email"))
    if problems:
        raise FullvalueError.from_problems("The feedback could not be sent.", problems)
    item = Feedback.objects.create(
        user_id=actor.user_id,
        text=text,
        email=email,
        about_page=about_page.strip()[:200] if about_page.startswith("/") else "",
    )
    audit_record(
        actor=actor,
        action="feedback.create",
        object_type="feedback",
        object_id=item.id,
        object_repr=str(item),
        after={"about_page": item.about_page, "reply_wanted": bool(email)},
    )
    return item


def feedback(request: HttpRequest) -> HttpResponse:
    """A form to report a problem or suggest an improvement; administrators read what came in."""
    actor = request.actor  # type: ignore[attr-defined]
    state = FormState(values={"about_page": request.GET.get("from", "")})
    if request.method == "POST":
        state = FormState.from_post(request.POST)
        try:
            feedback_create(
                actor=actor,
                text=state.values.get("text", ""),
                email=state.values.get("email", ""),
                about_page=state.values.get("about_page", ""),
            )
        except FullvalueError as exc:
            state.absorb(exc)
        else:
            messages.success(request, "Thank you: your feedback has been sent to the team.")
            return redirect("feedback")
    return page(
        request,
        "core/feedback.html",
        "Give feedback",
        state=state,
        received=list(feedback_received(actor)[:100]) if actor.is_system_admin else None,
    )
