"""Organisation pages: directory, profile, edit, add, import and members."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from markupsafe import Markup

from fullvalue.domain.organisations import POLICE_FORCE_AREAS, REGIONS, SizeBand
from fullvalue.domain.roles import MAY_INVITE, Role
from fullvalue.errors import FullvalueError
from fullvalue.web.accounts import services as account_services
from fullvalue.web.accounts.selectors import can_manage_members, organisation_members
from fullvalue.web.kernel import fields
from fullvalue.web.kernel.caching import cached
from fullvalue.web.kernel.exports import table_response
from fullvalue.web.kernel.forms import FormState
from fullvalue.web.kernel.pages import page, signin_required
from fullvalue.web.organisations import imports, services
from fullvalue.web.organisations.models import LegalForm, Organisation, Sector
from fullvalue.web.organisations.rules import LED_BY_FIELDS
from fullvalue.web.organisations.selectors import (
    OrganisationFilters,
    can_edit,
    can_read_private,
    directory_version,
    export_rows,
    organisation_get,
    organisation_list,
    organisation_values,
)

PAGE_SIZE = 25


def _choices() -> dict:
    return {
        "legal_forms": LegalForm.choices,
        "sectors": Sector.choices,
        "bands": [(b.value, b.label) for b in SizeBand],
        "regions": sorted(REGIONS.items(), key=lambda kv: kv[1]),
        "pfas": sorted(POLICE_FORCE_AREAS.items(), key=lambda kv: kv[1]),
        "led_by": list(LED_BY_FIELDS.items()),
        "region_names": REGIONS,
        "pfa_names": POLICE_FORCE_AREAS,
        "legal_form_names": dict(LegalForm.choices),
        "sector_names": dict(Sector.choices),
    }


def _filter_form(request: HttpRequest, state: FormState, filters: OrganisationFilters) -> Markup:
    """The directory's filter form, rendered once per combination of filters and cached.

    It draws 57 area options through the GOV.UK macros on every view, which is most of the
    page's cost; it holds no per-user or per-request data (it is a GET form, without CSRF).
    """
    html = cached(
        "org-filters",
        state.values,
        lambda: render_to_string(
            "organisations/_filters.html",
            {"state": state, "filters": filters, **_choices()},
            request=request,
        ),
    )
    return Markup(html)


def _results(request: HttpRequest, orgs: Any) -> Markup:
    """The page of results as HTML, cached under the query and the directory's version.

    The directory is public and the same for everyone, so one rendering serves every reader
    until an organisation is added or changed (which changes :func:`directory_version`).
    """
    params = sorted((k, v) for k, v in request.GET.lists() if k != "format")

    def render() -> str:
        page_obj = Paginator(orgs, PAGE_SIZE).get_page(request.GET.get("page"))
        return render_to_string(
            "organisations/_results.html", {"page_obj": page_obj, **_choices()}, request=request
        )

    return Markup(cached("org-results", [directory_version(), params], render))


def organisation_list_view(request: HttpRequest) -> HttpResponse:
    """The public directory with search, filters, pages and CSV/XLSX download."""
    actor = request.actor  # type: ignore[attr-defined]
    filters = OrganisationFilters.from_params(request.GET)
    orgs = organisation_list(actor, filters)
    fmt = request.GET.get("format")
    if fmt:
        columns, rows = export_rows(actor, orgs)
        return table_response(fmt, "organisations", columns, rows)
    state = FormState(
        values={
            "q": filters.q,
            "sector": filters.sector,
            "legal_form": filters.legal_form,
            "size_band": filters.size_band,
            "region": filters.region,
            "police_force_area": filters.police_force_area,
            "led_by": list(filters.led_by),
        }
    )
    return page(
        request,
        "organisations/list.html",
        "Organisations",
        filter_form=_filter_form(request, state, filters),
        results=_results(request, orgs),
        state=state,
        filters=filters,
        may_add=actor.role in (Role.COMMISSIONER, Role.SYSTEM_ADMIN),
        nav_active="organisations",
        **_choices(),
    )


def _profile(actor: Any, slug: str) -> Organisation:
    """An organisation with its identifiers and areas, cached under the directory's version.

    Three queries become one (the version) on a page everyone reads; the same version key as
    the directory's results keeps it from ever being stale (decision 0005). What the reader may
    see is still decided per request, from the organisation's values.
    """
    # an unknown address raises NotFound, which is never cached
    return cached("org-profile", [directory_version(), slug], lambda: organisation_get(actor, slug))


def organisation_detail_view(request: HttpRequest, slug: str) -> HttpResponse:
    """An organisation's profile; private details only for those allowed to read them."""
    actor = request.actor  # type: ignore[attr-defined]
    org = _profile(actor, slug)
    private = can_read_private(actor, org.id)
    return page(
        request,
        "organisations/detail.html",
        org.name,
        org=org,
        values=organisation_values(org, private=private),
        private=private,
        may_edit=can_edit(actor, org.id),
        may_manage=can_manage_members(actor, org.id),
        may_see_members=can_manage_members(actor, org.id) or actor.role == Role.AUDITOR,
        nav_active="organisations",
        **_choices(),
    )


def _form_values(values: dict) -> dict:
    out = dict(values)
    out["identifiers"] = "\n".join(values.get("identifiers") or [])
    out["annual_income"] = (
        "" if values.get("annual_income") is None else str(values["annual_income"])
    )
    out["led_by"] = [k for k in LED_BY_FIELDS if values.get(k)]
    return out


def _post_data(request: HttpRequest) -> tuple[FormState, dict]:
    state = FormState.from_post(request.POST, lists=("regions", "police_force_areas", "led_by"))
    data = dict(state.values)
    for flag in LED_BY_FIELDS:
        data[flag] = flag in data.get("led_by", [])
    data.pop("led_by", None)
    return state, data


