"""Attach ``request.actor``: the signed-in person acting through one membership."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from fullvalue.domain.roles import Role, needs_second_factor
from fullvalue.web.accounts.models import Membership
from fullvalue.web.accounts.selectors import memberships_for_user
from fullvalue.web.audit.selectors import write_version_for
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.kernel.caching import cached

SESSION_MEMBERSHIP = "membership_id"
_LOADED = "_fullvalue_memberships"


def user_needs_second_factor(memberships: list[Membership]) -> bool:
    """Anyone holding a commissioner, evaluator or system admin role must use a second factor."""
    return needs_second_factor({Role(m.role) for m in memberships})


def actor_from_request(request: HttpRequest) -> Actor:
    """Build the actor for a browser request (anonymous unless fully signed in)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return Actor.anonymous()
    # Every change to a membership or an organisation's name is an audited write, so the list
    # read under the request's write version is never stale (decision 0005); it saves the most
    # expensive query of every signed-in page.
    memberships: list[Membership] = cached(
        "memberships",
        [user.id, write_version_for(request)],
        lambda: list(
            Membership.objects.filter(user=user, is_active=True)
            .select_related("organisation")
            .order_by("id")
        ),
    )
    setattr(request, _LOADED, memberships)
    if user_needs_second_factor(memberships) and not user.is_verified():
        return Actor.anonymous()
    chosen = None
    wanted = request.session.get(SESSION_MEMBERSHIP)
    for m in memberships:
        if m.id == wanted:
            chosen = m
    if chosen is None and memberships:
        chosen = memberships[0]
    if chosen is None:
        return Actor(user_id=user.id, email=user.email, full_name=user.full_name)
    return Actor(
        user_id=user.id,
        email=user.email,
        membership_id=chosen.id,
        organisation_id=chosen.organisation_id,
        role=Role(chosen.role),
        via="web",
        full_name=user.full_name,
        organisation_name=chosen.organisation.name,
        membership_count=len(memberships),
    )


def own_memberships(request: HttpRequest) -> list[Membership]:
    """The signed-in person's active memberships, by organisation name and role.

    The middleware has already read them (with their organisations) to choose the actor's
    membership; pages that list them reuse that read instead of repeating it.
    """
    loaded: list[Membership] | None = getattr(request, _LOADED, None)
    if loaded is None:
        return memberships_for_user(request.actor)  # type: ignore[attr-defined]
    return sorted(loaded, key=lambda m: (m.organisation.name, m.role))


class ActorMiddleware:
    """Sets ``request.actor`` for every request (after authentication and OTP)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(("/static/", "/healthz")):
            request.actor = Actor.anonymous()  # type: ignore[attr-defined]
        else:
            request.actor = actor_from_request(request)  # type: ignore[attr-defined]
        return self.get_response(request)
