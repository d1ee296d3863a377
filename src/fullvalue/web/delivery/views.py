"""Delivery pages: imports with progress, participants, outcomes and claims, reoffending results."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from markupsafe import Markup

from fullvalue.domain.roles import Role
from fullvalue.engine.payments import parse_spec
from fullvalue.errors import FullvalueError, NotFound
from fullvalue.web.audit.selectors import write_version_for
from fullvalue.web.contracts.selectors import contract_by_id
from fullvalue.web.delivery import policy, selectors
from fullvalue.web.delivery.imports import template_rows
from fullvalue.web.delivery.models import (
    Claim,
    ImportJob,
    OutcomeEvent,
    Participant,
    ReoffendingResult,
)
from fullvalue.web.delivery.reoffending import (
    extract_measure,
    reoffending_components,
    results_upload,
)
from fullvalue.web.delivery.services import (
    EVIDENCE_TYPES,
    MAX_EVIDENCE_BYTES,
    claim_decide,
    claim_dispute,
    claim_submit,
    claims_accept_unsampled,
    claims_sample,
    contract_measures,
    evidence_attach,
    import_preview,
    import_start,
)
from fullvalue.web.kernel import fields
from fullvalue.web.kernel.exports import table_response
from fullvalue.web.kernel.forms import FormState
from fullvalue.web.kernel.pages import page, signin_required
from fullvalue.web.kernel.panels import cached_panel, render_panel

MAX_UPLOAD = 50 * 1024 * 1024
#: Outcome-page actions whose conflicts are shown on the page rather than as an error page.
SAMPLING = ("sample", "accept_rest")


@signin_required
def import_upload(request: HttpRequest, contract_id: int) -> HttpResponse:
    """Upload a participants or outcome-events file (CSV or XLSX) for checking."""
    contract = contract_by_id(contract_id)
    if (kind := request.GET.get("template")) in ("participants", "events"):
        headers, rows = template_rows(kind, contract_measures(contract))
        return table_response("csv", f"{kind}-template", headers, rows)
    state = FormState()
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            state.add_error("file", "Choose a CSV or XLSX file")
        elif upload.size and upload.size > MAX_UPLOAD:
            state.add_error("file", "The file must be 50 MB or smaller")
        else:
            try:
                job, _ = import_preview(
                    actor=request.actor,  # type: ignore[attr-defined]
                    contract_id=contract.id,
                    filename=upload.name or "",
                    content=upload.read(),
                )
            except FullvalueError as exc:
                state.add_error(
                    "file",
                    "; ".join(
                        [exc.message]
                        + [f"{p.location or p.column}: {p.reason}" for p in exc.problems[:5]]
                    ),
                )
            else:
                return redirect("import-detail", job_id=job.id)
    return page(
        request,
        "delivery/upload.html",
        "Import participants or outcomes",
        state=state,
        contract=contract,
        nav_active="contracts",
    )


def _job(request: HttpRequest, job_id: int) -> ImportJob:
    job = ImportJob.objects.select_related("contract").filter(id=job_id).first()
    if job is None or job.uploaded_by_id != request.actor.user_id:  # type: ignore[attr-defined]
        raise NotFound("No such import.")
    return job


@signin_required
def import_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    """The check of a file (every bad row named), the choice to import, then progress."""
    job = _job(request, job_id)
    state = FormState()
    if request.method == "POST":
        try:
            import_start(
                actor=request.actor,
                job_id=job.id,  # type: ignore[attr-defined]
                valid_rows_only=request.POST.get("valid_rows_only") == "yes",
            )
        except FullvalueError as exc:
            state.add_error("__all__", exc.message)
        else:
            messages.success(request, "The import has started. It runs in the background.")
            return redirect("import-detail", job_id=job.id)
    return page(
        request,
        "delivery/import.html",
        f"Import {job.filename}",
        state=state,
        job=job,
        nav_active="contracts",
    )


@signin_required
def import_progress(request: HttpRequest, job_id: int) -> JsonResponse:
    """Progress of an import as JSON, for the page's script to update it without reloading."""
    job = _job(request, job_id)
    return JsonResponse(
        {"status": job.status, "processed": job.processed_rows, "total": job.total_rows}
    )


