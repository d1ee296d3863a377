"""Programme pages: the list, a programme with its live risk preview and chart."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from markupsafe import Markup

from fullvalue.domain.organisations import REGIONS
from fullvalue.engine.payments import parse_spec
from fullvalue.errors import Conflict, FullvalueError, NotFound, Problem
from fullvalue.web.kernel.charts import band_chart, short_pounds
from fullvalue.web.kernel.exports import table_response
from fullvalue.web.kernel.forms import FormState
from fullvalue.web.kernel.pages import page, signin_required
from fullvalue.web.kernel.policy import require
from fullvalue.web.programmes import designer, policy
from fullvalue.web.programmes.models import OutcomeDefinition, Programme, ProgrammeDraft
from fullvalue.web.programmes.risk import Figures, Provider, RiskPreview
from fullvalue.web.programmes.selectors import (
    programme_draft_get,
    programme_drafts,
    unfinished_draft_of,
)
from fullvalue.web.programmes.selectors import programme_list as programme_list_for
from fullvalue.web.programmes.services import (
    design_toml,
    draft_problems,
    engagement_notice_create,
    figures_from,
    next_first_of_april,
    parse_figures,
    plain_problem,
    programme_draft_delete,
    programme_figures,
    programme_finish,
    programme_risk,
    programme_save,
    risk_preview,
    uses_designer,
)


def _visible(request: HttpRequest):
    return (
        programme_list_for(request.actor)  # type: ignore[attr-defined]
        .select_related("commissioner")
        .prefetch_related("outcomes", "areas")
    )


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
        drafts=list(programme_drafts(request.actor)),  # type: ignore[attr-defined]
        nav_active="programmes",
    )


def _get(request: HttpRequest, slug: str) -> Programme:
    programme = _visible(request).filter(slug=slug).first()
    if programme is None:
        raise NotFound("No such programme.")
    return programme


def provider_from(values: dict[str, Any], state: FormState | None = None) -> Provider:
    """The provider profile from the form: reserves in pounds, share of the work in percent."""
    reserves, share = Decimal(50000), Decimal(1)
    try:
        text = str(values.get("provider_reserves") or "50000").replace(",", "").lstrip("£")
        reserves = Decimal(text)
        if not reserves.is_finite() or reserves < 0:
            raise InvalidOperation
    except InvalidOperation:
        reserves = Decimal(50000)
        if state is not None:
            state.add_error(
                "provider_reserves", "Enter the provider's reserves in pounds, 0 or more"
            )
    try:
        percent = Decimal(str(values.get("provider_share") or "100").rstrip("%"))
        if not percent.is_finite() or not 0 < percent <= 100:
            raise InvalidOperation
        share = percent / 100
    except InvalidOperation:
        if state is not None:
            state.add_error("provider_share", "Enter the provider's share of the work, 1 to 100%")
    return Provider(reserves=reserves.quantize(Decimal("0.01")), share=share)


def preview_charts(preview: RiskPreview, ident: str) -> dict[str, Markup]:
    """The income and cash position charts of a preview (inline SVG, with the budget line)."""
    income = band_chart(
        title="Income paid to the provider so far",
        description="Cumulative payments by period: median and 5-95% band, with the budget.",
        labels=preview.periods,
        median=[b.p50 for b in preview.income_bands],
        low=[b.p5 for b in preview.income_bands],
        high=[b.p95 for b in preview.income_bands],
        reference=(float(preview.budget), f"Budget {short_pounds(float(preview.budget))}"),
        chart_id=f"{ident}-income",
    )
    cash = band_chart(
        title="The provider's cash position",
        description="Reserves plus the provider's share of income less costs, by period.",
        labels=preview.periods,
        median=[b.p50 for b in preview.cash_bands],
        low=[b.p5 for b in preview.cash_bands],
        high=[b.p95 for b in preview.cash_bands],
        chart_id=f"{ident}-cash",
    )
    return {"income": Markup(income), "cash": Markup(cash)}


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
    profile = FormState(
        values={"provider_reserves": "50000", "provider_share": "100", **request.GET.dict()}
    )
    provider = provider_from(profile.values, profile)
    preview = programme_risk(programme, provider)
    return page(
        request,
        "programmes/detail.html",
        programme.title,
        state=state,
        profile=profile,
        programme=programme,
        figures=programme_figures(programme),
        preview=preview,
        charts=preview_charts(preview, "programme"),
        tenders=list(programme.tenders.exclude(status="draft")),
        unfinished=unfinished_draft_of(programme)
        if programme.status == Programme.Status.DRAFT
        and policy.can_manage_programme(actor, programme)
        else None,
        nav_active="programmes",
    )


def programme_risk_chart(request: HttpRequest, slug: str) -> HttpResponse:
    """The programme's income chart as SVG (the programme page shows it inline, with a table)."""
    programme = _get(request, slug)
    preview = programme_risk(programme)
    svg = str(preview_charts(preview, "programme")["income"])
    response = HttpResponse(
        f'<svg xmlns="http://www.w3.org/2000/svg"{svg[4:]}', content_type="image/svg+xml"
    )
    response["Cache-Control"] = "max-age=3600"
    return response


