"""Tenders, lots, award criteria, clarifications, consortium bids, evaluation and award."""

from __future__ import annotations

from django.db import models


class Tender(models.Model):
    """A contracting process for a programme: procedure, timeline, lots and award criteria."""

    class Procedure(models.TextChoices):
        OPEN = "open", "Open procedure"
        COMPETITIVE_FLEXIBLE = "competitive_flexible", "Competitive flexible procedure"
        GRANT = "grant", "Grant competition"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open for bids"
        EVALUATION = "evaluation", "Under evaluation"
        STANDSTILL = "standstill", "In standstill"
        AWARDED = "awarded", "Awarded"
        CANCELLED = "cancelled", "Cancelled"

    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.PROTECT, related_name="tenders"
    )
    commissioner = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="tenders"
    )
    reference = models.CharField(max_length=40, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField()
    procedure = models.CharField(max_length=24, choices=Procedure.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    consortium_deadline = models.DateTimeField(null=True, blank=True)
    clarification_deadline = models.DateTimeField(null=True, blank=True)
    submission_deadline = models.DateTimeField(null=True, blank=True)
    social_value_reason = models.TextField(
        blank=True, help_text="why social value carries less than 10%, if it does"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


class Lot(models.Model):
    """A lot: by area or cohort; may be reserved or sized for small organisations."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="lots")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    area = models.ForeignKey(
        "organisations.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cohort = models.CharField(max_length=200, blank=True)
    value = models.DecimalField(max_digits=14, decimal_places=2, help_text="GBP, estimated")
    reserved_for_small = models.BooleanField(
        default=False, help_text="only organisations with income under £1m may lead a bid"
    )

    class Meta:
        ordering = ["tender", "number"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "number"], name="lot_number_unique")
        ]

    def __str__(self) -> str:
        return f"Lot {self.number}: {self.title}"


class AwardCriterion(models.Model):
    """A weighted criterion: price (by formula), quality or social value (0-5 scale)."""

    class Kind(models.TextChoices):
        PRICE = "price", "Price"
        QUALITY = "quality", "Quality"
        SOCIAL_VALUE = "social_value", "Social value"

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="criteria")
    order = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    weight = models.DecimalField(max_digits=5, decimal_places=2, help_text="percentage points")
    question = models.TextField(blank=True)
    descriptors = models.JSONField(default=dict, help_text="score (0-5) -> descriptor")

    class Meta:
        ordering = ["tender", "order", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.weight}%)"


class PassFailQuestion(models.Model):
    """A question a bid must pass (e.g. insurance, safeguarding policy)."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="pass_fail")
    text = models.CharField(max_length=500)

    def __str__(self) -> str:
        return self.text


class Interest(models.Model):
    """An organisation registered interest in a tender (and so hears of amendments)."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="interests")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="tender_interests"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tender", "organisation"], name="interest_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} in {self.tender}"


class Clarification(models.Model):
    """A question from a bidder, answered anonymously and published to all."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="clarifications")
    asked_by = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    question = models.TextField()
    answer = models.TextField(blank=True)
    asked_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["asked_at", "id"]

    def __str__(self) -> str:
        return self.question[:60]


class Amendment(models.Model):
    """A change to a published tender: what changed, why, and who was told."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="amendments")
    summary = models.TextField()
    changes = models.JSONField(default=dict)
    notified = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.summary[:60]


class PartnerInterest(models.Model):
    """Partner finder: an organisation says it wants to join a consortium for a lot."""

    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="partner_interests")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    role_sought = models.CharField(
        max_length=20,
        choices=[
            ("lead", "Lead organisation"),
            ("member", "Consortium member"),
            ("subcontractor", "Sub-contractor"),
        ],
    )
    offer = models.TextField(help_text="what the organisation brings")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["lot", "organisation"], name="partner_interest_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} for {self.lot}"


class Bid(models.Model):
    """A bid for a lot by one organisation or a consortium; contents sealed until the deadline.

    ``sealed`` holds the encrypted contents of the last submitted version (price, answers, social
    value commitments, shares, declarations), empty until the bid is first submitted; nothing
    about a bid is readable at the commissioner before the deadline. ``draft`` holds the encrypted
    working copy the lead's team is editing (null when it equals the submitted version): only the
    lead's team and the organisations it names ever read it.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        WITHDRAWN = "withdrawn", "Withdrawn"

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="bids")
    lead = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="led_bids"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    sealed = models.BinaryField()
    draft = models.BinaryField(null=True, blank=True)
    draft_saved_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["lot", "id"]

    def __str__(self) -> str:
        return f"Bid {self.id} for {self.lot}"


class BidParty(models.Model):
    """An organisation in a bid: the lead, a consortium member or a named sub-contractor."""

    class Role(models.TextChoices):
        LEAD = "lead", "Lead organisation"
        MEMBER = "member", "Consortium member"
        SUBCONTRACTOR = "subcontractor", "Sub-contractor"

    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="parties")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="bid_parties"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    confirmed_terms = models.BinaryField(
        null=True, blank=True, help_text="encrypted role and shares the organisation confirmed"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bid", "organisation"], name="bid_party_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.role})"


