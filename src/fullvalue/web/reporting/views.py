"""Report once pages: a provider's returns, burden and code mappings; returns received."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from fullvalue.errors import FullvalueError, NotFound
from fullvalue.web.kernel import fields
from fullvalue.web.kernel.exports import table_response
from fullvalue.web.kernel.forms import FormState
from fullvalue.web.kernel.pages import page, signin_required
from fullvalue.web.kernel.policy import refusal, require
from fullvalue.web.reporting import policy, selectors, services


@signin_required
def reporting_home(request: HttpRequest) -> HttpResponse:
    """Providers: what each funder asks, returns due and sent. Commissioners: returns received."""
    actor = request.actor  # type: ignore[attr-defined]
    require(policy.can_see_report_once, actor)
    state = FormState()
    if request.method == "POST":
        state = FormState.from_post(request.POST)
        try:
            adoption = services.framework_adopt(
                actor=actor, framework_id=fields.whole_or(state.values.get("framework", ""), 0)
            )
        except FullvalueError as exc:
            state.absorb(exc)
        else:
            messages.success(request, f"You now report to “{adoption.framework.title}”.")
            return redirect("reporting")
    if policy.reports_for_organisation(actor):
        org = actor.organisation_id
        overview = selectors.returns_overview(org, timezone.localdate())
        return page(
            request,
            "reporting/provider.html",
            "Report once",
            state=state,
            overview=overview,
            burden=selectors.burden(org),
            offered=_with_proportions(selectors.frameworks_offered(org)),
            owned=_with_proportions(selectors.frameworks_owned(org)),
            received=list(selectors.received(actor)),
            unmapped=selectors.unmapped_codes(org),
            nav_active="dashboard",
        )
    rows = selectors.submissions_listed(actor)
    headers = ["Framework", "Provider", "Period start", "Period end", "Submitted", "Figures"]
    table = [
        [
            s.framework.title,
            s.provider.name,
            s.period_start,
            s.period_end,
            timezone.localtime(s.submitted_at).date(),
            "; ".join(f"{f['label']}: {_shown(f['value'])}" for f in s.figures),
        ]
        for s in rows
    ]
    if fmt := request.GET.get("format"):
        return table_response(fmt, "returns-received", headers, table)
    owned = selectors.frameworks_owned(actor.organisation_id) if actor.organisation_id else []
    return page(
        request,
        "reporting/received.html",
        "Returns received",
        rows=rows,
        owned=owned,
        nav_active="dashboard",
    )


def _with_proportions(frameworks: list[Any]) -> list[tuple[Any, Any]]:
    flagged = selectors.proportions(frameworks)
    return [(f, flagged[f.id]) for f in frameworks]


def _shown(value: float | int | None) -> str:
    if value is None:
        return "none"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}"
    return f"{value:,.0f}"


def _period(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise NotFound("No such reporting period.") from exc


def _own_period(request: HttpRequest, slug: str, start: str) -> tuple[Any, Any, dt.date, dt.date]:
    """The provider's framework and one of its ended periods, or 404 with the reason."""
    actor = request.actor  # type: ignore[attr-defined]
    require(policy.reports_for_organisation, actor)
    framework = selectors.framework_by_slug(slug)
    if framework not in selectors.frameworks_adopted(actor.organisation_id):
        raise NotFound("Your organisation does not report to that framework.")
    spec = selectors.spec_of(framework)
    periods = dict(selectors.periods_due(spec, timezone.localdate(), count=1000))
    period_start = _period(start)
    if period_start not in periods:
        raise NotFound("No such reporting period, or it has not ended yet.")
    return framework, spec, period_start, periods[period_start]


@signin_required
def return_detail(request: HttpRequest, slug: str, start: str) -> HttpResponse:
    """One return for review: each figure with the records behind it; submit; locked once sent."""
    actor = request.actor  # type: ignore[attr-defined]
    framework, spec, period_start, period_end = _own_period(request, slug, start)
    org = actor.organisation_id
    state = FormState()
    if request.method == "POST":
        state = FormState.from_post(request.POST)
        try:
            services.return_submit(
                actor=actor, framework_id=framework.id, period_start=period_start
            )
        except FullvalueError as exc:
            state.absorb(exc)
        else:
            messages.success(request, "Return submitted. It is locked and the funder can see it.")
            return redirect("return-detail", slug=slug, start=start)
    figures = selectors.figures_for(spec, selectors.provider_data(org), period_start, period_end)
    submission = selectors.submission_for(org, framework, period_start)
    changed = []
    if submission is not None:
        sent = {f["id"]: f["value"] for f in submission.figures}
        changed = [f for f in figures if sent.get(f["id"]) != f["value"]]
        for f in figures:
            f["sent"] = sent.get(f["id"])
    if (fmt := request.GET.get("format")) and request.GET.get("layout") == "funder":
        headings, row = selectors.laid_out(
            selectors.layout_of(org, framework),
            actor.organisation_name,
            period_start,
            period_end,
            figures,
        )
        return table_response(fmt, f"{slug}-{period_start}-return", headings, [row])
    if fmt:
        headers = ["Indicator", "Measure", "Value", "Records behind it"]
        rows = [[f["label"], f["measure"], f["value"], f["records"]] for f in figures]
        return table_response(fmt, f"{slug}-{period_start}", headers, rows)
    return page(
        request,
        "reporting/return.html",
        f"{framework.title}: {period_start:%-d %B %Y} to {period_end:%-d %B %Y}",
        state=state,
        framework=framework,
        period_start=period_start,
        period_end=period_end,
        figures=figures,
        submission=submission,
        changed=changed,
        shown=_shown,
        submit_refusal=(
            None if policy.can_submit_return(actor) else refusal(policy.can_submit_return)
        ),
        nav_active="dashboard",
    )


