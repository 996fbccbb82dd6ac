"""Audit trail: communities, members and perimeters keep a history with its author, and the
history page paginates over every row of the community's trail."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cpts.communities.members_import import ImportReport, check_lines, import_members
from cpts.communities.models import Community, Member
from cpts.core.audit import bulk_create_audited, save_audited
from cpts.territory.models import Commune, Perimeter, PerimeterItem

pytestmark = pytest.mark.django_db


def history_page(client: Client, community: Community, page: int = 1) -> str:
    url = reverse("communities:history", args=[community.pk])
    response = client.get(url, {"page": page})
    assert response.status_code == 200
    return str(response.content.decode())


def test_a_community_created_then_changed_keeps_both_versions_and_their_author(
    people: dict[str, Any],
) -> None:
    admin = people["admin"]
    community = save_audited(
        Community(name="CPTS Audit", departement_id="59", population=40_000), admin
    )
    community.population = 52_000
    save_audited(community, people["cpam"], update_fields=["population"])
    rows = list(community.history.order_by("history_date"))
    assert [(r.history_type, r.history_user, r.population) for r in rows] == [
        ("+", admin, 40_000),
        ("~", people["cpam"], 52_000),
    ]


def test_members_created_in_bulk_through_the_helper_have_history_and_author(
    people: dict[str, Any],
) -> None:
    """The import path: members checked by ``check_lines`` then written by the helper."""
    nord, coordinator = people["nord"], people["coordinator"]
    report = ImportReport()
    lines: list[tuple[int, dict[str, str | dt.date]]] = [
        (2, {"type": "professionnel", "nom": "Dr Martin", "rpps": "01234567897",
             "profession": "médecin généraliste", "commune": "59350"}),
        (3, {"type": "structure", "nom": "Clinique Convert", "finess": "010780195",
             "type_structure": "hospital"}),
    ]  # fmt: skip
    members = check_lines(nord, lines, report)
    assert report.ok, report.errors
    created = bulk_create_audited(Member, members, coordinator)
    assert all(member.pk for member in created)
    history = Member.history.filter(community_id=nord.pk)
    assert sorted(history.values_list("name", "history_type", "history_user")) == [
        ("Clinique Convert", "+", coordinator.pk),
        ("Dr Martin", "+", coordinator.pk),
    ]


def test_a_member_changed_then_deleted_keeps_its_history(people: dict[str, Any]) -> None:
    nord, coordinator = people["nord"], people["coordinator"]
    member = save_audited(
        Member(community=nord, kind="professional", name="Dr Martin", rpps="01234567897"),
        coordinator,
    )
    member.profession = "general_practitioner"
    save_audited(member, coordinator)
    member._history_user = coordinator
    member.delete()
    rows = Member.history.filter(community_id=nord.pk).order_by("history_date")
    assert [(r.history_type, r.profession, r.history_user) for r in rows] == [
        ("+", "", coordinator),
        ("~", "general_practitioner", coordinator),
        ("-", "general_practitioner", coordinator),
    ]


def test_the_member_import_leaves_history_with_its_author(people: dict[str, Any]) -> None:
    nord, coordinator = people["nord"], people["coordinator"]
    content = "type;nom;rpps;profession\nprofessionnel;Dr Martin;01234567897;médecin généraliste\n"
    report = import_members(
        nord, coordinator, SimpleUploadedFile("m.csv", content.encode(), "text/csv")
    )
    assert report.ok
    assert report.created == 1
    history = Member.history.filter(community_id=nord.pk)
    assert list(history.values_list("name", "history_user")) == [("Dr Martin", coordinator.pk)]


def new_version(
    community: Community, codes: list[str], valid_from: dt.date, user: Any
) -> Perimeter:
    """What ``set_perimeter`` writes, through the audited helpers."""
    current = community.perimeters.filter(valid_to__isnull=True).first()
    if current is not None:
        current.valid_to = valid_from
        save_audited(current, user, update_fields=["valid_to"])
    perimeter = save_audited(Perimeter(community=community, valid_from=valid_from), user)
    bulk_create_audited(
        PerimeterItem,
        (PerimeterItem(perimeter=perimeter, commune_id=code) for code in codes),
        user,
    )
    return perimeter


def test_perimeter_versions_keep_their_communes_and_author_and_show_the_change(
    people: dict[str, Any], client: Client
) -> None:
    nord, ars = people["nord"], people["ars"]
    first = new_version(nord, ["59350", "59183"], dt.date(2024, 1, 1), ars)
    second = new_version(nord, ["59350", "59009"], dt.date(2025, 1, 1), ars)
    rows = Perimeter.history.filter(community_id=nord.pk).order_by("history_date")
    assert [(r.id, r.history_type, r.valid_to, r.history_user) for r in rows] == [
        (first.pk, "+", None, ars),
        (first.pk, "~", dt.date(2025, 1, 1), ars),
        (second.pk, "+", None, ars),
    ]
    items = PerimeterItem.history.filter(perimeter_id=second.pk)
    assert sorted(items.values_list("commune_id", "history_user")) == [
        ("59009", ars.pk),
        ("59350", ars.pk),
    ]
    # the history survives the deletion of the version
    second.delete()
    client.force_login(people["coordinator"])
    page = history_page(client, nord)
    assert "communes ajoutées</strong> : — → 1 : 59009" in page
    assert "communes retirées</strong> : — → 1 : 59183" in page
    assert "communes ajoutées</strong> : — → 2 : 59183, 59350" in page
    assert "ars-hdf" in page


def test_set_perimeter_leaves_the_history_of_its_communes(people: dict[str, Any]) -> None:
    from cpts.communities.perimeters import set_perimeter

    nord = people["nord"]
    set_perimeter(
        nord,
        list(Commune.objects.filter(code__in=["59350"])),
        dt.date(2024, 1, 1),
        user=people["ars"],
    )
    perimeter = nord.perimeters.get()
    assert perimeter.history.get().history_user == people["ars"]
    items = PerimeterItem.history.filter(perimeter_id=perimeter.pk)
    assert list(items.values_list("commune_id", flat=True)) == ["59350"]


def test_the_history_page_paginates_over_every_row(
    people: dict[str, Any], client: Client, django_assert_max_num_queries: Any
) -> None:
    """321 rows (the community, then 320 members): 7 pages of 50; the oldest on the last."""
    coordinator = people["coordinator"]
    community = save_audited(
        Community(name="CPTS Grande", departement_id="59", population=40_000), coordinator
    )
    bulk_create_audited(
        Member,
        (
            Member(community=community, kind="professional", name=f"Dr N{i:04d}", rpps=f"2{i:010d}")
            for i in range(320)
        ),
        coordinator,
    )
    client.force_login(people["admin"])
    first = history_page(client, community, 1)
    assert "321 modifications" in first
    assert "page 1 sur 7" in first
    assert "Dr N0319" in first  # the newest member (same date: the latest written first)
    assert "Dr N0000" not in first
    with django_assert_max_num_queries(15):
        last = history_page(client, community, 7)
    assert "page 7 sur 7" in last
    assert len(re.findall(r"<tr>\s*<td>", last)) == 21  # 321 = 6 x 50 + 21
    assert "Dr N0000" in last
    assert "création · CPTS" in last  # the oldest row of all
    assert last.rindex("création · CPTS") > last.rindex("Dr N0000")