def _error_text(exc: FullvalueError, limit: int = 8) -> str:
    return "; ".join(
        [exc.message]
        + [
            " ".join(x for x in (p.location, p.column and f"column {p.column}") if x)
            + f": {p.reason}"
            for p in exc.problems[:limit]
        ]
    )


@signin_required
def participants(request: HttpRequest, contract_id: int) -> HttpResponse:
    """Participants the user may see (providers: their own), by pseudonym; identities if allowed."""
    actor = request.actor  # type: ignore[attr-defined]
    version = write_version_for(request)
    contract = contract_by_id(contract_id, version=version)
    show_identity = selectors.identities_readable(actor, contract)

    def people() -> QuerySet[Participant]:
        """Read when the table is drawn (a cached table needs no query, but refuses alike)."""
        qs = (
            selectors.participants_for(actor, contract)
            .select_related("provider")
            .order_by("referred_on", "id")
        )
        return qs.select_related("identity") if show_identity else qs

    headers = ["pseudonym", "provider", "cohort", "referred_on", "started_on", "left_on", "events"]
    if show_identity:
        headers += ["case_reference", "full_name", "date_of_birth"]

    def row(p: Participant) -> list:
        out = [
            p.pseudonym,
            p.provider.name,
            p.cohort,
            p.referred_on,
            p.started_on,
            p.left_on,
            events.get(p.id, 0),
        ]
        if show_identity:
            identity = getattr(p, "identity", None)
            out += (
                [identity.case_reference, identity.full_name, identity.date_of_birth]
                if identity and selectors.can_read_identity(actor, p, contract)
                else ["", "", ""]
            )
        return out

    if fmt := request.GET.get("format"):
        qs = people()
        events = dict(
            OutcomeEvent.objects.filter(participant__in=qs.values("id"))
            .values("participant_id")
            .annotate(n=Count("id"))
            .values_list("participant_id", "n")
        )
        return table_response(fmt, "participants", headers, (row(p) for p in qs.iterator()))

    def render_table() -> Markup:
        nonlocal events
        page_obj = Paginator(people(), 50).get_page(request.GET.get("page"))
        events = dict(
            OutcomeEvent.objects.filter(participant_id__in=[p.id for p in page_obj])
            .values("participant_id")
            .annotate(n=Count("id"))
            .values_list("participant_id", "n")
        )
        return render_panel(
            request,
            "delivery/participants_table.html",
            headers=headers,
            rows=[row(p) for p in page_obj],
            page_obj=page_obj,
            own_only=not policy.reads_all_participants(actor, contract),
        )

    events: dict[int, int] = {}
    reader = (actor.user_id, actor.membership_id, actor.role, actor.organisation_id)
    parts = ["participants", contract.id, request.GET.get("page", ""), version, reader]
    return page(
        request,
        "delivery/participants.html",
        "Participants",
        contract=contract,
        table=cached_panel(request, parts, render_table),
        nav_active="contracts",
    )


