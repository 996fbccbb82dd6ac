"""Demo: past SAS requests of the demo coordinator's community, with their appointments and
outcomes over its contract years (up to yesterday), so that the indicator « demandes du SAS
ayant abouti à un rendez-vous » and the distribution of delays show real figures.

The volunteers, the organisation and the free slots to come are :mod:`cpts.demo.sas`'s; this
module takes the same professional members as volunteers with ``get_or_create``, so that both
merge whatever their order. Idempotent: nothing is added when the history is already there.
Written straight to the tables (the services refuse slots in the past, rightly).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from cpts.accounts.models import Role, User
from cpts.aci import default_tree
from cpts.aci.sas import response_deadline
from cpts.communities.models import Community, Member
from cpts.communities.perimeters import current_perimeter
from cpts.contracts import engine, measures
from cpts.contracts.models import Indicator
from cpts.core.audit import bulk_create_audited
from cpts.unscheduled_care import selectors as sas
from cpts.unscheduled_care.enums import Channel, Outcome, SlotKind, SlotStatus, Urgency
from cpts.unscheduled_care.models import Appointment, Request, Slot, Volunteer

SYSTEM = "urn:cpts-pilote:demo-history"
#: Delays from request to appointment, in minutes, taken in turn (capped by the deadline in force).
DELAYS = (90, 150, 300, 420, 600, 900, 1200, 1500, 1800, 2400, 2700)
HOURS = (8, 9, 10, 11, 14, 15, 16, 17, 18, 20)
VOLUNTEERS = 4
#: Appointments start between these times (local), so that they end by 20:00.
DAY_OPENS, DAY_CLOSES = dt.time(8, 0), dt.time(19, 40)
#: The least time between a request and its appointment when one is moved into the day.
LEAST = dt.timedelta(minutes=30)


def _daytime(received: dt.datetime, start: dt.datetime) -> dt.datetime:
    """``start`` moved into the day's hours: back to the evening before (19:15) when that is
    still at least :data:`LEAST` after the request, else on to the next morning (08:15); a
    shorter delay or a morning after a late request, within the deadline in force either way."""
    zone = timezone.get_default_timezone()
    local = start.astimezone(zone)
    if DAY_OPENS <= local.time() <= DAY_CLOSES:
        return start
    evening = local.date() if local.time() > DAY_CLOSES else local.date() - dt.timedelta(days=1)
    earlier = dt.datetime.combine(evening, dt.time(19, 15), zone)
    if earlier - received >= LEAST:
        return earlier
    return dt.datetime.combine(evening + dt.timedelta(days=1), dt.time(8, 15), zone)


def add_history(today: dt.date) -> int:
    """Add the history; returns the number of requests added (0 when already there)."""
    coordinator = User.objects.filter(username="coordination", role=Role.COORDINATOR).first()
    author = User.objects.filter(username="admin").first()
    if coordinator is None or coordinator.community is None or author is None:
        return 0
    if Appointment.objects.filter(identifier_system=SYSTEM).exists():
        return 0
    community: Community = coordinator.community
    contract = community.contracts.order_by("-signed_on").first()
    perimeter = current_perimeter(community)
    communes = list(perimeter.communes.order_by("code")[:12]) if perimeter else []
    if contract is None or not communes:
        return 0
    members = Member.objects.filter(community=community, kind=Member.Kind.PROFESSIONAL).exclude(
        rpps=""
    )
    volunteers = [
        Volunteer.objects.get_or_create(
            community=community, member=member, defaults={"since": contract.signed_on}
        )[0]
        for member in members.order_by("pk")[:VOLUNTEERS]
    ]
    if not volunteers:
        return 0
    zone = timezone.get_default_timezone()
    duration = default_tree().at("agreement.contract_duration_years", contract.signed_on).integer()
    plan: list[tuple[dt.datetime, dt.datetime, int]] = []
    index = 0
    for number in range(1, duration + 1):
        facts = engine.year_facts(contract, number)
        if facts.start >= today:
            break
        # more requests each year, as the organisation settles: one every 6, 5, 4... days
        step = max(2, 7 - number)
        day = facts.start
        while day < min(facts.end, today):
            received = dt.datetime.combine(day, dt.time(HOURS[index % len(HOURS)], 15), zone)
            # at least four hours short of the deadline in force that day (24 h before avenant 2,
            # 48 h after: cpts.aci.sas), so that moving it into the daytime never passes it
            limit = response_deadline(received).hours * 60 - 240
            delay = min(DELAYS[index % len(DELAYS)], limit)
            start = _daytime(received, received + dt.timedelta(minutes=delay))
            if start.date() < today:
                plan.append((received, start, index))
            index += 1
            day += dt.timedelta(days=step)
    with transaction.atomic():
        requests = bulk_create_audited(
            Request,
            [
                Request(
                    commune=communes[i % len(communes)],
                    departement_id=communes[i % len(communes)].departement_id,
                    # « dans la journée » only when the appointment fell that same day
                    urgency=Urgency.SAME_DAY
                    if i % 4 == 0 and start.date() == received.date()
                    else Urgency.WITHIN_DEADLINE,
                    received_at=received,
                    channel=Channel.BROWSER if i % 3 else Channel.FHIR,
                    recorded_by=author,
                    outcome=_outcome(i),
                    outcome_at=start + dt.timedelta(hours=1) if _outcome(i) else None,
                )
                for received, start, i in plan
            ],
            author,
        )
        slots = bulk_create_audited(
            Slot,
            [
                Slot(
                    volunteer=volunteers[i % len(volunteers)],
                    start=start,
                    end=start + dt.timedelta(minutes=20),
                    kinds=[SlotKind.SNP, SlotKind.CPTS] if i % 2 else [SlotKind.SNP],
                    status=SlotStatus.FREE if i % 13 == 12 else SlotStatus.BUSY,
                    created_by=coordinator,
                )
                for received, start, i in plan
            ],
            coordinator,
        )
        bulk_create_audited(
            Appointment,
            [
                Appointment(
                    slot=slot,
                    request=request,
                    # one in thirteen was cancelled (its slot freed): it counts for no one
                    status=Appointment.Status.CANCELLED
                    if i % 13 == 12
                    else Appointment.Status.BOOKED,
                    identifier_system=SYSTEM,
                    identifier_value=f"{community.pk}-{i}",
                    operator_value=author.username,
                    created_at=received + dt.timedelta(minutes=5),
                    booked_by=author,
                )
                for (received, _start, i), request, slot in zip(plan, requests, slots, strict=True)
            ],
            author,
        )
    return len(plan)


def _outcome(index: int) -> str:
    """Mostly honoured; one in eight not honoured, one in twenty redirected; a cancelled
    appointment (one in thirteen) leaves the request redirected."""
    if index % 13 == 12 or index % 20 == 19:
        return Outcome.REDIRECTED
    if index % 8 == 7:
        return Outcome.NOT_HONOURED
    return Outcome.HONOURED


def bind_sas_indicator(today: dt.date) -> Indicator | None:
    """Bind one indicator of the access mission of the coordinator's contract year in progress
    to the SAS requests, and count them once (as the annex's button does), so that the annex
    shows it. Idempotent: an indicator already bound is counted again, nothing else."""
    coordinator = User.objects.filter(username="coordination", role=Role.COORDINATOR).first()
    if coordinator is None or coordinator.community is None:
        return None
    contract = coordinator.community.contracts.order_by("-signed_on").first()
    if contract is None:
        return None
    duration = default_tree().at("agreement.contract_duration_years", contract.signed_on).integer()
    number = next(
        (
            n
            for n in range(1, duration + 1)
            if engine.year_facts(contract, n).start <= today < engine.year_facts(contract, n).end
        ),
        None,
    )
    if number is None:
        return None
    annex = Indicator.objects.filter(contract=contract, contract_year=number, mission="access")
    indicator = annex.filter(computed_code=sas.INDICATOR_CODE).first() or (
        annex.filter(computed_code="").exclude(kind=Indicator.Kind.DONE).order_by("pk").first()
    )
    if indicator is None:
        return None
    if indicator.computed_code != sas.INDICATOR_CODE:
        measures.bind_indicator(
            indicator, coordinator, sas.INDICATOR_CODE, Indicator.Measure.NUMBER
        )
    measures.fill_sas_values(contract, number, coordinator)
    indicator.refresh_from_db()
    return indicator
