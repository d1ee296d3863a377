"""Pages render for every role, show the GOV.UK patterns, and keep their query counts flat."""

import html
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fullvalue.domain.roles import Role
from tests.web.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

PUBLIC = [
    "home",
    "organisation-list",
    "sign-in",
    "cookies",
    "accessibility",
    "privacy",
    "feedback",
    "password-reset",
]


@pytest.mark.parametrize("name", PUBLIC)
def test_public_pages_render(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    body = response.content.decode()
    assert (
        "govuk-generic-header" in body and "govuk-phase-banner" in body and "govuk-footer" in body
    )
    assert "govuk-cookie-banner" in body


@pytest.mark.parametrize("role", list(Role))
def test_dashboard_for_every_role(signed_in, make_member, role):
    client = signed_in(make_member(role))
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert role.label in response.content.decode()


def test_role_specific_dashboard_content(signed_in, make_member):
    assert (
        "The market"
        in signed_in(make_member(Role.COMMISSIONER)).get(reverse("dashboard")).content.decode()
    )
    assert (
        "Audit trail"
        in signed_in(make_member(Role.AUDITOR)).get(reverse("dashboard")).content.decode()
    )
    assert (
        "Background tasks"
        in signed_in(make_member(Role.SYSTEM_ADMIN)).get(reverse("dashboard")).content.decode()
    )


def test_signed_out_dashboard_redirects_to_sign_in(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and response.url.startswith(reverse("sign-in") + "?next=")


def test_cookie_banner_hides_without_javascript(client):
    response = client.post(reverse("cookies-hide"), {"next": "/organisations/"})
    assert response.status_code == 302 and response.url == "/organisations/"
    assert "govuk-cookie-banner" not in client.get("/").content.decode()
    evil = client.post(reverse("cookies-hide"), {"next": "https://evil.example/"})
    assert evil.url == "/"


def test_edit_shows_error_summary_linked_to_fields_then_saves(signed_in, make_member):
    admin = make_member(Role.PROVIDER_ADMIN)
    client = signed_in(admin)
    url = reverse("organisation-edit", args=[admin.organisation.slug])
    form = client.get(url)
    assert form.status_code == 200
    bad = client.post(
        url,
        {
            "name": "",
            "legal_form": "registered_charity",
            "sector": "voluntary",
            "identifiers": "GB-CHC-1234567",
            "annual_income": "lots",
        },
    )
    body = bad.content.decode()
    assert bad.status_code == 400
    assert 'href="#name"' in body and 'href="#annual_income"' in body
    assert "Error: Change" in body  # the title is prefixed for screen readers
    good = client.post(
        url,
        {
            "name": "Renamed Trust",
            "legal_form": "registered_charity",
            "sector": "voluntary",
            "identifiers": "GB-CHC-1234567",
            "annual_income": "12000",
            "led_by": ["led_by_women"],
            "regions": ["E12000002"],
        },
    )
    assert good.status_code == 302
    admin.organisation.refresh_from_db()
    assert admin.organisation.name == "Renamed Trust" and admin.organisation.led_by_women


def test_import_pages(signed_in, make_member):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = signed_in(make_member(Role.COMMISSIONER))
    upload = SimpleUploadedFile(
        "orgs.csv",
        b"name,legal_form,sector,identifiers\nGood,cic,voluntary,\nBad,cio,voluntary,GB-CHC-1\n",
    )
    response = client.post(reverse("organisation-import"), {"file": upload})
    assert response.status_code == 302
    preview = client.get(response.url).content.decode()
    assert "Not imported" in preview and "6 or 7 digits" in preview
    done = client.post(response.url, {"valid_rows_only": "yes"})
    assert done.status_code == 302
    assert "Good" in client.get(reverse("organisation-list") + "?q=Good").content.decode()


def test_members_page_and_invitation(signed_in, make_member):
    admin = make_member(Role.PROVIDER_ADMIN)
    client = signed_in(admin)
    url = reverse("organisation-members", args=[admin.organisation.slug])
    assert admin.user.email in client.get(url).content.decode()
    bad = client.post(url, {"action": "invite", "email": "bad", "role": ""})
    assert bad.status_code == 400
    ok = client.post(url, {"action": "invite", "email": "ok@example.org", "role": "provider_staff"})
    assert ok.status_code == 302


def test_exports_in_both_formats(client):
    OrganisationFactory(name="=cmd|' /C calc'!A0")
    csv_response = client.get(reverse("organisation-list") + "?format=csv")
    assert csv_response["Content-Type"].startswith("text/csv")
    assert "'=cmd" in csv_response.content.decode()  # formula neutralised
    xlsx = client.get(reverse("organisation-list") + "?format=xlsx")
    assert xlsx.content[:2] == b"PK"
    assert client.get(reverse("organisation-list") + "?format=pdf").status_code == 400


def test_audit_page_search_export_and_verify(signed_in, make_member):
    from fullvalue.web.kernel.actor import Actor
    from fullvalue.web.organisations.services import organisation_create

    organisation_create(
        actor=Actor.system("t"),
        data={"name": "Audited", "legal_form": "cic", "sector": "voluntary"},
    )
    client = signed_in(make_member(Role.AUDITOR))
    page = client.get(reverse("audit-list") + "?q=Audited&verify=1").content.decode()
    assert "organisation.create" in page and "The chain is intact" in page
    export = client.get(reverse("audit-list") + "?format=csv").content.decode()
    assert "organisation.create" in export.splitlines()[1]


def test_tasks_page_is_for_admins_only(signed_in, make_member):
    assert signed_in(make_member(Role.SYSTEM_ADMIN)).get(reverse("task-list")).status_code == 200
    assert signed_in(make_member(Role.COMMISSIONER)).get(reverse("task-list")).status_code == 403


def test_healthz(client, settings, tmp_path):
    from fullvalue.web.kernel import health

    settings.WORKER_HEARTBEAT_DIR = str(tmp_path)
    health.beat("web-test-1")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "worker": "ok"}


def test_security_headers(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self' 'nonce-" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.content.decode()


def test_404_page(client):
    response = client.get("/organisations/no-such-organisation/")
    assert response.status_code == 404 and "Page not found" in response.content.decode()


def _count(client, url, **extra):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_directory_query_count_does_not_grow_with_rows(client):
    OrganisationFactory.create_batch(3)
    small = _count(client, reverse("organisation-list"))
    OrganisationFactory.create_batch(20)
    assert _count(client, reverse("organisation-list")) == small
    assert small <= 8


def test_directory_results_are_cached_until_an_organisation_changes(signed_in, make_member):
    from fullvalue.web.accounts.services import actor_for_membership
    from fullvalue.web.organisations.services import organisation_update

    admin = make_member(Role.PROVIDER_ADMIN, name="Old Name Trust")
    OrganisationFactory.create_batch(3)
    url = reverse("organisation-list")
    from django.test import Client

    anonymous = Client()
    first = _count(anonymous, url)
    assert _count(anonymous, url) == 1 < first  # the version check only
    organisation_update(
        actor=actor_for_membership(admin),
        organisation_id=admin.organisation_id,
        data={"name": "New Name Trust"},
        partial=True,
    )
    page = anonymous.get(url).content.decode()
    assert "New Name Trust" in page and "Old Name Trust" not in page
    OrganisationFactory(name="Brand New Project")
    assert "Brand New Project" in anonymous.get(url).content.decode()


def test_api_list_query_count_does_not_grow_with_rows(client):
    OrganisationFactory.create_batch(3)
    small = _count(client, "/api/v1/organisations")
    OrganisationFactory.create_batch(20)
    assert _count(client, "/api/v1/organisations") == small
    assert small <= 6


def test_profile_and_dashboard_query_counts(signed_in, make_member):
    admin = make_member(Role.COMMISSIONER)
    client = signed_in(admin)
    assert _count(client, reverse("organisation-detail", args=[admin.organisation.slug])) <= 12
    from django.core.cache import cache

    OrganisationFactory.create_batch(5)
    cache.clear()  # the market summary is cached for a minute; count it computed afresh
    small = _count(client, reverse("dashboard"))
    OrganisationFactory.create_batch(20)
    cache.clear()
    assert _count(client, reverse("dashboard")) == small
    assert _count(client, reverse("dashboard")) < small  # and then served from the cache


def test_pages_render_with_production_static_storage(client, settings, tmp_path):
    """script/server uses hashed, compressed static files: every asset a page names must exist."""
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    from django.contrib.staticfiles.storage import staticfiles_storage

    staticfiles_storage._setup() if hasattr(staticfiles_storage, "_setup") else None
    for url in ("/", "/organisations/", "/sign-in/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "/static/govuk/govuk-frontend.min." in response.content.decode()


def test_directory_export_imports_back_unchanged(signed_in, make_member):
    """What a commissioner downloads can be uploaded again: every row reads as unchanged."""
    from fullvalue.web.kernel.actor import Actor
    from fullvalue.web.organisations.imports import organisation_import_preview
    from fullvalue.web.organisations.services import organisation_create

    for i, name in enumerate(["Alpha Trust", "Beta CIC"]):
        organisation_create(
            actor=Actor.system("t"),
            data={
                "name": name,
                "legal_form": "registered_charity",
                "sector": "voluntary",
                "identifiers": [f"GB-CHC-{1200000 + i}"],
                "annual_income": "5000",
                "regions": ["E12000002", "E12000007"],
                "police_force_areas": ["kent"],
                "led_by_disabled": True,
                "contact_email": "a@example.org",
            },
        )
    member = make_member(Role.SYSTEM_ADMIN, legal_form="public_body", sector="public")
    client = signed_in(member)
    exported = client.get(reverse("organisation-list") + "?format=csv&q=a").content
    from fullvalue.web.accounts.services import actor_for_membership

    _, preview = organisation_import_preview(
        actor=actor_for_membership(member), filename="export.csv", content=exported
    )
    assert preview.problems == []
    assert preview.counts == {"create": 0, "update": 0, "unchanged": 3, "error": 0}


def test_links_and_banners_render_as_html_and_escape_hostile_text(signed_in, make_member):
    """Flash messages and links built in templates are HTML, with the user's text escaped."""
    admin = make_member(Role.PROVIDER_ADMIN)
    client = signed_in(admin)
    url = reverse("organisation-edit", args=[admin.organisation.slug])
    client.post(
        url,
        {
            "name": "<script>alert(1)</script> Trust",
            "legal_form": "cic",
            "sector": "voluntary",
            "website": "https://example.org/?a=1&b=2",
        },
    )
    admin.organisation.refresh_from_db()
    page = client.get(reverse("organisation-detail", args=[admin.organisation.slug]))
    body = page.content.decode()
    assert '<p class="govuk-notification-banner__heading">' in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Trust has been updated." in body
    assert "<script>alert(1)</script>" not in body
    assert '<a class="govuk-link" href="https://example.org/?a=1&amp;b=2"' in body


def test_profile_is_cached_until_the_organisation_or_its_identifiers_or_areas_change(
    signed_in, make_member
):
    from django.test import Client

    from fullvalue.web.accounts.services import actor_for_membership
    from fullvalue.web.organisations.services import organisation_update

    admin = make_member(Role.PROVIDER_ADMIN, name="Cached Trust")
    url = reverse("organisation-detail", args=[admin.organisation.slug])
    anonymous = Client()
    first = _count(anonymous, url)
    assert _count(anonymous, url) == 1 < first  # the directory's version only
    actor = actor_for_membership(admin)
    for change, shown in [
        ({"identifiers": ["GB-CHC-1150001"]}, "GB-CHC-1150001"),
        ({"regions": ["E12000002"]}, "North West"),
        ({"name": "Renamed Trust"}, "Renamed Trust"),
    ]:
        assert shown not in anonymous.get(url).content.decode()
        org = organisation_update(
            actor=actor, organisation_id=admin.organisation_id, data=change, partial=True
        )
        url = reverse("organisation-detail", args=[org.slug])  # a new name may move it
        assert shown in anonymous.get(url).content.decode()
    # what a reader may see is still decided per request: the cached profile holds the
    # private notes, but only the organisation's own people see them
    assert "private note" in signed_in(admin).get(url).content.decode()
    assert "private note" not in anonymous.get(url).content.decode()


def test_unknown_profile_is_404_every_time(client):
    url = reverse("organisation-detail", args=["no-such-organisation"])
    assert client.get(url).status_code == 404
    OrganisationFactory(slug="no-such-organisation", name="Arrived Later")
    assert "Arrived Later" in client.get(url).content.decode()


def test_provider_dashboard_reads_memberships_once_and_bids_lean(signed_in, make_member):
    from fullvalue.web.tendering.models import Bid

    member = make_member(Role.PROVIDER_ADMIN)
    client = signed_in(member)
    client.get(reverse("dashboard"))  # the first view refreshes the session (once a minute)
    cache.clear()  # the roles and the tendering panel are read afresh: the cold path
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("dashboard")).status_code == 200
    tables = [q["sql"] for q in ctx.captured_queries]
    assert sum('FROM "accounts_membership"' in q for q in tables) == 1
    assert not any('FROM "organisations_organisation"' in q for q in tables)
    bids = [q for q in tables if 'FROM "tendering_bid"' in q]
    assert len(bids) == 1 and '"sealed"' not in bids[0]
    # session, user, second factor, the audit chain's version, memberships, bids, bids awaiting
    # the organisation's confirmation, partner messages not replied to, frameworks reported to,
    # Right to Challenge windows open to it
    assert len(tables) == 10
    assert Bid._meta.get_field("sealed")  # the column the lean read leaves out
    # Nothing written since: roles and panel come from the cache kept under the version.
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("dashboard")).status_code == 200
    warm = [q["sql"] for q in ctx.captured_queries]
    assert not any('FROM "accounts_membership"' in q or "tendering_" in q for q in warm)
    assert len(warm) == 4  # session, user, second factor, version


def _nav(body: str) -> list[tuple[str, bool]]:
    """The service navigation's links as (text, whether marked current)."""
    import re

    links = re.findall(
        r'<a class="govuk-service-navigation__link" href="[^"]*"( aria-current="true")?>\s*'
        r"(?:<strong[^>]*>)?\s*([^<]+?)\s*<",
        body,
    )
    return [(text, bool(current)) for current, text in links]


def test_layout_parts_are_drawn_once_and_navigation_follows_the_actor(signed_in, make_member):
    from django.test import Client

    anonymous = Client()
    assert [t for t, _ in _nav(anonymous.get("/").content.decode())] == [
        "Programmes", "Tenders", "Contracts", "Organisations", "API", "Sign in",
    ]  # fmt: skip
    assert ("Organisations", True) in _nav(anonymous.get("/organisations/").content.decode())
    auditor = _nav(signed_in(make_member(Role.AUDITOR)).get(reverse("dashboard")).content.decode())
    assert auditor[0] == ("Dashboard", True) and ("Audit trail", False) in auditor
    assert "Tasks" not in dict(auditor) and "Sign in" not in dict(auditor)
    admin = _nav(signed_in(make_member(Role.SYSTEM_ADMIN)).get("/").content.decode())
    assert ("Tasks", False) in admin and ("Your account", False) in admin
    # the sign-out form carries this request's CSRF token, not a cached one
    tokens = {
        _sign_out_token(signed_in(make_member(Role.PROVIDER_ADMIN)).get("/").content.decode())
        for _ in range(2)
    }
    assert len(tokens) == 2 and all(tokens)


def _sign_out_token(body: str) -> str:
    form = body.split('action="/sign-out/"')[1].split("</form>")[0]
    return form.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]


