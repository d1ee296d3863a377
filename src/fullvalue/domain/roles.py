"""Roles held per organisation membership, and what each may do (pure policy, no Django).

The policy is enforced in services and selectors, so pages, the API and exports agree.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A role a person holds in one organisation."""

    COMMISSIONER = "commissioner"
    EVALUATOR = "evaluator"
    PROVIDER_ADMIN = "provider_admin"
    PROVIDER_STAFF = "provider_staff"
    INVESTOR = "investor"
    COMMUNITY_MEMBER = "community_member"
    AUDITOR = "auditor"
    SYSTEM_ADMIN = "system_admin"

    @property
    def label(self) -> str:
        """Human label."""
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.COMMISSIONER: "Commissioner",
    Role.EVALUATOR: "Evaluator",
    Role.PROVIDER_ADMIN: "Provider administrator",
    Role.PROVIDER_STAFF: "Provider staff",
    Role.INVESTOR: "Social investor",
    Role.COMMUNITY_MEMBER: "Community member",
    Role.AUDITOR: "Auditor",
    Role.SYSTEM_ADMIN: "System administrator",
}

#: Roles whose holders must use a second factor (TOTP) to sign in.
SECOND_FACTOR_ROLES = frozenset({Role.COMMISSIONER, Role.EVALUATOR, Role.SYSTEM_ADMIN})

#: Roles that may read the private fields (contact details, internal notes) of organisations
#: they do not belong to.
READS_ALL_PRIVATE = frozenset({Role.COMMISSIONER, Role.AUDITOR, Role.SYSTEM_ADMIN})

#: Roles that may change their own organisation's profile and invite colleagues.
ADMINISTERS_OWN_ORGANISATION = frozenset({Role.COMMISSIONER, Role.PROVIDER_ADMIN})

#: Roles each administering role may invite into its own organisation.
MAY_INVITE = {
    Role.COMMISSIONER: frozenset({Role.COMMISSIONER, Role.EVALUATOR}),
    Role.PROVIDER_ADMIN: frozenset({Role.PROVIDER_ADMIN, Role.PROVIDER_STAFF}),
    Role.SYSTEM_ADMIN: frozenset(Role),
}

#: Roles that never change anything.
READ_ONLY = frozenset({Role.AUDITOR, Role.COMMUNITY_MEMBER})


def needs_second_factor(roles: set[Role] | frozenset[Role]) -> bool:
    """Whether anyone holding these roles must sign in with a second factor.

    >>> needs_second_factor({Role.PROVIDER_STAFF})
    False
    >>> needs_second_factor({Role.PROVIDER_STAFF, Role.EVALUATOR})
    True
    """
    return bool(SECOND_FACTOR_ROLES & set(roles))
