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


def regulator(departements: list[str] | None = None, **kwargs: Any) -> User:
    """A SAS regulation's user (or its platform's machine account) for some départements."""
    return UserFactory(role=Role.REGULATOR, departements=departements or ["59"], **kwargs)


def volunteer(community: Community | None = None, **member: Any) -> Any:
    """A member of ``community`` volunteering for unscheduled care (a professional with RPPS)."""
    import datetime as dt

    from cpts.unscheduled_care.models import Volunteer

    community = community or CommunityFactory()
    person = MemberFactory(community=community, profession="general_practitioner", **member)
    return Volunteer.objects.create(community=community, member=person, since=dt.date(2022, 1, 1))


def slot(volunteer: Any, start: Any, minutes: int = 20, kinds: tuple[str, ...] = ("SNP",)) -> Any:
    """A free slot of ``volunteer`` starting at ``start`` (aware), written as the community would."""
    import datetime as dt

    from cpts.unscheduled_care.models import Slot

    author = UserFactory(role=Role.COORDINATOR, community=volunteer.community)
    return Slot.objects.create(
        volunteer=volunteer,
        start=start,
        end=start + dt.timedelta(minutes=minutes),
        kinds=list(kinds),
        created_by=author,
    )
