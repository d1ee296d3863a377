"""Report once in the web service: frameworks, mappings, records, returns submitted and locked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from fullvalue.domain.roles import Role
from fullvalue.errors import Conflict, FullvalueError, PermissionDenied
from fullvalue.web.accounts.models import Membership
from fullvalue.web.delivery.models import OutcomeEvent, Participant
from fullvalue.web.reporting import selectors, services
from fullvalue.web.reporting.models import Submission

PCC = (Path(__file__).parents[2] / "examples" / "frameworks" / "pcc.toml").read_text()
TODAY = dt.date(2026, 12, 6)
Q3 = dt.date(2026, 7, 1)  # the quarter 1 July to 30 September 2026 (financial-year quarters)


@pytest.fixture
def reporting(chain, clock):
    """The chain's commissioner publishes the PCC framework; the prime reports to it."""
    clock["now"] = dt.datetime(2026, 12, 6, 10, tzinfo=dt.UTC)
    contract = chain["contract"]
    framework = services.framework_save(actor=chain["c"], spec_toml=PCC)
    services.framework_adopt(actor=chain["prime"], framework_id=framework.id)
    people = [
        Participant.objects.create(
            contract=contract,
            provider_id=contract.provider_id,
            pseudonym=f"P{i}",
            referred_on=dt.date(2026, 4, 1),
            started_on=dt.date(2026, 4, 10),
            sex="female",
        )
        for i in range(10)
    ]
    for person in people[:6]:  # six settled in the quarter, as the prime's own outcome name
        OutcomeEvent.objects.create(
            participant=person, outcome="housed", occurred_on=dt.date(2026, 8, 3)
        )
    OutcomeEvent.objects.create(  # outside the quarter: not counted
        participant=people[6], outcome="housed", occurred_on=dt.date(2026, 10, 3)
    )
    return {"framework": framework, "people": people, **chain}


def _figures(reporting, start=Q3, end=dt.date(2026, 9, 30)):
    spec = selectors.spec_of(reporting["framework"])
    org = reporting["prime"].organisation_id
    return {
        f["id"]: f["value"]
        for f in selectors.figures_for(spec, selectors.provider_data(org), start, end)
    }


def test_events_count_for_funders_only_once_mapped_and_figures_follow_the_definition(reporting):
    prime = reporting["prime"]
    assert _figures(reporting)["settled_accommodation"] == 0  # not mapped: counts for no funder
    services.mapping_set(actor=prime, own_code="housed", vocabulary_code="accommodation.settled")
    figures = _figures(reporting)
    assert figures["settled_accommodation"] == 6
    assert figures["share_settled"] == pytest.approx(0.6)  # 6 of the 10 active in the quarter
    # A record kept once in the vocabulary counts too (a job start for someone else).
    services.record_add(
        actor=prime,
        data={
            "participant": str(reporting["people"][7].id),
            "recorded_on": "2026-09-01",
            "code": "ete.job_start",
        },
    )
    assert _figures(reporting)["into_work_or_training"] == 1


def test_a_submitted_return_is_locked_audited_and_shows_what_changed_since(
    reporting, signed_in, client
):
    prime = reporting["prime"]
    services.mapping_set(actor=prime, own_code="housed", vocabulary_code="accommodation.settled")
    framework = reporting["framework"]
    with pytest.raises(Conflict, match="not ended"):
        services.return_submit(
            actor=prime, framework_id=framework.id, period_start=dt.date(2026, 10, 1), today=TODAY
        )
    sent = services.return_submit(
        actor=prime, framework_id=framework.id, period_start=Q3, today=TODAY
    )
    assert {f["id"]: f["value"] for f in sent.figures}["settled_accommodation"] == 6
    with pytest.raises(Conflict, match="locked"):
        services.return_submit(actor=prime, framework_id=framework.id, period_start=Q3, today=TODAY)
    from fullvalue.web.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="return.submit", object_id=str(sent.id)).exists()
    # A late record changes today's figure; the page shows it beside what was sent.
    OutcomeEvent.objects.create(
        participant=reporting["people"][8], outcome="housed", occurred_on=dt.date(2026, 9, 2)
    )
    page = signed_in(Membership.objects.get(id=prime.membership_id))
    url = reverse("return-detail", args=[framework.slug, Q3.isoformat()])
    body = page.get(url).content.decode()
    assert "is locked" in body and "changed 2 figures" in body  # count and share
    csv = page.get(url + "?format=csv").content.decode()
    assert "People moved into settled accommodation" in csv and ",7," in csv