@signin_required
def organisation_edit_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Change an organisation's details."""
    actor = request.actor  # type: ignore[attr-defined]
    org = organisation_get(actor, slug)
    if not can_edit(actor, org.id):
        raise FullvalueError(
            "Only this organisation's administrators can change its details.",
            code="permission-denied",
            status=403,
        )
    state = FormState(values=_form_values(organisation_values(org, private=True)))
    if request.method == "POST":
        state, data = _post_data(request)
        try:
            org = services.organisation_update(actor=actor, organisation_id=org.id, data=data)
        except FullvalueError as exc:
            state.absorb(exc)
        else:
            messages.success(request, f"{org.name} has been updated.")
            return redirect("organisation-detail", slug=org.slug)
    return page(
        request,
        "organisations/form.html",
        f"Change {org.name}",
        state=state,
        org=org,
        nav_active="organisations",
        **_choices(),
    )


@signin_required
def organisation_create_view(request: HttpRequest) -> HttpResponse:
    """Add an organisation to the directory."""
    actor = request.actor  # type: ignore[attr-defined]
    state = FormState()
    if request.method == "POST":
        state, data = _post_data(request)
        try:
            org = services.organisation_create(actor=actor, data=data)
        except FullvalueError as exc:
            state.absorb(exc)
        else:
            messages.success(request, f"{org.name} has been added.")
            return redirect("organisation-detail", slug=org.slug)
    elif actor.role not in (Role.COMMISSIONER, Role.SYSTEM_ADMIN):
        raise FullvalueError(
            "Only commissioners and system administrators can add organisations.",
            code="permission-denied",
            status=403,
        )
    return page(
        request,
        "organisations/form.html",
        "Add an organisation",
        state=state,
        org=None,
        nav_active="organisations",
        **_choices(),
    )


@signin_required
def organisation_import_view(request: HttpRequest) -> HttpResponse:
    """Upload a CSV or XLSX file to preview."""
    actor = request.actor  # type: ignore[attr-defined]
    if request.GET.get("template") == "csv":
        return table_response("csv", "organisations-template", *imports.template_rows())
    state = FormState()
    problems = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            state.add_error("file", "Select a CSV or XLSX file")
        else:
            try:
                batch, _ = imports.organisation_import_preview(
                    actor=actor, filename=upload.name, content=upload.read()
                )
            except FullvalueError as exc:
                state.add_error("file", exc.message)
                problems = exc.problems
            else:
                return redirect("organisation-import-preview", batch_id=batch.id)
    else:
        actor.require_role(
            Role.COMMISSIONER,
            Role.SYSTEM_ADMIN,
            message="Only commissioners and system administrators can import.",
        )
    return page(
        request,
        "organisations/import.html",
        "Import organisations",
        state=state,
        problems=problems,
        columns=imports.COLUMNS,
        nav_active="organisations",
    )


@signin_required
def organisation_import_preview_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    """Show what each row would do; import all, or only the valid rows, or cancel."""
    actor = request.actor  # type: ignore[attr-defined]
    batch = imports.import_batch_get(actor, batch_id)
    state = FormState()
    if request.method == "POST":
        try:
            counts = imports.organisation_import_commit(
                actor=actor,
                batch_id=batch.id,
                valid_rows_only=request.POST.get("valid_rows_only") == "yes",
            )
        except FullvalueError as exc:
            state.add_error("__all__", exc.message)
        else:
            messages.success(
                request,
                f"Imported {batch.filename}: {counts['create']} added, {counts['update']} updated, "
                f"{counts['unchanged']} unchanged, {counts['error']} rows not imported.",
            )
            return redirect("organisation-list")
    preview = imports.import_batch_preview(actor, batch)
    return page(
        request,
        "organisations/import_preview.html",
        "Check your import",
        state=state,
        batch=batch,
        preview=preview,
        nav_active="organisations",
    )


@signin_required
def organisation_members_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Members of an organisation, with invitations for its administrators."""
    actor = request.actor  # type: ignore[attr-defined]
    org = organisation_get(actor, slug)
    members = list(organisation_members(actor, org.id))
    may_manage = can_manage_members(actor, org.id)
    invitable = sorted(MAY_INVITE.get(actor.role, ())) if may_manage and actor.role else []
    state = FormState()
    if request.method == "POST" and request.POST.get("action") == "invite":
        state = FormState.from_post(request.POST)
        try:
            account_services.invitation_create(
                actor=actor,
                email=state.values.get("email", ""),
                organisation_id=org.id,
                role=state.values.get("role", ""),
            )
        except FullvalueError as exc:
            state.absorb(exc)
        else:
            messages.success(request, f"An invitation has been sent to {state.values['email']}.")
            return redirect("organisation-members", slug=org.slug)
    elif request.method == "POST" and request.POST.get("action") == "remove":
        account_services.membership_deactivate(
            actor=actor,
            membership_id=fields.identifier(request.POST.get("membership", ""), "membership"),
        )
        messages.success(request, "The role has been removed.")
        return redirect("organisation-members", slug=org.slug)
    fmt = request.GET.get("format")
    if fmt:
        return table_response(
            fmt,
            f"{org.slug}-members",
            ["name", "email", "role", "active", "since"],
            [
                [m.user.full_name, m.user.email, m.get_role_display(), m.is_active, m.created_at]
                for m in members
            ],
        )
    return page(
        request,
        "organisations/members.html",
        f"Members of {org.name}",
        state=state,
        org=org,
        members=members,
        may_manage=may_manage,
        role_choices=[(r.value, r.label) for r in invitable],
        nav_active="organisations",
    )