class PartnerMessage(models.Model):
    """A message through the partner finder to an organisation's administrators.

    The sender never sees the recipient's contact details unless an administrator replies and
    chooses to share them (``contact_shared`` is the snapshot they agreed to share).
    """

    sender = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    sent_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="partner_messages"
    )
    lot = models.ForeignKey(
        Lot, null=True, blank=True, on_delete=models.SET_NULL, related_name="partner_messages"
    )
    body = models.TextField()
    sent_at = models.DateTimeField(auto_now_add=True)
    reply = models.TextField(blank=True)
    contact_shared = models.TextField(blank=True)
    replied_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    replied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"{self.sender} to {self.recipient}"


class EvaluatorAssignment(models.Model):
    """An evaluator on a tender's panel, with their conflict declaration."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="panel")
    evaluator = models.ForeignKey(
        "accounts.Membership", on_delete=models.PROTECT, related_name="assignments"
    )
    declared_at = models.DateTimeField(null=True, blank=True)
    has_conflict = models.BooleanField(default=False)
    conflict_detail = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tender", "evaluator"], name="assignment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.evaluator} on {self.tender}"


class Score(models.Model):
    """One evaluator's independent score (0-5) for one criterion of one bid, with a reason."""

    assignment = models.ForeignKey(
        EvaluatorAssignment, on_delete=models.CASCADE, related_name="scores"
    )
    bid = models.ForeignKey(Bid, on_delete=models.PROTECT, related_name="scores")
    criterion = models.ForeignKey(AwardCriterion, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField()
    reason = models.TextField()
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assignment", "bid", "criterion"], name="score_unique")
        ]

    def __str__(self) -> str:
        return f"{self.score} for {self.criterion}"


class Consensus(models.Model):
    """The moderated consensus score for one criterion of one bid, with the reason."""

    bid = models.ForeignKey(Bid, on_delete=models.PROTECT, related_name="consensus")
    criterion = models.ForeignKey(AwardCriterion, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField()
    reason = models.TextField()
    moderator = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bid", "criterion"], name="consensus_unique")
        ]

    def __str__(self) -> str:
        return f"{self.score} for {self.criterion}"


class Award(models.Model):
    """The award decision for a lot, its standstill period, and the contract it creates."""

    class Status(models.TextChoices):
        STANDSTILL = "standstill", "In standstill"
        CONFIRMED = "confirmed", "Confirmed"

    lot = models.OneToOneField(Lot, on_delete=models.PROTECT, related_name="award")
    bid = models.ForeignKey(Bid, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()
    notice_published_on = models.DateField()
    standstill_ends_on = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.STANDSTILL)
    results = models.JSONField(default=dict, help_text="totals, ranks and per-criterion points")

    def __str__(self) -> str:
        return f"Award of {self.lot}"


class TenderDocument(models.Model):
    """A tender document (specification, contract terms, pricing schedule), public once published.

    Stored in the database so web workers stay stateless; limited in type and size.
    """

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=200)
    document_type = models.CharField(max_length=40)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.title
