"""People, their memberships (a role in an organisation), invitations and API tokens."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models

from fullvalue.domain.roles import Role


class UserManager(BaseUserManager["User"]):
    """Creates users identified by email."""

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        """Create a user with a normalised email and a hashed password."""
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    """A person who signs in with email and password (and a second factor for some roles)."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(auto_now_add=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "id"]

    def __str__(self) -> str:
        return self.full_name or self.email


class Membership(models.Model):
    """A role held by a person in one organisation. Roles are never global."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=32, choices=[(r.value, r.label) for r in Role])
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation__name", "role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="membership_unique_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.organisation}"


class Invitation(models.Model):
    """An emailed invitation to join an organisation in a role; the token is stored hashed."""

    email = models.EmailField()
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(max_length=32, choices=[(r.value, r.label) for r in Role])
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return f"Invitation for {self.email} ({self.role})"


class ApiToken(models.Model):
    """A token for a machine client, scoped to one membership (one organisation and role).

    Only a SHA-256 hash of the secret is stored; the full token is shown once, at creation.
    """

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return f"{self.name} (fv_{self.prefix}_…)"