@signin_required
def code_mappings(request: HttpRequest) -> HttpResponse:
    """Map each of the provider's own outcome names to the shared vocabulary, once."""
    actor = request.actor  # type: ignore[attr-defined]
    require(policy.reports_for_organisation, actor)
    org = actor.organisation_id
    state = FormState()
    if request.method == "POST" and request.POST.get("action") == "upload":
        from fullvalue.web.reporting import imports

        state = FormState.from_post(request.POST)
        upload = request.FILES.get("file")
        if upload is None:
            state.add_error("file", "Choose a CSV or Excel file of mappings")
        else:
            try:
                mapped, problems = imports.mappings_import(
                    actor=actor,
                    filename=upload.name or "mappings.csv",
                    content=upload.read(imports.MAPPING_LIMITS.max_bytes + 1),
                )
            except FullvalueError as exc:
                state.absorb(exc)
            else:
                if not problems:
                    messages.success(request, f"{mapped} code{'' if mapped == 1 else 's'} mapped.")
                    return redirect("reporting-codes")
                state.add_error(
                    "file",
                    "Nothing was mapped: "
                    + "; ".join(f"{p.location}: {p.reason}" for p in problems[:10]),
                )
    elif request.method == "POST":
        state = FormState.from_post(request.POST)
        try:
            for own in selectors.own_codes(org):
                key = f"map-{own}"
                if key in state.values:
                    services.mapping_set(
                        actor=actor, own_code=own, vocabulary_code=state.values[key]
                    )
        except FullvalueError as exc:
            state.absorb(exc)
        else:
            messages.success(request, "Your codes are mapped.")
            return redirect("reporting")
    return page(
        request,
        "reporting/codes.html",
        "Map your outcome codes",
        state=state,
        own=selectors.own_codes(org),
        mapped=selectors.mappings_of(org),
        choices=selectors.vocabulary_choices(),
        nav_active="dashboard",
    )


@signin_required
def return_records(request: HttpRequest, slug: str, start: str, indicator: str) -> HttpResponse:
    """The records behind one figure of a return: who (by pseudonym), when, what, value."""
    actor = request.actor  # type: ignore[attr-defined]
    framework, spec, period_start, period_end = _own_period(request, slug, start)
    rows = selectors.records_behind(
        actor.organisation_id, spec, indicator, period_start, period_end
    )
    label = next(i.label for i in spec.indicators if i.id == indicator)
    if fmt := request.GET.get("format"):
        return table_response(
            fmt,
            f"{slug}-{period_start}-{indicator}",
            ["Participant", "Date", "Recorded as", "Value"],
            [[r["pseudonym"], r["date"], r["code"], r["value"]] for r in rows],
        )
    return page(
        request,
        "reporting/records.html",
        label,
        framework=framework,
        period_start=period_start,
        period_end=period_end,
        rows=rows,
        back=reverse("return-detail", args=[slug, start]),
        nav_active="dashboard",
    )


#: What each measure counts, in the words the framework form uses.
MEASURE_CHOICES = [
    ("participants", "Number of people with the outcome"),
    ("records", "Number of times it was recorded"),
    ("sum", "Total of the values recorded (pounds, hours or a count)"),
    ("share", "Share of the people on the caseload with the outcome"),
    ("mean_change", "Average change on a distance-travelled scale (one scale only)"),
]
PERIOD_CHOICES = [
    ("month", "Every month"),
    ("quarter", "Every quarter"),
    ("half-year", "Every half-year"),
    ("year", "Every year"),
]
MONTHS = [(str(m), dt.date(2000, m, 1).strftime("%B")) for m in range(1, 13)]
BREAKDOWN_CHOICES = [
    ("sex", "Sex"),
    ("ethnicity", "Ethnicity"),
    ("age_band", "Age band"),
    ("area", "Area"),
]
FORM_ROWS, MAX_ROWS = 3, 30


