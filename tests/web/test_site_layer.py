"""The site layer: pages assembled from panels, one visibility rule for programmes everywhere,
cached panels that are never stale, and list pages whose query counts do not grow."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fullvalue.domain.roles import Role
from fullvalue.web.accounts.models import Membership
from fullvalue.web.contracts.services import contract_create, kpi_add
from fullvalue.web.programmes.services import programme_create
from tests.web.cycle import programme_data
from tests.web.delivery_data import MECHANISM


def _member(actor):
    return Membership.objects.get(id=actor.membership_id)


@pytest.fixture
def draft(make_member, actor_for):
    commissioner = make_member(
        Role.COMMISSIONER, legal_form="pcc", sector="public", annual_income=None
    )
    programme = programme_create(actor=actor_for(commissioner), data=programme_data())
    return programme, commissioner


@pytest.mark.parametrize(
    ("role", "same_organisation", "sees_draft"),
    [
        (Role.COMMISSIONER, True, True),
        (Role.EVALUATOR, True, True),
        (Role.AUDITOR, False, True),
        (Role.SYSTEM_ADMIN, False, True),
        (Role.COMMISSIONER, False, False),
        (Role.PROVIDER_ADMIN, False, False),
        (Role.COMMUNITY_MEMBER, False, False),
    ],
)
def test_pages_and_api_agree_on_who_sees_a_draft_programme(
    draft, make_member, signed_in, api_token, role, same_organisation, sees_draft
):
    """One selector decides; the page list, the page itself and the API list all follow it."""
    programme, commissioner = draft
    reader = make_member(
        role, organisation=commissioner.organisation if same_organisation else None
    )
    client = signed_in(reader)
    listed = (
        f"/programmes/{programme.slug}/" in client.get(reverse("programme-list")).content.decode()
    )
    page = client.get(reverse("programme-detail", args=[programme.slug])).status_code
    api = (
        Client().get("/api/v1/programmes", HTTP_AUTHORIZATION=f"Bearer {api_token(reader)}").json()
    )
    in_api = any(p["slug"] == programme.slug for p in api["items"])
    assert (listed, page == 200, in_api) == (sees_draft, sees_draft, sees_draft)
    if not sees_draft:
        assert page == 404


def test_anonymous_people_never_see_a_draft(draft):
    programme, _ = draft
    client = Client()
    assert client.get(reverse("programme-detail", args=[programme.slug])).status_code == 404
    listed = client.get("/api/v1/programmes").json()["items"]
    assert all(p["slug"] != programme.slug for p in listed)


@pytest.fixture
def contract(make_member, actor_for):
    commissioner = make_member(
        Role.COMMISSIONER, legal_form="pcc", sector="public", annual_income=None
    )
    prime = make_member(Role.PROVIDER_ADMIN, annual_income=420_000)
    made = contract_create(
        actor=actor_for(commissioner),
        data={
            "title": "Women's centre",
            "provider_id": prime.organisation_id,
            "value": "450000",
            "mechanism_toml": MECHANISM,
        },
    )
    return made, commissioner, prime


TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_the_contract_page_is_cached_but_never_stale_and_forms_carry_each_readers_token(
    contract, signed_in, actor_for
):
    made, commissioner, _prime = contract
    member = commissioner
    browser = signed_in(member)
    url = reverse("contract-detail", args=[made.id])
    first = browser.get(url).content.decode()
    assert "No KPIs recorded." in first
    # A write through a service (audited) shows at once: the cached page is never stale.
    kpi_add(
        actor=actor_for(member),
        contract_id=made.id,
        data={"name": "Women housed", "target": "80", "unit": "%", "higher_is_better": "yes"},
    )
    second = browser.get(url).content.decode()
    assert "Women housed" in second and "No KPIs recorded." not in second
    # Served from the cache, the panel's own forms still carry a token this session accepts
    # (the token of the milestone form itself, not the layout's sign-out form).
    client = Client(enforce_csrf_checks=True)
    client.cookies = browser.cookies
    page = client.get(url).content.decode()
    form = re.search(r'<form[^>]*>(?:(?!</form>).)*value="milestone_add"', page, re.S)
    assert form is not None and "fullvalue:csrf-token" not in page
    token = TOKEN.search(form.group(0))
    assert token is not None, "the cached milestone form lost its CSRF input"
    posted = client.post(
        url,
        {
            "csrfmiddlewaretoken": token.group(1),
            "action": "milestone_add",
            "title": "Service open",
            "due_date": "2027-06-01",
        },
    )
    assert posted.status_code == 302
    assert "Service open" in client.get(url).content.decode()


def test_contract_list_asks_the_same_number_of_queries_for_one_contract_or_many(
    contract, make_member, actor_for
):
    _made, commissioner, prime = contract
    client = Client()
    url = reverse("contract-list")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    one = count()
    for i in range(5):
        contract_create(
            actor=actor_for(commissioner),
            data={"title": f"Grant {i}", "provider_id": prime.organisation_id, "value": "1000"},
        )
    assert count() == one


def test_list_pages_query_counts_do_not_grow(draft, make_member, actor_for, signed_in):
    """Programmes and tenders lists: a constant number of queries however many rows."""
    _programme, commissioner = draft
    client = signed_in(commissioner)

    def count(url: str) -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    urls = [reverse("programme-list"), reverse("tender-list")]
    before = [count(u) for u in urls]
    for _ in range(4):
        programme_create(actor=actor_for(commissioner), data=programme_data())
    assert [count(u) for u in urls] == before


def test_a_removed_role_stops_working_on_the_next_request_though_roles_are_cached(
    make_member, actor_for, signed_in
):
    """The actor's memberships are cached under the write version: removing a role is an
    audited write, so the very next request sees it gone (and the page refuses)."""
    from fullvalue.web.accounts.services import membership_deactivate

    staff = make_member(Role.PROVIDER_STAFF)
    admin = make_member(Role.PROVIDER_ADMIN, organisation=staff.organisation)
    client = signed_in(staff)
    first = client.get(reverse("dashboard"))
    assert first.status_code == 200
    assert client.get(reverse("dashboard")).status_code == 200  # served from the cached read
    membership_deactivate(actor=actor_for(admin), membership_id=staff.id)
    after = client.get(reverse("dashboard"))
    # No role left: the dashboard no longer shows the organisation it was acting for.
    assert staff.organisation.name in first.content.decode()
    assert staff.organisation.name not in after.content.decode()
