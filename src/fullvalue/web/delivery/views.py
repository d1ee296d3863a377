"""Delivery pages: upload a participants or outcomes file, check it, import it with progress."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from fullvalue.errors import FullvalueError, NotFound
from fullvalue.web.contracts.models import Contract
from fullvalue.web.core.forms import FormState
from fullvalue.web.core.pages import page, signin_required
from fullvalue.web.delivery.models import ImportJob
from fullvalue.web.delivery.services import import_preview, import_start

MAX_UPLOAD = 50 * 1024 * 1024


@signin_required
def import_upload(request: HttpRequest, contract_id: int) -> HttpResponse:
    """Upload a participants or outcome-events file (CSV or XLSX) for checking."""
    contract = Contract.objects.filter(id=contract_id).first()
    if contract is None:
        raise NotFound("No such contract.")
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
