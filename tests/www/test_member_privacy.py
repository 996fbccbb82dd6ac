"""Member identities (names, RPPS and FINESS numbers) are read by the community, its CPAM, its
ARS and the administrators; the national viewer and the facilitator see counts only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cpts.accounts.access import may_read_member_identities
from cpts.communities.models import Community, Member
from cpts.core.audit import bulk_create_audited, save_audited

pytestmark = pytest.mark.django_db

NAMES = ("Dr Alice Martin", "Bruno Kiné", "Clinique du Parc")
NUMBERS = ("01234567897", "10101201233", "010780195")


def add_members(community: Community, user: Any) -> None:
    bulk_create_audited(
        Member,
        [
            Member(community=community, kind="professional", name=NAMES[0], rpps=NUMBERS[0],
                   profession="general_practitioner", commune_id="59350"),
            Member(community=community, kind="professional", name=NAMES[1], rpps=NUMBERS[1],
                   profession="physiotherapist"),
            Member(community=community, kind="structure", name=NAMES[2], finess=NUMBERS[2],
                   structure_kind="hospital"),
        ],
        user,
    )  # fmt: skip
    member = community.members.get(rpps=NUMBERS[1])
    member.commune_id = "59009"
    save_audited(member, user)  # a change: its before and after appear in the history


def page(client: Client, user: Any, name: str, community: Community) -> str:
    client.force_login(user)
    response = client.get(reverse(f"communities:{name}", args=[community.pk]))
    assert response.status_code == 200
    return str(response.content.decode())


def test_the_decision_per_role(people: dict[str, Any]) -> None:
    nord, pas_de_calais = people["nord"], people["pas_de_calais"]
    assert may_read_member_identities(people["coordinator"], nord)
    assert not may_read_member_identities(people["coordinator"], pas_de_calais)  # not its own
    assert may_read_member_identities(people["cpam"], nord)
    assert not may_read_member_identities(people["cpam"], pas_de_calais)  # not its départements
    assert may_read_member_identities(people["ars"], pas_de_calais)
    assert not may_read_member_identities(people["ars_occitanie"], nord)
    assert may_read_member_identities(people["admin"], people["toulouse"])
    assert not may_read_member_identities(people["national"], nord)
    assert not may_read_member_identities(people["facilitator"], pas_de_calais)  # accompanied


@pytest.mark.parametrize("role", ["national", "facilitator"])
def test_read_only_roles_see_counts_never_names_nor_numbers(
    people: dict[str, Any], client: Client, role: str
) -> None:
    community = people["pas_de_calais"]  # accompanied by the facilitator, seen by the nation
    add_members(community, people["admin"])
    for name in ("members", "history", "dashboard"):
        text = page(client, people[role], name, community)
        for secret in (*NAMES, *NUMBERS):
            assert secret not in text, (name, secret)
    members = page(client, people[role], "members", community)
    assert "3 membres : 2 professionnels de santé (RPPS) et 1 structure (FINESS)" in members
    assert "<td>médecin généraliste</td><td>1</td>" in members
    assert "<td>masseur-kinésithérapeute</td><td>1</td>" in members
    assert "<td>établissement de santé</td><td>1</td>" in members
    history = page(client, people[role], "history", community)
    assert "création · membre" in history
    assert "professionnel de santé" in history  # the kind replaces the name
    assert "commune d&#x27;exercice" not in history  # nor where a member works
    assert "Villeneuve" not in history
    assert "Lille" not in history


@pytest.mark.parametrize("role", ["coordinator", "cpam", "ars", "admin"])
def test_the_community_its_cpam_its_ars_and_admins_see_names(
    people: dict[str, Any], client: Client, role: str
) -> None:
    nord = people["nord"]
    add_members(nord, people["coordinator"])
    members = page(client, people[role], "members", nord)
    for secret in (*NAMES, *NUMBERS):
        assert secret in members
    history = page(client, people[role], "history", nord)
    assert NAMES[1] in history
    assert "commune d&#x27;exercice" in history  # the change of commune, shown in full
