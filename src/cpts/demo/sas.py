"""The demo's SAS: the regulation of the Hauts-de-France départements (a machine account ``sas``
for the SAS platform, a human regulator ``regulation``), and the coordinator's community made
ready to publish: a FINESS number, its organisation of unscheduled care (version 1), volunteers
among its professional members (placed in communes of its perimeter, dated like the organisation
from the contract's signature) and free slots over the seven days from now.

Idempotent: run again later, it tops the slots up to seven days ahead (the past ones stay as
they were) and changes nothing else.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from cpts.accounts.models import Role, User
from cpts.communities.identifiers import luhn_check_digit
from cpts.communities.models import Community, Member
from cpts.communities.perimeters import current_perimeter
from cpts.core.audit import save_audited
from cpts.territory.models import Commune, Departement
from cpts.unscheduled_care.enums import SlotKind, Way
from cpts.unscheduled_care.models import Organisation, Slot, Volunteer
from cpts.unscheduled_care.services import add_slots, add_volunteer, adopt_organisation

#: The départements of the demo's SAS: those of the Hauts-de-France communities (the
#: coordinator's is in the Nord).
DEPARTEMENTS = ("59", "62", "80", "60", "02")
#: A fictional FINESS number of the Nord (its Luhn key computed): 59 990 001 and its key.
FINESS_BODY = "59990001"
VOLUNTEERS = 5
#: Each volunteer's daily slots (local time, 20 minutes) and who may book them (TRE_R314).
DAILY = (
    (dt.time(9, 0), (SlotKind.SNP, SlotKind.CPTS)),
    (dt.time(12, 40), (SlotKind.PUBLIC,)),
    (dt.time(17, 40), (SlotKind.SNP, SlotKind.PRO)),
)
DAYS = 7


def _regulator(username: str, first: str, last: str, password: str | None) -> User:
    user, _ = User.objects.update_or_create(
        username=username,
        defaults={
            "role": Role.REGULATOR,
            "first_name": first,
            "last_name": last,
            "email": f"{username}@demo.example",
        },
    )
    # the platform's machine account signs in with a token only (cpts token --user sas)
    user.password = make_password(password)
    user.save()
    user.departements.set(Departement.objects.filter(code__in=DEPARTEMENTS))
    return user


def _places(community: Community) -> list[Commune]:
    """Communes of the community's perimeter for its volunteers, every other one among the
    first twelve (those of the demo's past requests, :mod:`cpts.demo.sas_history`)."""
    perimeter = current_perimeter(community)
    if perimeter is None:
        return []
    return list(perimeter.communes.order_by("code")[:12])[::2]


def seed_sas(now: dt.datetime, password: str) -> None:
    """The demo's SAS (see the module's docstring); ``password``: the human regulator's."""
    _regulator("sas", "Plateforme", "SAS (compte machine)", None)
    _regulator("regulation", "Rémi", "Régulateur SAS", password)
    coordinator = User.objects.filter(username="coordination").select_related("community").first()
    if coordinator is None or coordinator.community is None:
        return
    community: Community = coordinator.community
    if not community.finess:
        community.finess = FINESS_BODY + luhn_check_digit(FINESS_BODY)
        community.save(update_fields=["finess"])
    today = timezone.localdate(now)
    # dated from the contract's signature: the demo's history holds appointments from then on
    contract = community.contracts.order_by("-signed_on").first()
    since = min(contract.signed_on, today) if contract is not None else today
    if not Organisation.objects.filter(community=community).exists():
        adopt_organisation(
            coordinator,
            community,
            valid_from=since,
            ways=[Way.RESERVED_SLOTS, Way.DEDICATED_LINE],
            phone="03 20 00 00 00",
            notes="Créneaux réservés dans les agendas des médecins volontaires, ligne dédiée "
            "aux professionnels du territoire.",
        )
    # the first professionals of the community (cpts.demo.sas_history takes the same ones)
    members = Member.objects.filter(community=community, kind=Member.Kind.PROFESSIONAL).exclude(
        rpps=""
    )
    places = _places(community)
    for number, member in enumerate(members.order_by("pk")[:VOLUNTEERS]):
        if member.commune_id is None and places:  # where they practise: nearness shows
            member.commune = places[number % len(places)]
            save_audited(member, coordinator)
        if not Volunteer.objects.filter(community=community, member=member).exists():
            add_volunteer(coordinator, member, since)
    volunteers = list(
        Volunteer.objects.filter(community=community, active=True).order_by("pk")[:VOLUNTEERS]
    )
    for number, volunteer in enumerate(volunteers):
        taken = set(
            Slot.objects.filter(volunteer=volunteer, start__gt=now).values_list("start", flat=True)
        )
        for time, kinds in DAILY:
            periods = []
            for day in range(DAYS + 1):
                date = today + dt.timedelta(days=day)
                # each volunteer a quarter of an hour after the previous one
                start = timezone.make_aware(dt.datetime.combine(date, time)) + dt.timedelta(
                    minutes=15 * number
                )
                if now < start <= now + dt.timedelta(days=DAYS) and start not in taken:
                    periods.append((start, start + dt.timedelta(minutes=20)))
            if periods:
                add_slots(coordinator, volunteer, periods, [str(kind) for kind in kinds], now)
