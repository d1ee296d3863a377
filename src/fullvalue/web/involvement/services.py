"""Writes for involvement: a community member comments on a programme or a tender."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from fullvalue.errors import FullvalueError, NotFound, Problem
from fullvalue.web.audit.services import audit_record
from fullvalue.web.involvement.models import Comment
from fullvalue.web.involvement.selectors import open_for_comment
from fullvalue.web.kernel.actor import Actor

if TYPE_CHECKING:
    from fullvalue.web.programmes.models import Programme
    from fullvalue.web.tendering.models import Tender

MAX_COMMENT = 2000


@transaction.atomic
def comment_create(
    *, actor: Actor, text: str, programme_id: int | None = None, tender_id: int | None = None
) -> Comment:
    """Store a community member's comment on a programme or tender open in their area.

    Raises :class:`FullvalueError` (field ``text``) when the comment is empty or too long, and
    :class:`NotFound` when the programme or tender is not open for comment in their area.
    """
    # Community members change nothing else: commenting is the one thing they write, so the
    # read-only check is replaced by the area check below.
    open_now = open_for_comment(actor)
    target: Programme | Tender | None
    if programme_id is not None:
        target = next((p for p in open_now.programmes if p.id == programme_id), None)
    else:
        target = next((t for t in open_now.tenders if t.id == tender_id), None)
    if target is None or actor.user_id is None or actor.organisation_id is None:
        raise NotFound("That programme or tender is not open for comment in your area.")
    text = text.strip()
    if not text:
        raise FullvalueError.from_problems(
            "The comment could not be sent.", [Problem("Enter your comment", column="text")]
        )
    if len(text) > MAX_COMMENT:
        raise FullvalueError.from_problems(
            "The comment could not be sent.",
            [Problem(f"A comment must be {MAX_COMMENT:,} characters or fewer", column="text")],
        )
    comment = Comment.objects.create(
        programme_id=programme_id if programme_id is not None else None,
        tender_id=tender_id if programme_id is None else None,
        author_id=actor.user_id,
        organisation_id=actor.organisation_id,
        text=text,
    )
    audit_record(
        actor=actor,
        action="comment.create",
        object_type="programme" if programme_id is not None else "tender",
        object_id=target.id,
        object_repr=target.title,
        after={"comment": comment.id},
        organisation_id=target.commissioner_id,
    )
    return comment
