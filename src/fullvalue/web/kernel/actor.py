"""Who is acting: a person in one of their memberships, a machine token, or the system.

Every service and selector takes an :class:`Actor` and decides from it; views and API endpoints
only build it (from the session or the token) and pass it on.
"""

from __future__ import annotations

from dataclasses import dataclass

from fullvalue.domain.roles import READ_ONLY, Role
from fullvalue.errors import PermissionDenied


@dataclass(frozen=True)
class Actor:
    """The acting person (or system) and the membership they act through."""

    user_id: int | None
    email: str
    membership_id: int | None = None
    organisation_id: int | None = None
    role: Role | None = None
    via: str = "web"
    full_name: str = ""
    organisation_name: str = ""
    membership_count: int = 0

    @property
    def role_label(self) -> str:
        """The role's human label."""
        return self.role.label if self.role else ""

    @classmethod
    def anonymous(cls) -> Actor:
        """Someone not signed in: sees public data only."""
        return cls(user_id=None, email="", via="web")

    @classmethod
    def system(cls, name: str) -> Actor:
        """A command or task acting on its own authority (e.g. the demo loader)."""
        return cls(user_id=None, email=f"system:{name}", role=Role.SYSTEM_ADMIN, via="system")

    @property
    def is_authenticated(self) -> bool:
        """Whether a person or system is acting (not an anonymous visitor)."""
        return self.user_id is not None or self.via == "system"

    @property
    def is_system_admin(self) -> bool:
        """Whether the actor acts as a system administrator."""
        return self.role == Role.SYSTEM_ADMIN

    def has_role(self, *roles: Role) -> bool:
        """Whether the current membership's role is one of ``roles``."""
        return self.role in roles

    def belongs_to(self, organisation_id: int | None) -> bool:
        """Whether the actor's current membership is in this organisation."""
        return organisation_id is not None and self.organisation_id == organisation_id

    def require_role(self, *roles: Role, message: str | None = None) -> None:
        """Raise :class:`PermissionDenied` unless the actor holds one of ``roles``."""
        if not self.has_role(*roles):
            raise PermissionDenied(message or "Your role does not allow this.")

    def require_can_write(self) -> None:
        """Raise :class:`PermissionDenied` for read-only roles (auditor, community member)."""
        if not self.is_authenticated:
            raise PermissionDenied("Sign in to do that.")
        if self.role in READ_ONLY:
            raise PermissionDenied(
                f"{self.role.label if self.role else 'Your role'} is read-only: "
                "you can read but not change anything."
            )
