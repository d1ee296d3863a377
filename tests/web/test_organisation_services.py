"""Creating and changing organisations: permissions in the service, not only in views."""

import pytest

from fullvalue.domain.roles import Role
from fullvalue.errors import Conflict, FullvalueError, PermissionDenied
from fullvalue.web.audit.models import AuditEvent
from fullvalue.web.organisations.models import Organisation
from fullvalue.web.organisations.services import organisation_create, organisation_update

pytestmark = pytest.mark.django_db

NEW = {
    "name": "Riverside Recovery",
    "legal_form": "cio",
    "sector": "voluntary",
    "identifiers": ["GB-CHC-1150001"],
    "annual_income": "40000",
    "regions": ["E12000002"],
}


def test_commissioner_adds_an_organisation(make_member, actor_for):
    actor = actor_for(make_member(Role.COMMISSIONER, legal_form="public_body", sector="public"))
    org = organisation_create(actor=actor, data=NEW)
    assert org.slug == "riverside-recovery"
    assert [i.value for i in org.identifiers.all()] == ["GB-CHC-1150001"]
    assert org.size_band.value == "small"
    assert AuditEvent.objects.filter(action="organisation.create", object_id=str(org.id)).exists()


@pytest.mark.parametrize(
    "role", [Role.PROVIDER_ADMIN, Role.PROVIDER_STAFF, Role.INVESTOR, Role.EVALUATOR]
)
def test_other_roles_cannot_add(make_member, actor_for, role):
    with pytest.raises(PermissionDenied):
        organisation_create(actor=actor_for(make_member(role)), data=NEW)
    assert not Organisation.objects.filter(name=NEW["name"]).exists()


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.COMMUNITY_MEMBER])
def test_read_only_roles_cannot_write(make_member, actor_for, role):
    member = make_member(role)
    with pytest.raises(PermissionDenied, match="read-only"):
        organisation_create(actor=actor_for(member), data=NEW)
    with pytest.raises(PermissionDenied):
        organisation_update(
            actor=actor_for(member),
            organisation_id=member.organisation_id,
            data={"town": "X"},
            partial=True,
        )


def test_provider_admin_edits_own_but_not_another(make_member, actor_for):
    mine = make_member(Role.PROVIDER_ADMIN)
    other = make_member(Role.PROVIDER_ADMIN)
    actor = actor_for(mine)
    updated = organisation_update(
        actor=actor, organisation_id=mine.organisation_id, data={"town": "Wigan"}, partial=True
    )
    assert updated.town == "Wigan"
    with pytest.raises(PermissionDenied):
        organisation_update(
            actor=actor, organisation_id=other.organisation_id, data={"town": "X"}, partial=True
        )
    other.organisation.refresh_from_db()
    assert other.organisation.town == ""


def test_provider_staff_cannot_edit_own(make_member, actor_for):
    staff = make_member(Role.PROVIDER_STAFF)
    with pytest.raises(PermissionDenied):
        organisation_update(
            actor=actor_for(staff),
            organisation_id=staff.organisation_id,
            data={"town": "X"},
            partial=True,
        )


def test_invalid_update_changes_nothing(make_member, actor_for):
    mine = make_member(Role.PROVIDER_ADMIN)
    events = AuditEvent.objects.count()
    with pytest.raises(FullvalueError) as exc:
        organisation_update(
            actor=actor_for(mine),
            organisation_id=mine.organisation_id,
            data={"name": "", "annual_income": "-5"},
            partial=True,
        )
    assert {p.column for p in exc.value.problems} == {"name", "annual_income"}
    mine.organisation.refresh_from_db()
    assert mine.organisation.name.startswith("Organisation")
    assert AuditEvent.objects.count() == events


def test_identifier_clash_is_a_conflict(make_member, actor_for):
    actor = actor_for(make_member(Role.SYSTEM_ADMIN))
    organisation_create(actor=actor, data=NEW)
    with pytest.raises(Conflict) as exc:
        organisation_create(actor=actor, data={**NEW, "name": "Copycat"})
    assert "already belongs to Riverside Recovery" in exc.value.problems[0].reason
    assert Organisation.objects.filter(name="Copycat").count() == 0
