"""Least privilege, shown on every path: pages, API and exports agree."""

import csv
import io

import pytest
from django.urls import reverse

from fullvalue.domain.roles import Role

pytestmark = pytest.mark.django_db

SECRET = "private note"


def csv_rows(response):
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_provider_never_sees_another_providers_private_data(signed_in, make_member, api_token):
    me = make_member(Role.PROVIDER_ADMIN)
    other = make_member(Role.PROVIDER_ADMIN)
    other_org = other.organisation
    client = signed_in(me)
    page = client.get(reverse("organisation-detail", args=[other_org.slug])).content.decode()
    assert other_org.name in page
    assert other_org.contact_email not in page and SECRET not in page
    own = client.get(reverse("organisation-detail", args=[me.organisation.slug])).content.decode()
    assert me.organisation.contact_email in own
    export = client.get(reverse("organisation-list") + "?format=csv")
    rows = csv_rows(export)
    assert "contact_email" not in rows[0]
    token = api_token(me)
    body = client.get(
        f"/api/v1/organisations/{other_org.id}", HTTP_AUTHORIZATION=f"Bearer {token}"
    ).json()
    assert body["contact_email"] is None and body["internal_notes"] is None
    mine = client.get(
        f"/api/v1/organisations/{me.organisation_id}", HTTP_AUTHORIZATION=f"Bearer {token}"
    ).json()
    assert mine["contact_email"] == me.organisation.contact_email
    members = client.get(
        f"/api/v1/organisations/{other_org.id}/memberships", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert members.status_code == 403
    assert client.get(reverse("organisation-members", args=[other_org.slug])).status_code == 403


def test_community_member_and_anonymous_see_only_public_data(client, signed_in, make_member):
    org = make_member(Role.PROVIDER_ADMIN).organisation
    for c in (client, signed_in(make_member(Role.COMMUNITY_MEMBER))):
        page = c.get(reverse("organisation-detail", args=[org.slug])).content.decode()
        assert org.name in page and org.contact_email not in page
        api = c.get(f"/api/v1/organisations/{org.id}").json()
        assert api["contact_email"] is None
        assert (
            "contact_email" not in csv_rows(c.get(reverse("organisation-list") + "?format=csv"))[0]
        )
        assert c.get(reverse("audit-list")).status_code in (302, 403)


def test_commissioner_and_auditor_read_private_fields(signed_in, make_member, api_token):
    org = make_member(Role.PROVIDER_ADMIN).organisation
    for role in (Role.COMMISSIONER, Role.AUDITOR):
        member = make_member(role)
        c = signed_in(member)
        assert (
            org.contact_email
            in c.get(reverse("organisation-detail", args=[org.slug])).content.decode()
        )
        rows = csv_rows(c.get(reverse("organisation-list") + "?format=csv"))
        assert any(r["contact_email"] == org.contact_email for r in rows)
        token = api_token(member)
        assert (
            c.get(f"/api/v1/organisations/{org.id}", HTTP_AUTHORIZATION=f"Bearer {token}").json()[
                "contact_email"
            ]
            == org.contact_email
        )


def test_auditor_cannot_write_anywhere(signed_in, make_member, api_token):
    auditor = make_member(Role.AUDITOR)
    target = make_member(Role.PROVIDER_ADMIN).organisation
    c = signed_in(auditor)
    assert c.get(reverse("organisation-edit", args=[auditor.organisation.slug])).status_code == 403
    response = c.post(reverse("organisation-edit", args=[auditor.organisation.slug]), {"name": "X"})
    assert response.status_code == 403
    assert c.get(reverse("organisation-create")).status_code == 403
    token = api_token(auditor)
    r = c.patch(
        f"/api/v1/organisations/{target.id}",
        {"town": "X"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert r.status_code == 403 and r["Content-Type"] == "application/problem+json"
    r = c.post(
        "/api/v1/organisations",
        {"name": "X"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert r.status_code == 403
    # ... but reads everything, including the audit trail.
    assert c.get(reverse("audit-list")).status_code == 200
    assert (
        c.get(
            f"/api/v1/organisations/{target.id}/memberships", HTTP_AUTHORIZATION=f"Bearer {token}"
        ).status_code
        == 200
    )


def test_token_acts_only_as_its_membership(client, make_member, api_token):
    """A token made in a provider role cannot use the same person's commissioner role."""
    from fullvalue.web.accounts.models import Membership

    provider = make_member(Role.PROVIDER_ADMIN)
    Membership.objects.create(
        user=provider.user,
        organisation=make_member(Role.COMMISSIONER).organisation,
        role="commissioner",
    )
    token = api_token(provider)
    r = client.post(
        "/api/v1/organisations",
        {"name": "X", "legal_form": "cic", "sector": "voluntary"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert r.status_code == 403
    me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert me["role"] == "provider_admin" and len(me["memberships"]) == 1
