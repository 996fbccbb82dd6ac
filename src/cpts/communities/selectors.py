"""Reads of the communities' members, as everyone who sees a community may see them: counts (the
identities stay behind :func:`cpts.accounts.access.may_read_member_identities`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from .models import Community, Member


@dataclass(frozen=True)
class MemberCounts:
    """The members of a community counted by kind, by profession (professionals) and by type of
    structure (structures); an empty profession or type is counted under ``""``."""

    professionals: int
    structures: int
    by_profession: dict[str, int]
    by_structure_kind: dict[str, int]

    @property
    def total(self) -> int:
        return self.professionals + self.structures


def _count_by(community: Community, kind: str, field: str) -> dict[str, int]:
    rows = (
        community.members.filter(kind=kind)
        .order_by()
        .values_list(field)
        .annotate(n=Count("pk"))
        .values_list(field, "n")
    )
    return dict(sorted(rows))


def member_counts(community: Community) -> MemberCounts:
    by_profession = _count_by(community, Member.Kind.PROFESSIONAL, "profession")
    by_structure_kind = _count_by(community, Member.Kind.STRUCTURE, "structure_kind")
    return MemberCounts(
        professionals=sum(by_profession.values()),
        structures=sum(by_structure_kind.values()),
        by_profession=by_profession,
        by_structure_kind=by_structure_kind,
    )
