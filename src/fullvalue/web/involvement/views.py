"""Have your say: community members comment on programmes and tenders in their area.

Commissioners read the comments on theirs on the same page.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from fullvalue.domain.roles import Role
from fullvalue.errors import FullvalueError
from fullvalue.web.involvement.selectors import comments_by, comments_received, open_for_comment
from fullvalue.web.involvement.services import comment_create
from fullvalue.web.kernel import fields
from fullvalue.web.kernel.forms import FormState
from fullvalue.web.kernel.pages import page, signin_required


@signin_required
def have_your_say(request: HttpRequest) -> HttpResponse:
    """What is open for comment in the member's area, each with a comment form.

    A commissioner sees the comments received instead.
    """
    actor = request.actor  # type: ignore[attr-defined]
    state, summary, posted = FormState(), FormState(), ""
    if request.method == "POST":
        state = FormState.from_post(request.POST)
        posted = state.values.get("item", "")
        kind, _, raw_id = posted.partition("-")
        item_id = fields.whole_or(raw_id, 0)
        try:
            comment_create(
                actor=actor,
                text=state.values.get("text", ""),
                programme_id=item_id if kind == "programme" else None,
                tender_id=item_id if kind == "tender" else None,
            )
        except FullvalueError as exc:
            state.absorb(exc)
            summary = FormState(
                errors={
                    f"{posted}-{k}" if k != "__all__" else k: v for k, v in state.errors.items()
                }
            )
        else:
            messages.success(request, "Thank you: your comment has been sent to the commissioner.")
            return redirect("have-your-say")
    context: dict = {"posted": posted, "posted_state": state, "blank_state": FormState()}
    if actor.role == Role.COMMUNITY_MEMBER:
        context["open"] = open_for_comment(actor)
        context["mine"] = list(comments_by(actor)[:20])
    elif actor.role == Role.COMMISSIONER:
        context["received"] = list(comments_received(actor)[:100])
    return page(
        request, "involvement/have_your_say.html", "Have your say", state=summary, **context
    )
