"""django-import-export resources for Participant that check what our importer checks.

Field values are parsed by widgets (dates in ISO or UK form); the rules our importer applies
are raised as ``ValidationError({column: reason})`` from ``before_import_row`` (reference,
duplicate, sex, ethnicity, age band, name, date of birth) and ``import_instance`` (dates in the
future, started before referred, left before started), so each bad row is reported as an
invalid row with its column. The pseudonym is the import id (a widget computes it from the case
reference), so a re-import finds existing participants; the identity is written after the
participant.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets

from fullvalue.web.delivery.imports import AGE_BANDS, ETHNICITIES, SEXES
from fullvalue.web.delivery.models import Participant, ParticipantIdentity
from fullvalue.web.delivery.pseudonyms import pseudonym

REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,59}$")
FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


def _date_widget() -> widgets.DateWidget:
    widget = widgets.DateWidget()
    widget.formats = FORMATS
    return widget


class PseudonymWidget(widgets.Widget):
    """Turns a case reference into the participant's pseudonym on the contract."""

    def __init__(self, contract_id: int, provider_id: int) -> None:
        super().__init__()
        self.contract_id, self.provider_id = contract_id, provider_id

    def clean(self, value, row=None, **kwargs):
        return pseudonym(self.contract_id, self.provider_id, value or "")


def participant_resource(contract_id: int, provider_id: int, *, bulk: bool):
    """A ModelResource class for one contract and provider; ``bulk`` sets ``use_bulk``."""

    class ParticipantResource(resources.ModelResource):
        pseudonym = fields.Field(
            attribute="pseudonym",
            column_name="case_reference",
            widget=PseudonymWidget(contract_id, provider_id),
        )
        referred_on = fields.Field("referred_on", "referred_on", widget=_date_widget())
        started_on = fields.Field("started_on", "started_on", widget=_date_widget())
        left_on = fields.Field("left_on", "left_on", widget=_date_widget())

        class Meta:
            model = Participant
            fields = (
                "pseudonym",
                "cohort",
                "sex",
                "ethnicity",
                "age_band",
                "referred_on",
                "started_on",
                "left_on",
            )
            import_id_fields = ("pseudonym",)
            use_bulk = bulk
            skip_diff = bulk  # the documented companion of use_bulk

        def __init__(self) -> None:
            super().__init__()
            self.seen: dict[str, int] = {}
            self.today = dt.date.today()
            self.dob_widget = _date_widget()

        def get_queryset(self):
            return Participant.objects.filter(contract_id=contract_id)

        def before_import_row(self, row, **kwargs):
            errors = {}
            ref = (row.get("case_reference") or "").strip()
            if not REF.match(ref):
                errors["case_reference"] = "case_reference must be 1-60 letters, digits, / _ . or -"
            elif ref.upper() in self.seen:
                errors["case_reference"] = (
                    f"case_reference {ref} also appears in row {self.seen[ref.upper()]}"
                )
            else:
                self.seen[ref.upper()] = kwargs["row_number"] + 1
            sex = (row.get("sex") or "").strip().lower()
            if sex and sex not in SEXES:
                errors["sex"] = f"sex must be one of {', '.join(sorted(SEXES))}"
            ethnicity = (row.get("ethnicity") or "").strip().lower()
            if ethnicity and ethnicity not in ETHNICITIES:
                errors["ethnicity"] = "ethnicity must be a Census 2021 category"
            band = (row.get("age_band") or "").strip()
            if band and band not in AGE_BANDS:
                errors["age_band"] = f"age_band must be one of {', '.join(sorted(AGE_BANDS))}"
            name = (row.get("full_name") or "").strip()
            if len(name) > 200 or any(ord(ch) < 32 for ch in name):
                errors["full_name"] = "full_name is too long or has control characters"
            try:
                born = self.dob_widget.clean((row.get("date_of_birth") or "").strip())
                if born and born > self.today:
                    errors["date_of_birth"] = "date_of_birth is in the future"
            except ValueError:
                errors["date_of_birth"] = "date_of_birth is not a real date"
                born = None
            if errors:
                raise ValidationError(errors)
            row["case_reference"], row["sex"], row["ethnicity"] = ref, sex, ethnicity
            row["cohort"] = (row.get("cohort") or "").strip()[:40]
            self._identity = (ref, name, born)

        def after_init_instance(self, instance, new, row, **kwargs):
            instance.contract_id, instance.provider_id = contract_id, provider_id
            instance.fv_new = new
            instance.fv_identity = self._identity

        def import_instance(self, instance, row, **kwargs):
            super().import_instance(instance, row, **kwargs)
            errors = {}
            for column in ("referred_on", "started_on", "left_on"):
                value = getattr(instance, column)
                if value and value > self.today:
                    errors[column] = f"{column} is in the future"
            if not instance.referred_on and "referred_on" not in errors:
                errors["referred_on"] = "referred_on is required"
            referred, started, left = instance.referred_on, instance.started_on, instance.left_on
            if referred and started and started < referred:
                errors["started_on"] = "started_on is before referred_on"
            if started and left and left < started:
                errors["left_on"] = "left_on is before started_on"
            if errors:
                raise ValidationError(errors)

        def after_save_instance(self, instance, row, **kwargs):
            if not self._meta.use_bulk and instance.fv_new:
                ref, name, born = instance.fv_identity
                ParticipantIdentity.objects.create(
                    participant=instance, case_reference=ref, full_name=name, date_of_birth=born
                )

        def bulk_create(
            self, using_transactions, dry_run, raise_errors, batch_size=None, result=None
        ):
            pending = list(self.create_instances)
            super().bulk_create(using_transactions, dry_run, raise_errors, batch_size, result)
            if not pending or pending[0].pk is None:
                return
            try:
                ParticipantIdentity.objects.bulk_create(
                    [
                        ParticipantIdentity(
                            participant=p,
                            case_reference=p.fv_identity[0],
                            full_name=p.fv_identity[1],
                            date_of_birth=p.fv_identity[2],
                        )
                        for p in pending
                    ],
                    batch_size=batch_size,
                )
            except Exception as exc:  # reported like the library reports its own batch errors
                self.handle_import_error(result, exc, raise_errors)

    return ParticipantResource
