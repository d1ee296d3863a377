"""factory_boy factories for the web tests."""

from __future__ import annotations

import factory
from django_otp.plugins.otp_totp.models import TOTPDevice

from fullvalue.domain.roles import Role
from fullvalue.web.accounts.models import Membership, User
from fullvalue.web.organisations.models import Identifier, Organisation

PASSWORD = "correct-horse-battery-staple"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Organisation {n:03d}")
    slug = factory.Sequence(lambda n: f"organisation-{n:03d}")
    legal_form = "registered_charity"
    sector = "voluntary"
    annual_income = 250000
    contact_email = factory.Sequence(lambda n: f"contact{n}@example.org")
    contact_phone = "01632 960 001"
    internal_notes = "private note"

    @factory.post_generation
    def charity_number(obj, create, extracted, **kwargs):
        if create and obj.legal_form in ("registered_charity", "cio"):
            Identifier.objects.create(
                organisation=obj, value=f"GB-CHC-{1100000 + obj.id}", is_primary=True
            )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.PROVIDER_ADMIN.value


def totp_for(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="test", confirmed=True)