def test_staff_prepare_returns_administrators_submit_and_others_cannot_see_them(
    reporting, make_member, actor_for, client, api_token
):
    prime_org = reporting["contract"].provider_id
    staff = actor_for(make_member(Role.PROVIDER_STAFF, organisation=reporting["contract"].provider))
    framework = reporting["framework"]
    with pytest.raises(PermissionDenied, match="administrator"):
        services.return_submit(actor=staff, framework_id=framework.id, period_start=Q3, today=TODAY)
    services.return_submit(
        actor=reporting["prime"], framework_id=framework.id, period_start=Q3, today=TODAY
    )

    # The framework's owner receives it through the API; another provider sees nothing.
    def bearer(actor):
        token = api_token(Membership.objects.get(id=actor.membership_id))
        return {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    owner, other = bearer(reporting["c"]), bearer(reporting["other"])
    received = client.get("/api/v1/returns", **owner).json()
    assert [(r["provider_id"], r["period_start"]) for r in received["items"]] == [
        (prime_org, "2026-07-01")
    ]
    assert client.get("/api/v1/returns", **other).json()["items"] == []
    assert Submission.objects.count() == 1


def test_records_are_checked_field_by_field(reporting, make_member, actor_for):
    prime = reporting["prime"]
    person = reporting["people"][0]
    for data, column in (
        (
            {"participant": str(person.id), "recorded_on": "2026-02-30", "code": "ete.job_start"},
            "recorded_on",
        ),
        (
            {"participant": str(person.id), "recorded_on": "2026-09-01", "code": "ete.job_strat"},
            "code",
        ),
        (
            {
                "participant": str(person.id),
                "recorded_on": "2026-09-01",
                "code": "star.work",
                "value": "11",
            },
            "value",
        ),
        (
            {"participant": str(person.id), "recorded_on": "2099-01-01", "code": "ete.job_start"},
            "recorded_on",
        ),
    ):
        with pytest.raises(FullvalueError) as refused:
            services.record_add(actor=prime, data=data)
        assert column in [p.column for p in refused.value.problems], data
    # Someone else's participant is refused; a reading within the scale is kept.
    with pytest.raises(FullvalueError) as refused:
        services.record_add(
            actor=reporting["other"],
            data={
                "participant": str(person.id),
                "recorded_on": "2026-09-01",
                "code": "ete.job_start",
            },
        )
    assert [p.column for p in refused.value.problems] == ["participant"]
    kept = services.record_add(
        actor=prime,
        data={
            "participant": str(person.id),
            "recorded_on": "2026-09-01",
            "code": "star.work",
            "value": "7",
        },
    )
    assert kept.value == Decimal(7)


def test_a_framework_is_checked_by_the_engine_and_the_burden_counts_what_is_asked(reporting):
    with pytest.raises(FullvalueError):
        services.framework_save(
            actor=reporting["c"], spec_toml=PCC.replace('"quarter"', '"fortnight"')
        )
    with pytest.raises(FullvalueError, match="needs correcting"):
        services.framework_save(actor=reporting["c"], spec_toml=PCC)  # the same id again
    burden = selectors.burden(reporting["prime"].organisation_id)
    # 5 indicators, in total and by 4 breakdowns; nothing mapped or recorded yet
    assert (burden.funders, burden.figures_asked, burden.things_recorded) == (1, 25, 0)


def test_pages_for_the_provider_and_the_commissioner(reporting, signed_in):
    prime = Membership.objects.get(id=reporting["prime"].membership_id)
    page = signed_in(prime)
    home = page.get(reverse("reporting")).content.decode()
    assert "1 funder, 25 figures asked" in home and "not mapped yet" in home
    assert "Figures each funder asks for every period" in home  # the chart's data table
    codes = page.post(reverse("reporting-codes"), {"map-housed": "accommodation.settled"})
    assert codes.status_code == 302
    assert selectors.mappings_of(prime.organisation_id) == {"housed": "accommodation.settled"}
    page.logout()
    commissioner = signed_in(Membership.objects.get(id=reporting["c"].membership_id))
    received = commissioner.get(reverse("reporting"))
    assert received.status_code == 200 and "Returns received" in received.content.decode()
    assert commissioner.get(reverse("reporting") + "?format=xlsx").status_code == 200


def test_the_records_behind_a_figure_and_its_breakdowns_are_one_click_away(reporting, signed_in):
    prime = reporting["prime"]
    services.mapping_set(actor=prime, own_code="housed", vocabulary_code="accommodation.settled")
    page = signed_in(Membership.objects.get(id=prime.membership_id))
    slug = reporting["framework"].slug
    body = page.get(reverse("return-detail", args=[slug, Q3.isoformat()])).content.decode()
    url = reverse("return-records", args=[slug, Q3.isoformat(), "settled_accommodation"])
    assert url in body
    assert "By sex" in body and "Not recorded" in body  # ethnicity was not recorded
    records = page.get(url).content.decode()
    assert records.count("Moved into settled accommodation") == 6 and "P0" in records
    csv = page.get(url + "?format=csv").content.decode().splitlines()
    assert csv[0] == "Participant,Date,Recorded as,Value" and len(csv) == 7
    assert page.get(url.replace("settled_accommodation", "nope")).status_code == 404
    # Another provider cannot read them.
    page.logout()
    other = signed_in(Membership.objects.get(id=reporting["other"].membership_id))
    assert other.get(url).status_code == 404


def test_a_commissioner_publishes_a_framework_from_a_plain_form(chain, signed_in, make_member):
    """No TOML to write: the form's fields become the engine's framework; problems name fields."""
    page = signed_in(Membership.objects.get(id=chain["c"].membership_id))
    url = reverse("framework-new")
    form = page.get(url).content.decode()
    assert "Publish a monitoring framework" in form and "Outcome it counts" in form
    more = page.post(url, {"action": "add-row", "rows": "3", "title": "Kept"})
    assert more.content.decode().count("What the figure is called") == 4
    base = {
        "action": "save",
        "rows": "2",
        "title": "Housing return",
        "funder": "Northshire PCC",
        "period": "half-year",
        "year_start_month": "4",
        "breakdowns": ["sex"],
        "indicator-0-label": "People housed",
        "indicator-0-measure": "participants",
        "indicator-0-code-1": "accommodation.settled",
        "indicator-1-label": "Change at home",
        "indicator-1-measure": "mean_change",
        "indicator-1-code-1": "star.home",
        "indicator-1-code-2": "star.work",  # a change is of one scale only
    }
    refused = page.post(url, base)
    assert refused.status_code == 400
    assert 'href="#indicator-1-code-1"' in refused.content.decode()
    done = page.post(url, base | {"indicator-1-code-2": ""})
    assert done.status_code == 302
    spec = selectors.spec_of(selectors.framework_by_slug("housing-return"))
    assert (spec.period, spec.year_start, spec.breakdowns) == ("half-year", (4, 1), ("sex",))
    assert [(i.label, i.measure, i.codes) for i in spec.indicators] == [
        ("People housed", "participants", ("accommodation.settled",)),
        ("Change at home", "mean_change", ("star.home",)),
    ]
    toml = page.get(reverse("framework-file", args=["housing-return"]))
    assert toml.content.decode().startswith('id = "housing-return"')
    # Provider staff cannot publish frameworks (a prime's administrator can, for its partners).
    page.logout()
    staff = make_member(Role.PROVIDER_STAFF, organisation=chain["contract"].provider)
    assert signed_in(staff).get(url).status_code == 403


def test_an_off_platform_funders_return_downloads_in_its_own_layout(reporting, signed_in):
    prime = reporting["prime"]
    services.mapping_set(actor=prime, own_code="housed", vocabulary_code="accommodation.settled")
    page = signed_in(Membership.objects.get(id=prime.membership_id))
    slug = reporting["framework"].slug
    url = reverse("return-detail", args=[slug, Q3.isoformat()])
    standard = page.get(url + "?format=csv&layout=funder").content.decode().splitlines()
    assert standard[0].startswith("Organisation,Period start,Period end,People moved into")
    layout = reverse("return-layout", args=[slug])
    form = page.get(layout).content.decode()
    assert 'name="heading-3"' in form  # the first indicator's column
    # The funder wants: its own heading for the housing count first, the period end, nothing else.
    posted = {f"heading-{n}": "" for n in range(8)} | {
        "heading-2": "Quarter ending",
        "position-2": "2",
        "heading-3": "Housed (number)",
        "position-3": "1",
    }
    assert page.post(layout, posted).status_code == 302
    rows = page.get(url + "?format=csv&layout=funder").content.decode().splitlines()
    assert rows == ["Housed (number),Quarter ending", "6,2026-09-30"]
    twice = posted | {"heading-2": "Housed (number)"}
    refused = page.post(layout, twice)
    assert refused.status_code == 400 and "different heading" in refused.content.decode()


def test_a_prime_asking_more_of_its_partners_than_its_funders_ask_of_it_is_flagged(
    reporting, signed_in
):
    """The prime reports 25 figures a period to the PCC; asking its sub-contractor for more is
    flagged to both (Merlin: proportionate monitoring)."""
    prime, sub = reporting["prime"], reporting["sub"]
    heavy = PCC.replace('"pcc-reducing-reoffending"', '"prime-monitoring"').replace(
        '[[indicators]]\nid = "settled_accommodation"',
        '[[indicators]]\nid = "extra"\nlabel = "Extra"\nmeasure = "records"\n'
        'codes = ["ete.job_start"]\n\n[[indicators]]\nid = "settled_accommodation"',
    )
    mine = services.framework_save(actor=prime, spec_toml=heavy)
    flag = selectors.proportion(mine)
    assert (flag.asked_of_partners, flag.asked_of_prime, flag.excessive) == (30, 25, True)
    assert selectors.proportion(reporting["framework"]) is None  # a commissioner's
    page = signed_in(Membership.objects.get(id=sub.membership_id))
    offered = page.get(reverse("reporting")).content.decode()
    assert "asks more of its partners (30 figures a period)" in offered
    services.framework_adopt(actor=sub, framework_id=mine.id)
    light = PCC.replace('"pcc-reducing-reoffending"', '"prime-light"').replace(
        'breakdowns = ["sex", "ethnicity", "age_band", "area"]', "breakdowns = []"
    )
    assert not selectors.proportion(services.framework_save(actor=prime, spec_toml=light)).excessive


def test_records_import_names_each_bad_row_and_keeps_each_record_once(reporting, signed_in):
    """On the kernel's import pipeline: row and column named; valid-only choice; idempotent."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fullvalue.web.reporting.imports import record_import_run, records_import
    from fullvalue.web.reporting.models import OutcomeRecord

    prime = reporting["prime"]
    services.mapping_set(actor=prime, own_code="housed", vocabulary_code="accommodation.settled")
    csv = (
        b"participant,date,code,value\n"
        b"P1,2026-09-01,ete.job_start,\n"
        b"P2,01/09/2026,Started paid work,\n"  # the code's words, a UK date
        b"P3,2026-09-02,housed,\n"  # the provider's own mapped code
        b"P4,2026-09-03,star.work,7\n"
        b"P5,2026-09-03,star.work,11\n"  # a reading is 1-10
        b"NOBODY,2026-09-03,ete.job_start,\n"
        b"P6,2026-02-30,ete.job_start,\n"
        b"P7,2026-09-03,ete.job_strat,\n"
        b"P1,2026-09-01,ete.job_start,\n"  # the same record again
    )
    first, job = records_import(actor=prime, filename="r.csv", content=csv)
    assert job is None and not first.written and first.added == 4 and first.bad_rows == 5
    where = {(p.row, p.column) for p in first.problems}
    assert where == {(6, "value"), (7, "participant"), (8, "date"), (9, "code"), (10, "code")}
    assert "row 2" in next(p.reason for p in first.problems if p.row == 10)
    assert not OutcomeRecord.objects.exists()  # nothing written
    done, job = records_import(actor=prime, filename="r.csv", content=csv, valid_rows_only=True)
    assert done.written and job is not None and job.total_rows == 4
    assert not OutcomeRecord.objects.exists()  # the task worker writes them
    assert record_import_run(job.id)["added"] == 4
    assert record_import_run(job.id)["added"] == 4  # run again (after a crash): nothing twice
    assert OutcomeRecord.objects.count() == 4
    again, job = records_import(actor=prime, filename="r.csv", content=csv, valid_rows_only=True)
    assert job is None and again.added == 0 and again.unchanged == 4
    changed, _ = records_import(
        actor=prime,
        filename="r.csv",
        content=b"participant,date,code,value\nP4,2026-09-03,star.work,8\n",
    )
    [problem] = changed.problems
    assert "value: 8 in the file, 7" in problem.reason and problem.column == "value"
    assert _figures(reporting)["into_work_or_training"] == 2
    # The page: problems listed, then the valid rows imported on request.
    page = signed_in(Membership.objects.get(id=prime.membership_id))
    url = reverse("records-upload")
    bad = page.post(url, {"file": SimpleUploadedFile("r.csv", csv)})
    assert bad.status_code == 200 and "row 8, column date" in bad.content.decode()
    assert page.get(url + "?format=csv").content.decode().startswith("participant,date,code,value")
    one = b"participant,date,code,value\nP9,2026-09-05,ete.qualification,\n"
    queued = page.post(url, {"file": SimpleUploadedFile("q.csv", one)})
    assert queued.status_code == 302
    progress = page.get(queued["Location"]).content.decode()
    assert "0 of 1 records written" in progress
    record_import_run(int(queued["Location"].rstrip("/").rsplit("/", 1)[1]))
    assert "Records imported" in page.get(queued["Location"]).content.decode()


def test_codes_are_mapped_from_a_spreadsheet_all_or_nothing(reporting, signed_in):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fullvalue.web.reporting.imports import mappings_import

    prime = reporting["prime"]
    bad = b"own_code,vocabulary_code\nhoused,Moved into settled accommodation\njob,ete.job_strat\n"
    mapped, problems = mappings_import(actor=prime, filename="m.csv", content=bad)
    assert mapped == 0 and [(p.row, p.column) for p in problems] == [(3, "vocabulary_code")]
    assert selectors.mappings_of(prime.organisation_id) == {}
    page = signed_in(Membership.objects.get(id=prime.membership_id))
    good = bad.replace(b"ete.job_strat", b"ete.job_start")
    done = page.post(
        reverse("reporting-codes"), {"action": "upload", "file": SimpleUploadedFile("m.csv", good)}
    )
    assert done.status_code == 302
    assert selectors.mappings_of(prime.organisation_id) == {
        "housed": "accommodation.settled",
        "job": "ete.job_start",
    }
