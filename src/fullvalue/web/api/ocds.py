"""Open data: OCDS 1.1 release packages and records (public, no sign-in).

- ``GET /api/v1/ocds/releases``: a release package of every public release, a page of
  contracting processes at a time (all of a process's releases are on the same page);
  ``links.next`` (OCDS pagination extension) is the URL of the next page, absent on the last.
- ``GET /api/v1/ocds/records/{ocid}``: a record package for one contracting process, with its
  releases embedded and the compiled release.

Mounted in ``app.py`` with ``api.add_router("/ocds", "fullvalue.web.api.ocds.router")``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router

from fullvalue.errors import NotFound
from fullvalue.web.api.pagination import paginate
from fullvalue.web.publication import ocds

router = Router(auth=None, tags=["open data (OCDS)"])


@router.get("/releases", summary="OCDS release package of all public releases")
def releases(request: HttpRequest, cursor: str | None = None, limit: int = 20) -> dict[str, Any]:
    """Every public release, ``limit`` contracting processes (1-200) per page.

    Follow ``links.next`` until it is absent to read them all, each exactly once.
    """
    tenders, _, next_url = paginate(
        request, ocds.public_processes(), cursor=cursor, limit=limit, key="published_at"
    )
    return ocds.release_package(
        ocds.releases_for(tenders),
        uri=request.build_absolute_uri(),
        published=timezone.now(),
        next_url=next_url,
    )


@router.get("/records/{ocid}", summary="OCDS record package for one contracting process")
def record(request: HttpRequest, ocid: str) -> dict[str, Any]:
    """The record for an ocid: its releases and the compiled release (OCDS merge rules)."""
    tender = ocds.tender_for_ocid(ocid)
    if tender is None:
        raise NotFound("No published contracting process has that ocid.")
    return ocds.record_package(
        ocid,
        ocds.releases_for([tender]),
        uri=request.build_absolute_uri(),
        published=timezone.now(),
    )
