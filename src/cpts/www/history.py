"""The audit trail of one community: every history row of every audited model that concerns it.

Rows live in one history table per model (django-simple-history). The page needs them merged,
newest first, and paginated over *all* of them: the database does it, with a ``UNION ALL`` of
the same few columns of each table, ordered and sliced there (``LIMIT``/``OFFSET``), and a
``COUNT`` of that union. Only the rows of the page shown are then read in full, to say what
changed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import IntegerField, Model, QuerySet, Value
from django.utils import timezone

from cpts.communities.models import Community, Member
from cpts.contracts.models import (
    AcceleratorGrant,
    Amendment,
    Contract,
    ContractYear,
    Deliverable,
    Evaluation,
    HealthProject,
    Indicator,
    LetterOfIntent,
    MissionCommitment,
    Payment,
    PaymentRun,
)
from cpts.crises.models import (
    CrisisAction,
    CrisisActivation,
    CrisisMessage,
    CrisisPlan,
    MobilisedMember,
)
from cpts.territory.models import Perimeter, PerimeterItem
from cpts.unscheduled_care.models import Appointment, Organisation, Request, Slot, Volunteer

from .lifecycle_forms import computed_label, measure_label

#: Fields of a member never shown to who may not read member identities (they, or the commune
#: with the profession, name a person).
MEMBER_IDENTITY_FIELDS = {"name", "rpps", "finess", "commune"}
#: Per model, the fields naming a member, hidden (with the row's label) from who may not read
#: member identities.
IDENTITY_FIELDS: dict[type[Model], set[str]] = {
    Member: MEMBER_IDENTITY_FIELDS,
    MobilisedMember: {"member"},
    Volunteer: {"member"},
    Slot: {"volunteer"},
}
#: Fields shown to no one on the trail: the patient's commune of a SAS request (issue 18: no
#: more personal data than needed; it is erased after the retention period anyway).
NEVER_SHOWN: dict[type[Model], set[str]] = {Request: {"commune"}}
#: Communes listed on a perimeter row; the rest is counted.
SHOWN_CODES = 40

TYPES = {"+": "création", "~": "modification", "-": "suppression"}


@dataclass(frozen=True)
class Source:
    """An audited model and how its history rows are tied to a community."""

    model: type[Model]
    rows: Callable[[QuerySet[Any], Community], QuerySet[Any]]


def _contract_ids(community: Community) -> QuerySet[Any]:
    # only through filter(community=...): a community may one day have several contracts
    return Contract.objects.filter(community=community).values("pk")


def _of_community(history: QuerySet[Any], community: Community) -> QuerySet[Any]:
    return history.filter(community_id=community.pk)


def _of_contracts(history: QuerySet[Any], community: Community) -> QuerySet[Any]:
    return history.filter(contract_id__in=_contract_ids(community))


def _deliverables(history: QuerySet[Any], community: Community) -> QuerySet[Any]:
    indicators = Indicator.history.filter(contract_id__in=_contract_ids(community)).values("id")
    return history.filter(indicator_id__in=indicators)


def _of_activations(history: QuerySet[Any], community: Community) -> QuerySet[Any]:
    activations = CrisisActivation.history.filter(community_id=community.pk).values("id")
    return history.filter(activation_id__in=activations)


def _volunteer_ids(community: Community) -> QuerySet[Any]:
    ids: QuerySet[Any] = Volunteer.history.filter(community_id=community.pk).values("id")
    return ids


def _slot_ids(community: Community) -> QuerySet[Any]:
    ids: QuerySet[Any] = Slot.history.filter(volunteer_id__in=_volunteer_ids(community)).values(
        "id"
    )
    return ids


def _slots(history: QuerySet[Any], community: Community) -> QuerySet[Any]:
    return history.filter(volunteer_id__in=_volunteer_ids(community))


def _appointments(history: QuerySet[Any], community: Community) -> QuerySet[Any]:
    return history.filter(slot_id__in=_slot_ids(community))


def _requests(history: QuerySet[Any], community: Community) -> QuerySet[Any]:
    """A request belongs to the community of the volunteer whose slot was booked for it."""
    booked = Appointment.history.filter(slot_id__in=_slot_ids(community)).values("request_id")
    return history.filter(id__in=booked)


def _payment_runs(history: QuerySet[Any], community: Community) -> QuerySet[Any]:
    runs = Payment.history.filter(community_id=community.pk, run_id__isnull=False).values("run_id")
    return history.filter(id__in=runs)


SOURCES: tuple[Source, ...] = (
    Source(Community, lambda history, community: history.filter(id=community.pk)),
    Source(Member, _of_community),
    Source(Perimeter, _of_community),
    Source(LetterOfIntent, _of_community),
    Source(HealthProject, _of_community),
    Source(AcceleratorGrant, _of_community),
    Source(Contract, _of_community),
    Source(Amendment, _of_contracts),
    Source(ContractYear, _of_contracts),
    Source(MissionCommitment, _of_contracts),
    Source(Evaluation, _of_contracts),
    Source(Indicator, _of_contracts),
    Source(Deliverable, _deliverables),
    Source(Payment, _of_community),
    Source(PaymentRun, _payment_runs),
    Source(CrisisPlan, _of_community),
    Source(CrisisActivation, _of_community),
    Source(CrisisAction, _of_activations),
    Source(MobilisedMember, _of_activations),
    Source(CrisisMessage, _of_activations),
    Source(Organisation, _of_community),
    Source(Volunteer, _of_community),
    Source(Slot, _slots),
    Source(Appointment, _appointments),
    Source(Request, _requests),
)


def _history(model: type[Model]) -> Any:
    """The history manager of ``model``, or None while it has no history (Deliverable and
    PaymentRun get theirs with the rewrite of contracts: they join the trail then)."""
    return getattr(model, "history", None)


def trail(community: Community) -> QuerySet[Any]:
    """Every history row concerning ``community``, newest first, as a lazy ``UNION ALL`` of
    ``history_id``, ``history_date`` and ``trail_model`` (the index of its model in
    :data:`SOURCES`): count it, slice it, the database does the work."""
    parts = []
    for index, source in enumerate(SOURCES):
        history = _history(source.model)
        if history is None:
            continue
        parts.append(
            source.rows(history.all(), community)
            .order_by()
            .values("history_id", "history_date", trail_model=Value(index, IntegerField()))
        )
    first, *others = parts
    return first.union(*others, all=True).order_by("-history_date", "-trail_model", "-history_id")


def entries(rows: Iterable[dict[str, Any]], identities: bool) -> list[dict[str, Any]]:
    """The rows of one page, read in full: who, when, what, before and after.

    Without ``identities`` (see ``access.may_read_member_identities``) a member's name, numbers
    and commune never appear."""
    rows = list(rows)
    wanted: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        wanted[row["trail_model"]].append(row["history_id"])
    records: dict[tuple[int, int], Any] = {}
    for index, ids in wanted.items():
        history = _history(SOURCES[index].model)
        for record in history.filter(history_id__in=ids).select_related("history_user"):
            records[index, record.history_id] = record
    result = []
    for row in rows:
        record = records[row["trail_model"], row["history_id"]]
        model = SOURCES[row["trail_model"]].model
        hidden = set(NEVER_SHOWN.get(model, set()))
        if model in IDENTITY_FIELDS and not identities:
            hidden |= IDENTITY_FIELDS[model]
            label = _anonymous_label(model, record)
        else:
            label = str(record.instance)
        if model is Perimeter and record.history_type == "+":
            changes = _perimeter_changes(record)
        else:
            changes = _changes(record, hidden)
        result.append(
            {
                "date": record.history_date,
                "user": record.history_user,
                "type": TYPES[record.history_type],
                "object": model._meta.verbose_name,
                "label": label,
                "changes": changes,
            }
        )
    return result


def _anonymous_label(model: type[Model], record: Any) -> str:
    """The label of a row naming a member, for who may not read member identities."""
    if model is Member:
        return str(record.get_kind_display())
    if model is MobilisedMember:
        return f"rôle : {record.role}"
    if model is Slot:
        return f"créneau du {timezone.localtime(record.start):%d/%m/%Y %H:%M}"
    return str(model._meta.verbose_name)


def _changes(record: Any, hidden: set[str]) -> list[dict[str, Any]]:
    if record.history_type == "+":
        return []  # a creation has no before (and asking would cost a query per row)
    previous = record.prev_record
    if previous is None:
        return []
    delta = record.diff_against(previous, excluded_fields=sorted(hidden))
    return [
        {
            "field": record.instance._meta.get_field(change.field).verbose_name,
            "old": _readable(record.instance, change.field, change.old),
            "new": _readable(record.instance, change.field, change.new),
        }
        for change in delta.changes
    ]


def _readable(instance: Any, name: str, value: Any) -> Any:
    """A value of the audit trail as people read it: the user's name rather than its id."""
    field = instance._meta.get_field(name)
    if value in (None, ""):
        return None
    if field.is_relation and field.related_model is not None:
        related = field.related_model._default_manager.filter(pk=value).first()
        return str(related) if related is not None else value
    if isinstance(instance, Indicator) and name == "computed_code":
        return computed_label(value)
    if field.choices:
        label = dict(field.flatchoices).get(value, value)
        if isinstance(instance, Indicator) and name == "computed_measure":
            return measure_label(instance.computed_code, value, label)
        return label
    return value


