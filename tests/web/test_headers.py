"""Headers and codes (issue #14, finding 7): no-store for personal data, 401 for bad tokens."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fullvalue.web.accounts.models import Membership
from fullvalue.web.delivery.models import OutcomeEvent
from fullvalue.web.delivery.services import (
    evidence_attach,
    import_preview,
    import_run,
    import_start,
)

pytestmark = pytest.mark.django_db


def _member(chain, key):
    return Membership.objects.get(id=chain[key].membership_id)


def _import(chain, text, name):
    job, _ = import_preview(
        actor=chain["prime"], contract_id=chain["contract"].id, filename=name, content=text.encode()
    )
    import_start(actor=chain["prime"], job_id=job.id, valid_rows_only=True)
    import_run(job.id)


def test_pages_and_files_with_personal_data_are_not_stored(chain, signed_in, api_token):
    _import(chain, "case_reference,referred_on\nW001,2025-04-03\n", "people.csv")
    _import(
        chain,
        "case_reference,outcome,occurred_on\nW001,settled_accommodation,2025-09-01\n",
        "events.csv",
    )
    event = OutcomeEvent.objects.get()
    evidence_attach(
        actor=chain["prime"], event_id=event.id, filename="t.pdf", content=b"%PDF-1.4 tenancy"
    )
    client = signed_in(_member(chain, "prime"))
    contract = chain["contract"].id
    for url in (
        f"/contracts/{contract}/participants/",
        f"/contracts/{contract}/participants/?format=csv",
        f"/contracts/{contract}/participants/?format=xlsx",
        f"/contracts/{contract}/outcomes/",
        f"/events/{event.id}/evidence",
        "/dashboard/",
    ):
        r = client.get(url)
        assert r.status_code == 200, url
        assert r["Cache-Control"] == "no-store", url
    token = api_token(_member(chain, "prime"))
    r = client.get(
        f"/api/v1/contracts/{contract}/participants", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert r.status_code == 200 and r["Cache-Control"] == "no-store"


def test_public_pages_may_still_be_cached(client, db):
    r = client.get("/organisations/")
    assert r.status_code == 200 and "no-store" not in r.get("Cache-Control", "")


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_bad_bearer_token_is_401_with_www_authenticate_not_a_csrf_403(chain, method, settings):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    url = f"/api/v1/contracts/{chain['contract'].id}/imports"
    if method == "get":
        url = f"/api/v1/contracts/{chain['contract'].id}/participants"
    kwargs = {"HTTP_AUTHORIZATION": "Bearer fv_not_a_real_token"}
    if method == "post":
        kwargs["data"] = {"file": SimpleUploadedFile("p.csv", b"case_reference\nA1\n")}
    r = getattr(client, method)(url, **kwargs)
    assert r.status_code == 401, r.content
    assert r["WWW-Authenticate"].startswith("Bearer")
    assert r.json()["code"] == "unauthenticated"
