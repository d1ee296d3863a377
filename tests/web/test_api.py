"""The JSON API: OpenAPI schema, problem details, cursor pagination, filters, rate limits."""

import pytest

from fullvalue.domain.roles import Role
from fullvalue.web.organisations.models import Organisation
from tests.web.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def auth(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def assert_problem(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["code"] == code
    assert body["type"] == f"/api/v1/problems/{code}"
    assert body["title"] and body["detail"] and body["instance"]
    return body


def test_openapi_schema_describes_the_api(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    assert (
        "/api/v1/organisations" in paths and "/api/v1/organisations/{org_id}/memberships" in paths
    )
    assert "BearerAuth" in str(schema["components"]["securitySchemes"]) or "TokenAuth" in str(
        schema["components"]["securitySchemes"]
    )
    assert client.get("/api/v1/docs").status_code == 200


def test_cursor_pagination_walks_every_item_once(client):
    for i in range(7):
        OrganisationFactory(name=f"Org {i:02d}", slug=f"org-{i:02d}")
    seen, url = [], "/api/v1/organisations?limit=3"
    while url:
        body = client.get(url).json()
        seen += [o["name"] for o in body["items"]]
        url = body["links"]["next"]
        if url:
            assert body["next_cursor"] in url
    assert seen == sorted(o.name for o in Organisation.objects.all())
    assert len(seen) == len(set(seen)) == 7


def test_filters(client):
    OrganisationFactory(name="Women First", led_by_women=True, annual_income=5000)
    OrganisationFactory(
        name="Big Co", legal_form="private_company", sector="private", annual_income=50_000_000
    )
    names = lambda q: [o["name"] for o in client.get(f"/api/v1/organisations?{q}").json()["items"]]  # noqa: E731
    assert names("led_by=led_by_women") == ["Women First"]
    assert names("size_band=micro") == ["Women First"]
    assert names("sector=private") == ["Big Co"]
    assert names("q=women") == ["Women First"]


def test_400_bad_cursor_and_limit(client):
    body = assert_problem(client.get("/api/v1/organisations?cursor=%%%"), 400, "bad-request")
    assert body["errors"][0]["column"] == "cursor"
    assert_problem(client.get("/api/v1/organisations?limit=0"), 400, "bad-request")


def test_401_without_or_with_bad_token(client):
    assert_problem(client.get("/api/v1/me"), 401, "unauthenticated")
    assert_problem(client.get("/api/v1/me", **auth("fv_deadbeef_nope")), 401, "unauthenticated")
    assert_problem(client.get("/api/v1/organisations", **auth("garbage")), 401, "unauthenticated")


def test_403_404_409_422(client, make_member, api_token):
    commissioner = make_member(Role.COMMISSIONER)
    token = api_token(commissioner)
    provider = make_member(Role.PROVIDER_ADMIN)
    assert_problem(
        client.patch(
            f"/api/v1/organisations/{provider.organisation_id}",
            {"town": "X"},
            content_type="application/json",
            **auth(token),
        ),
        403,
        "permission-denied",
    )
    assert_problem(client.get("/api/v1/organisations/999999"), 404, "not-found")
    new = {
        "name": "API Trust",
        "legal_form": "registered_charity",
        "sector": "voluntary",
        "identifiers": ["GB-CHC-1170001"],
    }
    created = client.post(
        "/api/v1/organisations", new, content_type="application/json", **auth(token)
    )
    assert created.status_code == 201 and created.json()["slug"] == "api-trust"
    assert_problem(
        client.post(
            "/api/v1/organisations",
            {**new, "name": "Again"},
            content_type="application/json",
            **auth(token),
        ),
        409,
        "conflict",
    )
    body = assert_problem(
        client.post(
            "/api/v1/organisations",
            {"name": "", "legal_form": "x", "sector": "y", "annual_income": "-3"},
            content_type="application/json",
            **auth(token),
        ),
        422,
        "invalid-input",
    )
    assert {e["column"] for e in body["errors"]} >= {
        "name",
        "legal_form",
        "sector",
        "annual_income",
    }
    body = assert_problem(
        client.post(
            "/api/v1/organisations",
            {"identifiers": "not-a-list"},
            content_type="application/json",
            **auth(token),
        ),
        422,
        "invalid-input",
    )
    assert body["errors"][0]["location"].endswith("identifiers")


def test_malformed_json_is_a_problem(client, make_member, api_token):
    token = api_token(make_member(Role.COMMISSIONER))
    response = client.post(
        "/api/v1/organisations", "{not json", content_type="application/json", **auth(token)
    )
    assert response.status_code in (400, 422)
    assert response["Content-Type"] == PROBLEM


def test_an_address_with_no_endpoint_is_a_problem_not_a_page(client):
    for path in ["/api/v1/nope", "/api/v1/organisations/abc/nope", "/api/v2/organisations"]:
        body = assert_problem(client.get(path), 404, "not-found")
        assert body["instance"] == path and "no API endpoint" in body["detail"]
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_an_error_outside_the_endpoints_is_a_problem_under_the_api(rf):
    import json

    from fullvalue.web.site.views import server_error

    response = server_error(rf.get("/api/v1/organisations"))
    assert response.status_code == 500 and response["Content-Type"] == PROBLEM
    body = json.loads(response.content)
    assert body["code"] == "server-error" and body["instance"] == "/api/v1/organisations"
    assert server_error(rf.get("/organisations/"))["Content-Type"].startswith("text/html")


def test_429_when_rate_limited(client, api_token, make_member):
    from django.core.cache import caches

    from fullvalue.web.api.app import api

    original = [(t.num_requests, t.duration) for t in api.throttle]
    for t in api.throttle:
        t.num_requests, t.duration = 2, 3600  # one window for the whole test
    try:
        caches["throttle"].clear()
        client.get("/api/v1/organisations")
        client.get("/api/v1/organisations")
        response = client.get("/api/v1/organisations")
        body = assert_problem(response, 429, "rate-limited")
        assert "wait" in body["detail"] and 0 < int(response["Retry-After"]) <= 3600
        # on endpoints that need a token, the token is counted apart from its address
        token = api_token(make_member(Role.PROVIDER_ADMIN))
        assert client.get("/api/v1/me", **auth(token)).status_code == 200
        assert client.get("/api/v1/me", **auth(token)).status_code == 200
        assert_problem(client.get("/api/v1/me", **auth(token)), 429, "rate-limited")
        other = api_token(make_member(Role.PROVIDER_ADMIN))
        assert client.get("/api/v1/me", **auth(other)).status_code == 200
    finally:
        for t, (n, d) in zip(api.throttle, original, strict=True):
            t.num_requests, t.duration = n, d
        caches["throttle"].clear()


def test_rate_limits_are_counted_across_web_processes(client, settings):
    """Each gunicorn worker is its own process: the counts must live where all of them look."""
    import time

    from django.core.cache import caches
    from django.core.cache.backends.filebased import FileBasedCache
    from django.core.cache.backends.locmem import LocMemCache

    from fullvalue.web.api.app import api

    shared = caches["throttle"]
    assert not isinstance(shared, LocMemCache)
    assert all(t.cache is shared for t in api.throttle)
    shared.clear()
    for _ in range(3):
        client.get("/api/v1/organisations")
    # another process opens the same place afresh and sees this one's three requests
    other = FileBasedCache(settings.CACHES["throttle"]["LOCATION"], {})
    anon = api.throttle[0]
    assert other.get(anon.key("127.0.0.1", time.time())) == 3
    shared.clear()


def test_a_rate_limit_costs_the_same_whatever_the_limit(client):
    """One counter per client and window: no list of past requests that grows with the limit."""
    import pickle

    from django.core.cache import caches

    from fullvalue.web.api.throttling import AnonLimit

    limit = AnonLimit("100000/m", cache=caches["throttle"])
    request = client.get("/healthz").wsgi_request
    request.auth = None
    for _ in range(50):
        assert limit.allow_request(request)
    stored = caches["throttle"].get(limit.key("127.0.0.1", __import__("time").time()))
    assert stored == 50 and len(pickle.dumps(stored)) < 16


@pytest.mark.parametrize("rate", ["600", "600/x", "a/m", "/m", ""])
def test_a_malformed_rate_is_refused_clearly(rate):
    from fullvalue.web.api.throttling import parse_rate

    with pytest.raises(ValueError, match="a rate is like 600/m"):
        parse_rate(rate)


def test_500_is_a_problem_without_details(client, monkeypatch):
    from fullvalue.web.organisations import api as organisations_api

    def boom(*args, **kwargs):
        raise ValueError("secret internals")

    monkeypatch.setattr(organisations_api, "organisation_list", boom)
    body = assert_problem(client.get("/api/v1/organisations"), 500, "server-error")
    assert "secret internals" not in body["detail"]


def test_patch_changes_only_given_fields_and_audits(client, make_member, api_token):
    from fullvalue.web.audit.models import AuditEvent

    admin = make_member(Role.PROVIDER_ADMIN)
    token = api_token(admin)
    r = client.patch(
        f"/api/v1/organisations/{admin.organisation_id}",
        {"town": "Preston", "led_by_women": True},
        content_type="application/json",
        **auth(token),
    )
    assert r.status_code == 200
    org = Organisation.objects.get(id=admin.organisation_id)
    assert org.town == "Preston" and org.led_by_women and org.name == admin.organisation.name
    event = AuditEvent.objects.filter(action="organisation.update").get()
    assert event.changes == {"led_by_women": [False, True], "town": ["", "Preston"]}


def test_invite_and_remove_through_the_api(client, make_member, api_token):
    admin = make_member(Role.PROVIDER_ADMIN)
    token = api_token(admin)
    r = client.post(
        f"/api/v1/organisations/{admin.organisation_id}/invitations",
        {"email": "new@example.org", "role": "provider_staff"},
        content_type="application/json",
        **auth(token),
    )
    assert r.status_code == 201 and "token" not in r.json()
    staff = make_member(Role.PROVIDER_STAFF, organisation=admin.organisation)
    r = client.delete(f"/api/v1/memberships/{staff.id}", **auth(token))
    assert r.status_code == 200 and r.json()["is_active"] is False


def test_cached_list_pages_keep_private_fields_to_those_allowed(client, make_member, api_token):
    """The list is cached per reader scope: anonymous, a provider, a commissioner."""
    provider = make_member(Role.PROVIDER_ADMIN)
    OrganisationFactory.create_batch(2)
    commissioner = make_member(Role.COMMISSIONER)
    url = "/api/v1/organisations?limit=100"

    def emails(**headers):
        items = client.get(url, **headers).json()["items"]
        return {i["id"]: i["contact_email"] for i in items}

    for _ in range(2):  # the second round is served from the cache
        anonymous = emails()
        assert set(anonymous.values()) == {None}
        own = emails(HTTP_AUTHORIZATION=f"Bearer {api_token(provider)}")
        assert [k for k, v in own.items() if v] == [provider.organisation_id]
        every = emails(HTTP_AUTHORIZATION=f"Bearer {api_token(commissioner)}")
        assert all(every.values()) and len(every) == Organisation.objects.count()