COMPARE_KEY = "designer-compare"
#: At most this many mechanisms are compared side by side.
COMPARE_MAX = 3
LIST_FIELDS = ("outcomes", "areas")


def _comparison(request: HttpRequest) -> list[dict[str, Any]]:
    return list(request.session.get(COMPARE_KEY, []))


def _figures(values: dict[str, Any]) -> Figures | None:
    parsed, _ = parse_figures(values)
    return figures_from(parsed)


def _preview_of(values: dict[str, Any], provider: Provider) -> RiskPreview:
    """The preview of the form's mechanism (designed, or an uploaded specification)."""
    figures = _figures(values)
    if figures is None:
        raise FullvalueError.from_problems(
            "Enter the programme's figures first.",
            [
                Problem(
                    "Enter the budget, years, start date and the low, expected and high volumes "
                    "to see the risk",
                    column="budget",
                )
            ],
        )
    if uses_designer(values):
        toml = design_toml(values)
        return risk_preview(toml, figures, provider, scale_to_budget=False)
    return risk_preview(values.get("mechanism_toml", ""), figures, provider)


def _initial_values(programme: Programme | None) -> dict[str, Any]:
    if programme is None:
        start = next_first_of_april(dt.date.today())
        return {
            "years": "3",
            "delivery_setting": "mixed",
            "starts_on": start.isoformat(),
            "provider_reserves": "50000",
            "provider_share": "100",
            "outcomes": [],
            "areas": [],
            **designer.design_values(designer.Design()),
            "reoffending_price": "",
        }
    values: dict[str, Any] = {
        name: str(getattr(programme, name) or "")
        for name in (
            "title",
            "summary",
            "cohort",
            "volume_low",
            "volume_expected",
            "volume_high",
            "budget",
            "years",
            "delivery_setting",
            "current_provision",
            "what_must_change",
            "starts_on",
        )
    }
    values["outcomes"] = [o.code for o in programme.outcomes.filter(is_catalogue=True)]
    values["areas"] = [a.code for a in programme.areas.all()]
    values["provider_reserves"], values["provider_share"] = "50000", "100"
    if programme.mechanism_design is not None:
        values.update(programme.mechanism_design)
    else:
        values.update(mechanism_source="upload", mechanism_toml=programme.mechanism_toml)
    return values


def _apply_starting_point(state: FormState) -> None:
    values = state.values
    name = values.get("starting_point", "")
    figures = _figures(values)
    if name not in designer.STARTING_POINTS:
        state.add_error("starting_point", "Choose a starting point")
        return
    if figures is None:
        state.add_error(
            "budget",
            "Enter the budget, years, start date and volumes first: the starting point's "
            "amounts are worked out from them",
        )
        return
    design = designer.starting_point(
        name,
        designer.Programme(
            figures.budget,
            figures.years,
            figures.start,
            figures.volume_low,
            figures.volume_expected,
            figures.volume_high,
        ),
    )
    values.update(designer.design_values(design))
    values["mechanism_source"] = "designer"
    values["mechanism_toml"] = ""
    paid = design.outcome_codes()
    values["outcomes"] = sorted(set(values.get("outcomes") or []) | paid)


def _label(values: dict[str, Any]) -> str:
    if not uses_designer(values):
        return "Uploaded specification"
    name = designer.STARTING_POINTS.get(values.get("starting_point", ""), ("Design",))[0]
    share = values.get("guaranteed_percent") or "0"
    return f"{name} ({share}% guaranteed)"


def _design_part(values: dict[str, Any]) -> dict[str, Any]:
    keys = set(designer.design_values(designer.Design())) | {"mechanism_source", "mechanism_toml"}
    return {k: values.get(k, "") for k in keys}


@signin_required
def programme_create_view(request: HttpRequest) -> HttpResponse:
    """Design a programme and its payment mechanism; check the risk for a provider first."""
    return _designer_page(request, None)


