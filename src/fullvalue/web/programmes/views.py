"""Programme pages: the list, a programme with its live risk preview and chart."""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from fullvalue.errors import NotFound
from fullvalue.web.core.exports import table_response
from fullvalue.web.core.pages import page
from fullvalue.web.programmes.models import Programme
from fullvalue.web.programmes.services import risk_chart, risk_preview


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
    digest = hashlib.sha256(programme.mechanism_toml.encode()).hexdigest()
    preview = _cached(f"risk:{digest}", lambda: risk_preview(programme.mechanism_toml))
    return page(
        request,
        "programmes/detail.html",
        programme.title,
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