def perimeter_codes(perimeter_id: int) -> set[str]:
    """The communes of a perimeter version, from the history of its items (kept after a
    deletion); from the items themselves where they were written without history."""
    codes = set(
        PerimeterItem.history.filter(perimeter_id=perimeter_id, history_type="+").values_list(
            "commune_id", flat=True
        )
    )
    if not codes:
        codes = set(
            PerimeterItem.objects.filter(perimeter_id=perimeter_id).values_list(
                "commune_id", flat=True
            )
        )
    return codes


def _perimeter_changes(record: Any) -> list[dict[str, Any]]:
    """A new perimeter version: the communes it adds and removes, against the version before."""
    codes = perimeter_codes(record.id)
    before = (
        Perimeter.history.filter(
            community_id=record.community_id,
            history_type="+",
            valid_from__lt=record.valid_from,
        )
        .order_by("-valid_from", "-history_date")
        .values_list("id", flat=True)
        .first()
    )
    previous = perimeter_codes(before) if before is not None else set()
    changes = [{"field": "en vigueur à partir du", "old": None, "new": record.valid_from}]
    for field, listed in (
        ("communes ajoutées", codes - previous),
        ("communes retirées", previous - codes),
    ):
        if listed:
            changes.append({"field": field, "old": None, "new": _codes(listed)})
    return changes


def _codes(codes: set[str]) -> str:
    ordered = sorted(codes)
    text = ", ".join(ordered[:SHOWN_CODES])
    if len(ordered) > SHOWN_CODES:
        text += f" … et {len(ordered) - SHOWN_CODES} autres"
    return f"{len(ordered)} : {text}"
