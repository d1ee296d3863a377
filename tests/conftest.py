"""Shared fixtures: actors in every role, signed-in clients, and API clients with tokens."""

from __future__ import annotations

import pytest

from fullvalue.domain.roles import Role


@pytest.fixture
def make_member(db):
    """Create a person holding ``role`` in an organisation (a new one unless given)."""
    from tests.web.factories import MembershipFactory, OrganisationFactory

    def make(role: Role, organisation=None, **org_kwargs):
        org = organisation or OrganisationFactory(**org_kwargs)
        return MembershipFactory(role=role.value, organisation=org)

    return make


@pytest.fixture
def actor_for(db):
    """The service-layer actor of a membership."""
    from fullvalue.web.accounts.services import actor_for_membership

    def make(membership):
        return actor_for_membership(membership)

    return make


@pytest.fixture
def signed_in(client, db):
    """Sign a membership's person in on the test client (with a verified second factor)."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from fullvalue.web.accounts.middleware import SESSION_MEMBERSHIP
    from tests.web.factories import totp_for

    def sign(membership):
        client.force_login(membership.user)
        session = client.session
        session[SESSION_MEMBERSHIP] = membership.id
        device = totp_for(membership.user)
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    return sign


@pytest.fixture
def api_token(db):
    """A bearer token string for a membership."""
    from fullvalue.web.accounts.services import actor_for_membership, api_token_create

    def make(membership, name="test token"):
        _, secret = api_token_create(actor=actor_for_membership(membership), name=name)
        return secret

    return make


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (pages cache fragments and summaries)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _own_checkpoints_and_heartbeats(settings, tmp_path_factory):
    """Audit checkpoints and worker heartbeats in a folder of the test's own, not var/."""
    folder = tmp_path_factory.mktemp("var")
    settings.AUDIT_CHECKPOINT_DIR = str(folder / "audit-checkpoints")
    settings.WORKER_HEARTBEAT_DIR = str(folder / "heartbeats")