@signin_required
def programme_edit_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Change a draft programme (its unfinished changes, if saved, are resumed)."""
    programme = _get(request, slug)
    draft = unfinished_draft_of(programme)
    if draft is not None and request.method != "POST":
        return redirect("programme-draft", draft_id=draft.id)
    return _designer_page(request, programme, draft)


@signin_required
def programme_draft_view(request: HttpRequest, draft_id: int) -> HttpResponse:
    """Resume an unfinished draft where it was left; it can be finished and published later."""
    actor = request.actor  # type: ignore[attr-defined]
    draft = programme_draft_get(actor, draft_id)
    if request.method == "POST" and request.POST.get("action") == "discard":
        programme_draft_delete(actor=actor, draft_id=draft.id)
        messages.success(request, f"The draft {draft.title} has been discarded.")
        return redirect("programme-list")
    return _designer_page(request, draft.programme, draft)


def _designer_page(
    request: HttpRequest, programme: Programme | None, draft: ProgrammeDraft | None = None
) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    require(policy.can_design_programme, actor)
    if programme is not None and programme.status != Programme.Status.DRAFT:
        raise Conflict("Only a draft programme can be changed; this one is published.")
    initial = _initial_values(programme)
    if draft is not None:
        initial = {**_initial_values(None), **draft.form}
    state = FormState(values=initial)
    preview: RiskPreview | None = None
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if request.method == "POST":
        state = FormState.from_post(request.POST, lists=LIST_FIELDS)
    provider = provider_from(state.values, state if request.method == "POST" else None)
    if action == "start":
        _apply_starting_point(state)
    elif action == "designer":
        state.values.update(mechanism_source="designer", mechanism_toml="")
    elif action == "upload":
        upload = request.FILES.get("specification")
        if upload is None:
            state.add_error("specification", "Choose a specification file (.toml) to upload")
        else:
            text = upload.read(200_000).decode("utf-8", errors="replace")
            try:
                parse_spec(text)
            except FullvalueError as exc:
                state.add_error(
                    "specification", "; ".join(plain_problem(p) for p in exc.problems[:5])
                )
            else:
                state.values.update(mechanism_source="upload", mechanism_toml=text)
    elif action == "download":
        try:
            toml = (
                design_toml(state.values)
                if uses_designer(state.values)
                else state.values.get("mechanism_toml", "")
            )
        except FullvalueError as exc:
            state.absorb(exc)
        else:
            response = HttpResponse(
                "# Payment mechanism from Fullvalue's designer (docs/payments.md).\n" + toml,
                content_type="application/toml; charset=utf-8",
            )
            response["Content-Disposition"] = 'attachment; filename="mechanism.toml"'
            return response
    elif action == "compare":
        items = _comparison(request)
        if len(items) >= COMPARE_MAX:
            state.add_error(
                "compare", f"Compare at most {COMPARE_MAX} mechanisms: remove one first"
            )
        else:
            items.append({"label": _label(state.values), "values": _design_part(state.values)})
            request.session[COMPARE_KEY] = items
    elif action.startswith("uncompare-"):
        items = _comparison(request)
        index = int(action.removeprefix("uncompare-") or 0)
        if 0 <= index < len(items):
            items.pop(index)
            request.session[COMPARE_KEY] = items
    elif action in ("save", "publish"):
        ids = {
            "draft_id": draft.id if draft else None,
            "programme_id": None if draft or programme is None else programme.id,
        }
        try:
            if action == "save":
                saved = programme_save(actor=actor, data=dict(state.values), **ids)
            else:
                saved = programme_finish(actor=actor, data=dict(state.values), publish=True, **ids)
        except FullvalueError as exc:
            state.absorb(exc)
        else:
            request.session.pop(COMPARE_KEY, None)
            if isinstance(saved, ProgrammeDraft):
                left = len(draft_problems(saved))
                messages.success(
                    request,
                    f"{saved.title} has been saved as a draft. {left} thing"
                    f"{'' if left == 1 else 's'} to finish before it can be published.",
                )
                return redirect("programme-draft", draft_id=saved.id)
            state_word = "published" if action == "publish" else "saved as a draft"
            messages.success(request, f"{saved.title} has been {state_word}.")
            return redirect("programme-detail", slug=saved.slug)
    preview_error = ""
    if request.method == "POST" and not state.errors:
        try:
            preview = _preview_of(state.values, provider)
        except FullvalueError as exc:
            if action == "preview":
                state.absorb(exc)
            else:
                preview_error = exc.problems[0].reason if exc.problems else exc.message
    comparison = []
    if request.method == "POST" or _comparison(request):
        for item in _comparison(request):
            try:
                other = _preview_of({**state.values, **item["values"]}, provider)
            except FullvalueError:
                continue
            comparison.append((item["label"], other))
    context: dict[str, Any] = {
        "state": state,
        "preview": preview,
        "preview_error": preview_error,
        "charts": preview_charts(preview, "designer") if preview else None,
        "comparison": comparison,
        "programme": programme,
        "draft": draft,
        "to_finish": draft_problems(draft) if draft and request.method == "GET" else [],
    }
    if request.headers.get("X-Fullvalue-Partial") == "preview":
        return render(request, "programmes/_preview.html", {"title": "Risk preview", **context})
    catalogue = list(OutcomeDefinition.objects.filter(is_catalogue=True))
    return page(
        request,
        "programmes/form.html",
        f"Continue {draft.title}"
        if draft
        else f"Change {programme.title}"
        if programme
        else "Design a programme",
        outcomes=[(o.code, o.name) for o in catalogue],
        tariff_outcomes=[(o.code, o.name) for o in catalogue if "reoffending" not in o.code],
        regions=sorted(REGIONS.items(), key=lambda kv: kv[1]),
        starting_points=[(k, v[0], v[1]) for k, v in designer.STARTING_POINTS.items()],
        tariff_rows=range(designer.TARIFF_ROWS),
        uses_designer=uses_designer(state.values),
        nav_active="programmes",
        **context,
    )


def payment_guide(request: HttpRequest) -> HttpResponse:
    """How each kind of payment works, in plain words (linked from the designer)."""
    return page(
        request,
        "programmes/payment_guide.html",
        "How payment mechanisms work",
        starting_points=[(k, v[0], v[1]) for k, v in designer.STARTING_POINTS.items()],
        nav_active="programmes",
    )