def test_remembered_urls_follow_the_script_prefix():
    from django.urls import set_script_prefix

    from fullvalue.web.jinja import url

    assert url("organisation-list") == "/organisations/"
    set_script_prefix("/fullvalue/")
    try:
        assert url("organisation-list") == "/fullvalue/organisations/"
        assert url("organisation-detail", slug="a") == "/fullvalue/organisations/a/"
    finally:
        set_script_prefix("/")
    assert url("organisation-detail", slug="a") == "/organisations/a/"
    # object ids come and go: what is remembered stays bounded
    for i in range(5000):
        assert url("bid-detail", bid_id=i) == f"/bids/{i}/"
    from fullvalue.web.jinja import _reverse

    assert _reverse.cache_info().currsize <= 4096


def test_service_navigation_escapes_a_plain_string_in_the_slot():
    from django.template import engines

    from fullvalue.web.kernel.actor import Actor

    env = engines["jinja2"].env
    html = env.globals["service_navigation"](env, Actor.anonymous(), None, "<b>x</b>")
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html


def test_layout_parts_render_once_per_process(client, monkeypatch):
    from django.template import engines

    from fullvalue.web import jinja

    env = engines["jinja2"].env
    drawn: list[str] = []
    real = env.get_template

    def counting(name, *args, **kwargs):
        if str(name).startswith("parts/"):
            drawn.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(env, "get_template", counting)
    monkeypatch.setattr(jinja, "_PARTS", {})
    first = client.get("/").content.decode()
    second = client.get("/").content.decode()
    assert sorted(drawn) == [
        "parts/cookie-banner.html",
        "parts/footer.html",
        "parts/header.html",
        "parts/phase-banner.html",
        "parts/skip-link.html",
    ]
    assert "govuk-cookie-banner" in second and "govuk-footer" in second
    assert first.count("govuk-phase-banner") == second.count("govuk-phase-banner") > 0


