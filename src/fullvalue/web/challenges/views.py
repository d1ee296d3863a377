"""Right to Challenge pages: the public register, windows with the form, each challenge's page."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from fullvalue.errors import FullvalueError
from fullvalue.web.challenges import policy, rules, selectors, services
from fullvalue.web.kernel.exports import table_response
from fullvalue.web.kernel.forms import FormState
from fullvalue.web.kernel.pages import page, signin_required
from fullvalue.web.kernel.policy import refusal, require

HEADERS = [
    "Body",
    "Kind of body",
    "Authority",
    "Service",
    "Received",
    "Timetable sent",
    "Decision",
    "Decided",
    "Grounds",
    "Reasons",
    "Procurement (OCID)",
    "Overdue",
]


def register(request: HttpRequest) -> HttpResponse:
    """Every expression of interest and its decision (public), overdue clocks flagged."""
    actor = request.actor  # type: ignore[attr-defined]
    today = timezone.localdate()
    rows = [selectors.register_row(i, today) for i in selectors.interests_listed()]
    if fmt := request.GET.get("format"):
        table = [
            [
                r["body"], r["body_type"], r["authority"], r["service"], r["received_on"],
                r["decision_timetable_sent_on"], r["outcome"], r["decided_on"],
                "; ".join(r["grounds"]), r["reasons"], r["ocid"] or "", " ".join(r["overdue"]),
            ]
            for r in rows
        ]  # fmt: skip
        return table_response(fmt, "right-to-challenge", HEADERS, table)
    windows = selectors.windows_listed()
    return page(
        request,
        "challenges/register.html",
        "Right to Challenge",
        rows=rows,
        windows=[(w, selectors.is_open(w, today)) for w in windows],
        can_publish=policy.can_publish_window(actor),
        timetable_days=rules.TIMETABLE_DAYS,
    )


@signin_required
def window_new(request: HttpRequest) -> HttpResponse:
    """A relevant authority publishes a window for expressions of interest in a service."""
    actor = request.actor  # type: ignore[attr-defined]
    require(policy.can_publish_window, actor)
    state = FormState()
    if request.method == "POST":
        state = FormState.from_post(request.POST)
        try:
            window = services.window_publish(actor=actor, data=state.values)
        except FullvalueError as exc:
            state.absorb(exc)
        else:
            messages.success(request, f"The window for “{window.service}” is published.")
            return redirect("challenge-window", window_id=window.id)
    return page(
        request,
        "challenges/window_form.html",
        "Publish a window for expressions of interest",
        state=state,
    )


def window_detail(request: HttpRequest, window_id: int) -> HttpResponse:
    """A window, and the expression of interest form for a relevant body's administrator."""
    actor = request.actor  # type: ignore[attr-defined]
    window = selectors.window_get(window_id)
    today = timezone.localdate()
    state = FormState()
    if request.method == "POST":
        state = FormState.from_post(request.POST)
        try:
            interest = services.interest_submit(actor=actor, window_id=window.id, data=state.values)
        except FullvalueError as exc:
            state.absorb(exc)
        else:
            messages.success(
                request,
                "Expression of interest received. The authority will tell you within "
                f"{rules.TIMETABLE_DAYS} days when it will decide.",
            )
            return redirect("challenge-detail", interest_id=interest.id)
    return page(
        request,
        "challenges/window.html",
        window.service,
        state=state,
        window=window,
        is_open=selectors.is_open(window, today),
        closed_reason=" ".join(p.reason for p in rules.received_while_window_open(window, today)),
        body_types=list(selectors.BODY_TYPES.items()),
        interest_refusal=(
            None if policy.can_express_interest(actor) else refusal(policy.can_express_interest)
        ),
        limits={"long": services.LONG, "short": services.SHORT},
    )


def challenge_detail(request: HttpRequest, interest_id: int) -> HttpResponse:
    """One expression of interest; the authority sends its timetable and decides here."""
    actor = request.actor  # type: ignore[attr-defined]
    interest = selectors.interest_get(interest_id)
    state = FormState()
    if request.method == "POST":
        state = FormState.from_post(request.POST, lists=["grounds"])
        try:
            if state.values.get("action") == "timetable":
                services.timetable_send(
                    actor=actor, interest_id=interest.id, decide_by=state.values.get("decide_by")
                )
                done = "Timetable sent: the body knows when you will decide."
            else:
                services.decide(actor=actor, interest_id=interest.id, data=state.values)
                done = "Decision recorded and published on the register."
        except FullvalueError as exc:
            state.absorb(exc)
        else:
            messages.success(request, done)
            return redirect("challenge-detail", interest_id=interest.id)
    today = timezone.localdate()
    decides = policy.decides_for_authority(actor, interest)
    return page(
        request,
        "challenges/challenge.html",
        f"{interest.body.name}: {interest.window.service}",
        state=state,
        interest=interest,
        row=selectors.register_row(interest, today),
        decides=decides,
        grounds=list(selectors.GROUNDS.items()),
        tenders=[
            (str(t.id), f"{t.title} ({t.reference})") for t in selectors.tenders_to_link(actor)
        ]
        if decides
        else [],
        procurement_between=selectors.procurement_window(interest),
    )
