"""factory-boy factories for the Django tests: real INSEE départements, valid RPPS keys."""

from __future__ import annotations

from typing import Any

import factory

from cpts.accounts.models import Role, User
from cpts.communities.identifiers import luhn_check_digit
from cpts.communities.models import Community, Member

PASSWORD = "pw-for-tests"


class UserFactory(factory.django.DjangoModelFactory):  # type: ignore[misc]
    """A user of a role; ``departements`` (CPAM) and ``accompanied`` (facilitator) as lists."""

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.NATIONAL

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        departements = kwargs.pop("departements", [])
        accompanied = kwargs.pop("accompanied", [])
        user = model_class.objects.create_user(*args, password=PASSWORD, **kwargs)
        user.departements.set(departements)
        user.accompanied.set(accompanied)
        return user


class CommunityFactory(factory.django.DjangoModelFactory):  # type: ignore[misc]
    class Meta:
        model = Community

    name = factory.Sequence(lambda n: f"CPTS de test {n + 1}")
    departement_id = "59"
    population = 100_000


def rpps(number: int) -> str:
    """A valid RPPS number (11 digits, Luhn key)."""
    body = f"19{number:08d}"
    return body + luhn_check_digit(body)


class MemberFactory(factory.django.DjangoModelFactory):  # type: ignore[misc]
    class Meta:
        model = Member

    community = factory.SubFactory(CommunityFactory)
    kind = Member.Kind.PROFESSIONAL
    name = factory.Sequence(lambda n: f"Dr P{n}")
    rpps = factory.Sequence(rpps)