@signin_required
def outcomes(request: HttpRequest, contract_id: int) -> HttpResponse:
    """Outcome events and claims: providers claim and add evidence; the commissioner decides."""
    actor = request.actor  # type: ignore[attr-defined]
    contract = contract_by_id(contract_id)
    people = selectors.participants_for(actor, contract)
    state = FormState()
    if request.method == "POST":
        state = FormState.from_post(request.POST)
        action = state.values.get("action")
        try:
            target = (
                fields.identifier(state.values.get("id", ""), "id")
                if action in ("claim", "accept", "reject", "dispute", "evidence")
                else 0
            )
            if action == "claim":
                claim_submit(actor=actor, event_id=target)
                messages.success(request, "Outcome claimed.")
            elif action in ("accept", "reject"):
                claim_decide(
                    actor=actor,
                    claim_id=target,
                    accept=action == "accept",
                    reason=state.values.get("reason", ""),
                )
                messages.success(request, f"Claim {action}ed.")
            elif action == "sample":
                chosen = claims_sample(
                    actor=actor,
                    contract_id=contract.id,
                    percent=fields.integer(
                        state.values.get("percent", "") or 0, "percent", minimum=0, maximum=100
                    ),
                )
                messages.success(
                    request, f"{len(chosen)} claim(s) drawn at random: check their evidence."
                )
                return redirect(f"{request.path}?status=sampled")
            elif action == "accept_rest":
                count = claims_accept_unsampled(actor=actor, contract_id=contract.id)
                messages.success(request, f"Accepted the other {count} submitted claim(s).")
            elif action == "dispute":
                claim_dispute(actor=actor, claim_id=target, grounds=state.values.get("grounds", ""))
                messages.success(request, "Dispute sent to the commissioner.")
            elif action == "evidence":
                upload = request.FILES.get("file")
                if upload is None:
                    state.add_error("file", "Choose a file")
                else:
                    evidence_attach(
                        actor=actor,
                        event_id=target,
                        filename=upload.name or "",
                        content=upload.read(MAX_EVIDENCE_BYTES + 1),
                    )
                    messages.success(request, "Evidence added.")
            else:
                state.add_error("__all__", "Choose an action")
        except ValueError:
            if action == "sample":
                state.add_error("percent", "Enter a percentage from 1 to 100")
            else:
                state.add_error("__all__", "Choose an outcome")
        except FullvalueError as exc:
            if exc.status in (403, 404) or (exc.status == 409 and action not in SAMPLING):
                raise
            state.absorb(exc)
        if not state.errors:
            return redirect(f"{request.path}?status={request.GET.get('status', '')}")
    events = (
        OutcomeEvent.objects.filter(participant__in=people)
        .select_related("participant", "participant__provider", "claim")
        .defer("evidence_file")
        .annotate(has_file=Q(evidence_file__isnull=False))
        .order_by("-occurred_on", "id")
    )
    status = request.GET.get("status", "")
    if status == "unclaimed":
        events = events.filter(claim__isnull=True)
    elif status == "sampled":
        events = events.filter(claim__sampled_at__isnull=False)
    elif status in Claim.Status.values:
        events = events.filter(claim__status=status)
    headers = [
        "participant",
        "provider",
        "outcome",
        "occurred_on",
        "evidence",
        "claim",
        "sampled",
        "reason",
    ]

    def row(e: OutcomeEvent) -> list:
        claim = getattr(e, "claim", None)
        return [
            e.participant.pseudonym[:12],
            e.participant.provider.name,
            e.outcome,
            e.occurred_on,
            e.evidence,
            claim.get_status_display() if claim else "Not claimed",
            "yes" if claim and claim.sampled_at else "",
            (claim.reason + (f" Disputed: {claim.dispute}" if claim.dispute else ""))
            if claim
            else "",
        ]

    if fmt := request.GET.get("format"):
        return table_response(fmt, "outcomes", headers, (row(e) for e in events.iterator()))
    page_obj = Paginator(events, 25).get_page(request.GET.get("page"))
    is_commissioner = actor.role == Role.COMMISSIONER and actor.belongs_to(contract.commissioner_id)
    sampling = None
    if is_commissioner:
        claims = Claim.objects.filter(event__participant__contract=contract)
        sampling = {
            "submitted": claims.filter(status=Claim.Status.SUBMITTED).count(),
            "unsampled": claims.filter(
                status=Claim.Status.SUBMITTED, sampled_at__isnull=True
            ).count(),
            "sampled": claims.filter(sampled_at__isnull=False).count(),
            "sampled_pending": claims.filter(
                sampled_at__isnull=False,
                status__in=[Claim.Status.SUBMITTED, Claim.Status.DISPUTED],
            ).count(),
        }
    return page(
        request,
        "delivery/outcomes.html",
        "Outcomes and claims",
        state=state,
        contract=contract,
        page_obj=page_obj,
        chosen=status,
        statuses=[
            ("", "All"),
            ("unclaimed", "Not claimed"),
            *Claim.Status.choices,
            ("sampled", "In a sample"),
        ],
        is_commissioner=is_commissioner,
        sampling=sampling,
        is_provider=actor.role in (Role.PROVIDER_ADMIN, Role.PROVIDER_STAFF),
        nav_active="contracts",
    )