@signin_required
def framework_new(request: HttpRequest) -> HttpResponse:
    """A commissioner or funder publishes its monitoring framework: plain form, or a TOML file."""
    actor = request.actor  # type: ignore[attr-defined]
    require(policy.can_publish_framework, actor)
    state = FormState(
        values={
            "funder": actor.organisation_name or "",
            "period": "quarter",
            "year_start_month": "4",
            "breakdowns": [],
        }
    )
    rows = FORM_ROWS
    if request.method == "POST":
        state = FormState.from_post(request.POST, lists=["breakdowns"])
        rows = max(1, min(MAX_ROWS, fields.whole_or(state.values.get("rows", ""), FORM_ROWS)))
        action = state.values.get("action", "save")
        try:
            if action == "add-row":
                rows = min(MAX_ROWS, rows + 1)
            elif action == "upload":
                upload = request.FILES.get("file")
                if upload is None:
                    state.add_error("file", "Choose a framework file (.toml)")
                else:
                    text = upload.read(services.MAX_FRAMEWORK + 1).decode("utf-8", "replace")
                    framework = services.framework_save(actor=actor, spec_toml=text)
                    messages.success(request, f"“{framework.title}” is published.")
                    return redirect("reporting")
            else:
                data = services.framework_from_form(state.values, rows)
                framework = services.framework_save(
                    actor=actor, spec_toml=services.framework_toml(data)
                )
                messages.success(request, f"“{framework.title}” is published.")
                return redirect("reporting")
        except FullvalueError as exc:
            state.absorb(exc)
    return page(
        request,
        "reporting/framework_form.html",
        "Publish a monitoring framework",
        state=state,
        rows=rows,
        measures=MEASURE_CHOICES,
        periods=PERIOD_CHOICES,
        months=MONTHS,
        breakdowns=BREAKDOWN_CHOICES,
        codes=[(c, f"{pathway}: {label}") for c, label, pathway in selectors.vocabulary_choices()],
        per_indicator=services.CODES_PER_INDICATOR,
        nav_active="dashboard",
    )


@signin_required
def framework_file(request: HttpRequest, slug: str) -> HttpResponse:
    """A framework as its TOML file, for analysts."""
    actor = request.actor  # type: ignore[attr-defined]
    require(policy.can_see_report_once, actor)
    framework = selectors.framework_by_slug(slug)
    response = HttpResponse(framework.spec_toml, content_type="application/toml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{framework.slug}.toml"'
    return response


@signin_required
def layout_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Lay a funder's return out in its own template: column headings and their order."""
    actor = request.actor  # type: ignore[attr-defined]
    require(policy.reports_for_organisation, actor)
    framework = selectors.framework_by_slug(slug)
    if framework not in selectors.frameworks_adopted(actor.organisation_id):
        raise NotFound("Your organisation does not report to that framework.")
    standard = selectors.layout_of(0, framework)
    saved = selectors.layout_of(actor.organisation_id, framework)
    position = {c["source"]: (n + 1, c["heading"]) for n, c in enumerate(saved)}
    values: dict[str, Any] = {}
    for n, column in enumerate(standard):
        at, heading = position.get(column["source"], ("", ""))
        values[f"heading-{n}"], values[f"position-{n}"] = heading, str(at)
    state = FormState(values=values)
    if request.method == "POST":
        state = FormState.from_post(request.POST)
        columns = [
            {
                "source": column["source"],
                "heading": state.values.get(f"heading-{n}", ""),
                "position": state.values.get(f"position-{n}", ""),
            }
            for n, column in enumerate(standard)
        ]
        try:
            services.layout_save(actor=actor, framework_id=framework.id, columns=columns)
        except FullvalueError as exc:
            state.absorb(exc)
        else:
            messages.success(request, f"The layout of “{framework.title}” is saved.")
            return redirect("reporting")
    return page(
        request,
        "reporting/layout.html",
        f"Lay out the return for {framework.funder_name}",
        state=state,
        framework=framework,
        standard=standard,
        nav_active="dashboard",
    )


@signin_required
def records_upload(request: HttpRequest) -> HttpResponse:
    """Import records of participants' progress from a spreadsheet, checked row by row."""
    from fullvalue.web.reporting import imports

    actor = request.actor  # type: ignore[attr-defined]
    require(policy.reports_for_organisation, actor)
    if fmt := request.GET.get("format"):
        headers, rows = imports.template()
        return table_response(fmt, "records-template", headers, rows)
    state = FormState()
    result = None
    if request.method == "POST":
        state = FormState.from_post(request.POST)
        upload = request.FILES.get("file")
        if upload is None:
            state.add_error("file", "Choose a CSV or Excel file of records")
        else:
            try:
                result, job = imports.records_import(
                    actor=actor,
                    filename=upload.name or "records.csv",
                    content=upload.read(imports.LIMITS.max_bytes + 1),
                    valid_rows_only=state.values.get("valid_rows_only") == "yes",
                )
            except FullvalueError as exc:
                state.absorb(exc)
            else:
                if job is not None:
                    return redirect("record-import", job_id=job.id)
    return page(
        request,
        "reporting/records_upload.html",
        "Import records",
        state=state,
        result=result,
        nav_active="dashboard",
    )


@signin_required
def record_import(request: HttpRequest, job_id: int) -> HttpResponse:
    """A records import's progress (the page refreshes itself until the worker is done)."""
    from fullvalue.web.reporting import imports

    actor = request.actor  # type: ignore[attr-defined]
    require(policy.reports_for_organisation, actor)
    job = imports.record_import_of(actor, job_id)
    return page(
        request,
        "reporting/record_import.html",
        f"Importing {job.filename}",
        job=job,
        done=job.status == job.Status.DONE,
        nav_active="dashboard",
    )