def test_the_directory_download_uses_words_with_codes_in_their_own_columns(client):
    import csv
    import io

    OrganisationFactory(
        name="Words Not Codes",
        legal_form="cio",
        sector="voluntary",
        annual_income=Decimal("50000"),
        led_by_women=True,
    )
    text = client.get(reverse("organisation-list") + "?format=csv&q=Words").content.decode()
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert row["legal_form"] == "Charitable incorporated organisation (CIO)"
    assert row["legal_form_code"] == "cio"
    assert row["sector"] == "Voluntary and community" and row["sector_code"] == "voluntary"
    assert row["size_band"] == "Small (£10,000 to £99,999)" and row["size_band_code"] == "small"
    assert row["led_by_women"] == "Yes" and row["led_by_disabled"] == "No"


def test_feedback_is_stored_and_read_by_system_administrators(client, signed_in, make_member):
    from fullvalue.web.kernel.models import Feedback

    url = reverse("feedback")
    blank = client.post(url, {"text": "  ", "email": "not-an-email"})
    assert blank.status_code == 400
    assert 'href="#text"' in blank.content.decode() and 'href="#email"' in blank.content.decode()
    sent = client.post(
        url, {"text": "The map is hard to read.", "email": "me@example.org", "about_page": "/"}
    )
    assert sent.status_code == 302
    assert Feedback.objects.get().text == "The map is hard to read."
    provider = signed_in(make_member(Role.PROVIDER_ADMIN)).get(url).content.decode()
    assert "The map is hard to read." not in provider
    admin = make_member(Role.SYSTEM_ADMIN, legal_form="public_body", sector="public")
    page = signed_in(admin).get(url).content.decode()
    assert "The map is hard to read." in page and "reply to me@example.org" in page


def test_the_audit_trail_reads_in_words_with_the_day_it_was_about(signed_in, make_member):
    from django.db import transaction

    from fullvalue.web.accounts.services import actor_for_membership
    from fullvalue.web.audit.services import audit_record

    commissioner = make_member(Role.COMMISSIONER, legal_form="public_body", sector="public")
    provider = make_member(Role.PROVIDER_ADMIN, name="Harbour Lights Trust")
    with transaction.atomic():
        audit_record(
            actor=actor_for_membership(commissioner),
            action="contract.milestone_met",
            object_type="milestone",
            object_id=7,
            object_repr="Centre open",
            before={"met_on": None, "status": "in_progress", "provider": None},
            after={
                "met_on": "2025-06-16",
                "status": "met_in_full",
                "provider": provider.organisation_id,
            },
        )
    auditor = make_member(Role.AUDITOR, legal_form="public_body", sector="public")
    page = signed_in(auditor).get(reverse("audit-list")).content.decode()
    assert "Contract milestone met" in page
    assert html.escape(commissioner.user.full_name) in page and "Commissioner" in page
    assert "About: met on 16 June 2025" in page
    assert "in progress → met in full" in page
    assert "Harbour Lights Trust" in page and f"organisation {provider.organisation_id}" not in page