@signin_required
def evidence_file(request: HttpRequest, event_id: int) -> HttpResponse:
    """Download an outcome's evidence file (the delivering provider and the commissioner)."""
    actor = request.actor  # type: ignore[attr-defined]
    event = OutcomeEvent.objects.select_related("participant__contract").filter(id=event_id).first()
    if event is None or not event.evidence_file:
        raise NotFound("No such evidence.")
    contract = event.participant.contract
    if not selectors.participants_for(actor, contract).filter(id=event.participant_id).exists():
        raise NotFound("No such evidence.")
    name = event.evidence.removeprefix("file:") or "evidence"
    extension = name.rsplit(".", 1)[-1].lower()
    content_type = EVIDENCE_TYPES.get(extension, ("application/octet-stream", b""))[0]
    response = HttpResponse(bytes(event.evidence_file), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@signin_required
def reoffending_results(request: HttpRequest, contract_id: int) -> HttpResponse:
    """Proven-reoffending results feeding payment runs; the commissioner uploads or measures."""
    actor = request.actor  # type: ignore[attr-defined]
    contract = contract_by_id(contract_id)
    selectors.participants_for(actor, contract)  # only those who may see delivery data
    is_commissioner = actor.role == Role.COMMISSIONER and actor.belongs_to(contract.commissioner_id)
    state = FormState()
    if request.method == "POST":
        state = FormState.from_post(request.POST)
        upload = request.FILES.get("file")
        if upload is None:
            state.add_error("file", "Choose a CSV or XLSX file")
        elif upload.size and upload.size > MAX_UPLOAD:
            state.add_error("file", "The file must be 50 MB or smaller")
        else:
            try:
                if state.values.get("action") == "extract":
                    as_of_text = state.values.get("as_of", "")
                    try:
                        as_of = dt.date.fromisoformat(as_of_text) if as_of_text else None
                    except ValueError:
                        state.add_error("as_of", "Enter a date like 2026-11-30")
                        as_of = None
                    if not state.errors:
                        saved = extract_measure(
                            actor=actor,
                            contract_id=contract.id,
                            filename=upload.name or "",
                            content=upload.read(),
                            period=state.values.get("period", ""),
                            measure=state.values.get("measure", ""),
                            comparison=state.values.get("comparison", ""),
                            as_of=as_of,
                        )
                        messages.success(request, f"Measured {len(saved)} cohort result(s).")
                else:
                    saved = results_upload(
                        actor=actor,
                        contract_id=contract.id,
                        filename=upload.name or "",
                        content=upload.read(),
                    )
                    messages.success(request, f"Recorded {len(saved)} result(s).")
            except FullvalueError as exc:
                if exc.status in (403, 404):
                    raise
                if exc.problems and all(p.location is None for p in exc.problems):
                    state.absorb(exc)
                else:
                    state.add_error("file", _error_text(exc))
        if not state.errors:
            return redirect("reoffending-results", contract_id=contract.id)
    results = list(
        ReoffendingResult.objects.filter(contract=contract).select_related("uploaded_by")
    )
    headers = [
        "period",
        "cohort",
        "measure",
        "people",
        "treated",
        "comparison",
        "difference",
        "ci_low",
        "ci_high",
        "p_value",
        "source",
        "note",
    ]
    rows = [
        [
            r.period,
            r.cohort,
            r.measure,
            r.size,
            r.treated,
            r.comparison,
            r.treated - r.comparison,
            r.ci_low,
            r.ci_high,
            r.p_value,
            r.get_source_display(),
            r.note,
        ]
        for r in results
    ]
    if fmt := request.GET.get("format"):
        return table_response(fmt, "reoffending-results", headers, rows)
    periods, measures = [], []
    if contract.mechanism_toml.strip():
        spec = parse_spec(contract.mechanism_toml)
        periods = [(p.name, p.name) for p in sorted(spec.periods, key=lambda p: p.start)]
        measures = [(name, name.replace("_", " ")) for name in reoffending_components(spec)]
    return page(
        request,
        "delivery/reoffending.html",
        "Reoffending results",
        state=state,
        contract=contract,
        results=results,
        periods=periods,
        measures=measures,
        is_commissioner=is_commissioner,
        nav_active="contracts",
    )
