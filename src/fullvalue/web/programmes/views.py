"""Programme pages: the list, a programme with its live risk preview and chart."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from fullvalue.domain.organisations import REGIONS
from fullvalue.domain.roles import Role
from fullvalue.errors import FullvalueError, NotFound
from fullvalue.web.core.exports import table_response
from fullvalue.web.core.forms import FormState
from fullvalue.web.core.pages import page, signin_required
from fullvalue.web.programmes.models import OutcomeDefinition, Programme
from fullvalue.web.programmes.services import (
    engagement_notice_create,
    programme_create,
    programme_publish,
    risk_chart,
    risk_preview,
)


def _visible(request: HttpRequest):
    actor = request.actor  # type: ignore[attr-defined]
    qs = Programme.objects.filter(status="published")
    if actor.organisation_id:
        qs = qs | Programme.objects.filter(commissioner_id=actor.organisation_id)
    if actor.role in ("auditor", "system_admin"):
        qs = Programme.objects.all()
    return qs.distinct().select_related("commissioner").prefetch_related("outcomes", "areas")


def programme_list(request: HttpRequest) -> HttpResponse:
    """Published programmes (and a commissioner's own drafts)."""
    programmes = list(_visible(request).order_by("-created_at"))
    fmt = request.GET.get("format")
    if fmt:
        return table_response(
            fmt,
            "programmes",
            ["title", "commissioner", "status", "people_a_year", "budget", "years", "outcomes"],
            [
                [
                    p.title,
                    p.commissioner.name,
                    p.status,
                    p.volume_expected,
                    p.budget,
                    p.years,
                    [o.name for o in p.outcomes.all()],
                ]
                for p in programmes
            ],
        )
    return page(
        request,
        "programmes/list.html",
        "Programmes",
        programmes=programmes,
        nav_active="programmes",
    )


def _get(request: HttpRequest, slug: str) -> Programme:
    programme = _visible(request).filter(slug=slug).first()
    if programme is None:
        raise NotFound("No such programme.")
    return programme


def _cached(key: str, builder, timeout: int = 3600):
    value = cache.get(key)
    if value is None:
        value = builder()
        cache.set(key, value, timeout)
    return value


def programme_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A programme: outcomes, cohort, volumes, areas, what must change, and the risk preview."""
    programme = _get(request, slug)
    actor = request.actor  # type: ignore[attr-defined]
    state = FormState()
    if request.method == "POST":
        state = FormState.from_post(request.POST)
        try:
            engagement_notice_create(
                actor=actor,
                programme_id=programme.id,
                title=state.values.get("title", ""),
                body=state.values.get("body", ""),
                event_date=state.values.get("event_date") or None,
            )
        except FullvalueError as exc:
            state.absorb(exc)
        else:
            messages.success(request, "The engagement notice is published.")
            return redirect("programme-detail", slug=programme.slug)
    digest = hashlib.sha256(programme.mechanism_toml.encode()).hexdigest()
    preview = _cached(f"risk:{digest}", lambda: risk_preview(programme.mechanism_toml))
    return page(
        request,
        "programmes/detail.html",
        programme.title,
        state=state,
        programme=programme,
        preview=preview,
        tenders=list(programme.tenders.exclude(status="draft")),
        nav_active="programmes",
    )


def programme_risk_chart(request: HttpRequest, slug: str) -> HttpResponse:
    """The simulated income distribution and cash position, as PNG (or SVG with ?format=svg)."""
    programme = _get(request, slug)
    fmt = "svg" if request.GET.get("format") == "svg" else "png"
    digest = hashlib.sha256(programme.mechanism_toml.encode()).hexdigest()
    data = _cached(f"chart:{fmt}:{digest}", lambda: risk_chart(programme.mechanism_toml, fmt))
    content_type = "image/svg+xml" if fmt == "svg" else "image/png"
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = "max-age=3600"
    return response


TEMPLATES = {
    "womens-centre": "Women's centre, 70% guaranteed / 30% on results",
    "transforming-rehabilitation": "Fee for service + payment by results (TR)",
    "work-programme": "Attachment, job outcome and sustainment (Work Programme)",
    "troubled-families": "Attachment and results per family (Troubled Families)",
    "peterborough": "Social impact bond on reconviction events (Peterborough)",
}


def template_toml(name: str) -> str:
    path = settings.BASE_DIR / "examples" / name / "contract.toml"
    return path.read_text(encoding="utf-8") if name in TEMPLATES and path.exists() else ""


@signin_required
def programme_create_view(request: HttpRequest) -> HttpResponse:
    """Design a programme; check the risk for a small provider before saving."""
    actor = request.actor  # type: ignore[attr-defined]
    actor.require_role(
        Role.COMMISSIONER, Role.SYSTEM_ADMIN, message="Only commissioners design programmes."
    )
    state = FormState(
        values={
            "years": "3",
            "delivery_setting": "mixed",
            "mechanism_toml": template_toml("womens-centre"),
        }
    )
    preview = None
    if request.method == "POST":
        state = FormState.from_post(request.POST, lists=("outcomes", "areas"))
        if request.POST.get("action") == "template":
            state.values["mechanism_toml"] = template_toml(state.values.get("template", ""))
        elif request.POST.get("action") == "preview":
            try:
                preview = risk_preview(state.values.get("mechanism_toml", ""))
            except FullvalueError as exc:
                state.add_error(
                    "mechanism_toml",
                    "; ".join(
                        f"{p.location}: {p.reason}" if p.location else p.reason
                        for p in exc.problems
                    )
                    or exc.message,
                )
        else:
            data = dict(state.values)
            data["custom_outcomes"] = [
                {
                    "name": data.get("custom_outcome_name", ""),
                    "definition": data.get("custom_outcome_definition", ""),
                    "evidence_rule": data.get("custom_outcome_evidence", ""),
                }
            ]
            try:
                programme = programme_create(actor=actor, data=data)
                if request.POST.get("action") == "publish":
                    programme_publish(actor=actor, programme_id=programme.id)
            except FullvalueError as exc:
                state.absorb(exc)
            else:
                messages.success(request, f"{programme.title} has been saved.")
                return redirect("programme-detail", slug=programme.slug)
    return page(
        request,
        "programmes/form.html",
        "Design a programme",
        state=state,
        preview=preview,
        outcomes=[(o.code, o.name) for o in OutcomeDefinition.objects.all()],
        regions=sorted(REGIONS.items(), key=lambda kv: kv[1]),
        templates=list(TEMPLATES.items()),
        nav_active="programmes",
    )
