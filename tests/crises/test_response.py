"""The communities' response to a declared crisis: who is concerned, activation, actions,
mobilised members, messages sent through the task queue, and the ARS's report."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.http import Http404
from django.utils import timezone

from cpts.core import tasks
from cpts.core.errors import RuleError
from cpts.core.models import Task, TaskStatus
from cpts.crises import response
from cpts.crises.mailing import SEND_ATTEMPTS, SEND_MESSAGE
from cpts.crises.models import CrisisPlan, DeliveryStatus, HealthCrisis, Typology
from cpts.crises.selectors import concerned_communities, crises_concerning, crisis_report
from cpts.crises.services import declare_crisis
from cpts.territory.models import Departement

from ..factories import CommunityFactory, MemberFactory

pytestmark = pytest.mark.django_db
DECLARED = dt.date(2025, 1, 20)
PARIS = ZoneInfo("Europe/Paris")


def declare(people: dict[str, Any], *departements: str, on: dt.date = DECLARED) -> HealthCrisis:
    crisis, _ = declare_crisis(
        people["ars"],
        on,
        Typology.EPIDEMIC,
        "Grippe",
        departements=Departement.objects.filter(code__in=departements),
    )
    return crisis


@pytest.fixture
def crisis(people: dict[str, Any]) -> HealthCrisis:
    return declare(people)  # the whole region Hauts-de-France (32)


@pytest.fixture
def members(people: dict[str, Any]) -> list[Any]:
    nord = people["nord"]
    return [
        MemberFactory(community=nord, name="A Dupont", email="dupont@example.org"),
        MemberFactory(community=nord, name="B Martin", email="martin@example.org"),
        MemberFactory(community=nord, name="C Sans", email=""),
    ]


def test_concerned_communities_by_hand(people: dict[str, Any]) -> None:
    somme = CommunityFactory(name="CPTS Somme", departement_id="80")
    whole_region = declare(people)
    nord_only = declare(people, "59")
    nord_and_somme = declare(people, "59", "80")

    def names(crisis: HealthCrisis) -> list[str]:
        return list(concerned_communities(crisis).values_list("name", flat=True))

    # Hauts-de-France: Nord (59), Pas-de-Calais (62), Somme (80); Toulouse (31) is in Occitanie
    assert names(whole_region) == ["CPTS Nord", "CPTS Pas-de-Calais", "CPTS Somme"]
    assert names(nord_only) == ["CPTS Nord"]
    assert names(nord_and_somme) == ["CPTS Nord", "CPTS Somme"]
    assert set(crises_concerning(somme)) == {whole_region, nord_and_somme}
    assert set(crises_concerning(people["toulouse"])) == set()


def test_activation_once_with_the_plan_in_force(
    people: dict[str, Any], crisis: HealthCrisis
) -> None:
    nord, coordinator = people["nord"], people["coordinator"]
    CrisisPlan.objects.create(community=nord, year=2024, version=1, adopted_on=dt.date(2024, 3, 1))
    in_force = CrisisPlan.objects.create(
        community=nord, year=2024, version=2, adopted_on=dt.date(2024, 9, 1)
    )
    CrisisPlan.objects.create(community=nord, year=2099, version=1, adopted_on=dt.date(2099, 1, 1))

    activation = response.activate(crisis, nord, coordinator)
    assert activation.plan == in_force
    assert activation.activated_by == coordinator
    assert activation.history.count() == 1

    with pytest.raises(RuleError, match="déjà activé pour cette crise"):
        response.activate(crisis, nord, coordinator)


def test_activation_without_a_plan_is_allowed_and_flagged(
    people: dict[str, Any], crisis: HealthCrisis
) -> None:
    assert response.activate(crisis, people["nord"], people["coordinator"]).plan is None


def test_activation_refused_for_a_crisis_elsewhere_or_in_the_future(
    people: dict[str, Any], make_user: Any
) -> None:
    pas_de_calais_only = declare(people, "62")
    with pytest.raises(RuleError, match="ne concerne pas la CPTS Nord"):
        response.activate(pas_de_calais_only, people["nord"], people["coordinator"])
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    future = HealthCrisis.objects.create(
        region_id="32",
        declared_on=tomorrow,
        typology=Typology.CLIMATE,
        title="Canicule",
        declared_by=people["ars"],
    )
    with pytest.raises(RuleError, match="ne peut pas être activé avant"):
        response.activate(future, people["nord"], people["coordinator"])


def test_an_out_of_scope_community_is_a_404_and_a_wrong_role_a_403(
    people: dict[str, Any], crisis: HealthCrisis
) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(Http404):
        response.activate(crisis, people["pas_de_calais"], people["coordinator"])
    for role in ("ars", "cpam", "national"):
        with pytest.raises(PermissionDenied):
            response.activate(crisis, people["nord"], people[role])
    with pytest.raises(Http404):  # the facilitator does not see Nord
        response.activate(crisis, people["nord"], people["facilitator"])
    assert (
        response.activate(crisis, people["nord"], people["admin"]).activated_by == people["admin"]
    )


def test_actions_are_logged_between_the_declaration_and_now(
    people: dict[str, Any], crisis: HealthCrisis
) -> None:
    activation = response.activate(crisis, people["nord"], people["coordinator"])
    at = dt.datetime(2025, 1, 21, 9, 30, tzinfo=PARIS)
    action = response.log_action(activation, people["coordinator"], at, "  Cellule réunie  ")
    assert (action.description, action.happened_at, action.author) == (
        "Cellule réunie",
        at,
        people["coordinator"],
    )
    with pytest.raises(RuleError, match="comprise entre le 20/01/2025"):
        response.log_action(
            activation, people["coordinator"], dt.datetime(2025, 1, 19, tzinfo=PARIS), "x"
        )
    with pytest.raises(RuleError, match="Décrivez"):
        response.log_action(activation, people["coordinator"], at, "   ")


def test_only_members_of_the_community_are_mobilised(
    people: dict[str, Any], crisis: HealthCrisis, members: list[Any]
) -> None:
    activation = response.activate(crisis, people["nord"], people["coordinator"])
    stranger = MemberFactory(community=people["pas_de_calais"], name="Autre CPTS")
    day = dt.date(2025, 1, 22)
    with pytest.raises(RuleError, match="Seuls les membres de la CPTS"):
        response.mobilise(
            activation, people["coordinator"], [members[0].pk, stranger.pk], "Renfort", day
        )
    assert not activation.mobilised.exists()

    response.mobilise(
        activation, people["coordinator"], [members[0].pk, members[1].pk], "Renfort", day
    )
    assert sorted(activation.mobilised.values_list("member__name", "role")) == [
        ("A Dupont", "Renfort"),
        ("B Martin", "Renfort"),
    ]
    with pytest.raises(RuleError, match=re.escape("Déjà mobilisé(s) : A Dupont.")):
        response.mobilise(activation, people["coordinator"], [members[0].pk], "Autre", day)


def test_a_message_queues_one_task_per_address_and_the_worker_sends_them(
    people: dict[str, Any], crisis: HealthCrisis, members: list[Any]
) -> None:
    activation = response.activate(crisis, people["nord"], people["coordinator"])
    message = response.send_message(
        activation, people["coordinator"], "activation", "Réunion {{ secret }} à 18 h."
    )
    assert message.subject == "[CPTS Nord] Activation du plan de crise : Grippe"
    assert "L'ARS a déclaré le 20/01/2025 une crise sanitaire grave : « Grippe »" in message.body
    assert "Réunion {{ secret }} à 18 h." in message.body  # user text is never template source
    statuses = dict(message.deliveries.values_list("member__name", "status"))
    assert statuses == {
        "A Dupont": DeliveryStatus.QUEUED,
        "B Martin": DeliveryStatus.QUEUED,
        "C Sans": DeliveryStatus.NO_ADDRESS,
    }
    assert Task.objects.filter(kind=SEND_MESSAGE).count() == 2
    assert mail.outbox == []  # nothing sent before the worker runs

    summary = tasks.run_due()
    assert (summary.done, summary.failed) == (2, 0)
    assert sorted(m.to[0] for m in mail.outbox) == ["dupont@example.org", "martin@example.org"]
    assert mail.outbox[0].subject == message.subject
    assert mail.outbox[0].body == message.body
    sent = message.deliveries.get(member__name="A Dupont")
    assert (sent.status, sent.attempts, sent.last_error) == (DeliveryStatus.SENT, 1, "")
    assert sent.sent_at is not None
    assert tasks.run_due().ran == 0  # sent once


def test_an_smtp_failure_is_retried_then_the_delivery_fails(
    people: dict[str, Any], crisis: HealthCrisis, members: list[Any]
) -> None:
    activation = response.activate(crisis, people["nord"], people["coordinator"])
    message = response.send_message(activation, people["coordinator"], "end", "")
    now = timezone.now()
    with mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages",
        side_effect=ConnectionRefusedError("SMTP indisponible"),
    ):
        for attempt in range(1, SEND_ATTEMPTS + 1):
            summary = tasks.run_due(now=now)
            assert summary.ran == 2
            dupont = message.deliveries.get(member__name="A Dupont")
            assert dupont.attempts == attempt
            assert dupont.last_error == "ConnectionRefusedError: SMTP indisponible"
            assert dupont.status == (
                DeliveryStatus.FAILED if attempt == SEND_ATTEMPTS else DeliveryStatus.QUEUED
            )
            now += tasks.backoff(attempt)
    assert Task.objects.filter(kind=SEND_MESSAGE, status=TaskStatus.FAILED).count() == 2
    assert mail.outbox == []


def test_messages_and_actions_refused_once_closed(
    people: dict[str, Any], crisis: HealthCrisis, members: list[Any]
) -> None:
    activation = response.activate(crisis, people["nord"], people["coordinator"])
    response.close(activation, people["coordinator"])
    with pytest.raises(RuleError, match="close"):
        response.send_message(activation, people["coordinator"], "end", "")
    with pytest.raises(RuleError, match="Modèle de message inconnu"):
        response.preview(activation, "{{ x }}", "")


def test_a_close_committed_meanwhile_stops_a_write_prepared_before_it(
    people: dict[str, Any], crisis: HealthCrisis, members: list[Any]
) -> None:
    """A page loaded the activation open; another session closed it before the write: the writer
    reads the row again under its lock and refuses, nothing written."""
    coordinator = people["coordinator"]
    activation = response.activate(crisis, people["nord"], coordinator)
    stale = type(activation).objects.get(pk=activation.pk)
    response.close(type(activation).objects.get(pk=activation.pk), coordinator)
    assert stale.closed_at is None
    now = timezone.now()
    with pytest.raises(RuleError, match="close"):
        response.log_action(stale, coordinator, now, "Trop tard")
    with pytest.raises(RuleError, match="close"):
        response.mobilise(stale, coordinator, [members[0].pk], "Renfort", timezone.localdate())
    with pytest.raises(RuleError, match="close"):
        response.send_message(stale, coordinator, "end", "")
    assert not stale.actions.exists()
    assert not stale.mobilised.exists()
    assert not stale.messages.exists()


def test_the_report_figures_by_hand(
    people: dict[str, Any], crisis: HealthCrisis, members: list[Any]
) -> None:
    coordinator = people["coordinator"]
    activation = response.activate(crisis, people["nord"], coordinator)
    at = dt.datetime(2025, 1, 21, 9, 0, tzinfo=PARIS)
    response.log_action(activation, coordinator, at, "Cellule de crise")
    response.log_action(activation, coordinator, at, "Appel des pharmacies")
    response.mobilise(activation, coordinator, [members[0].pk], "Renfort", dt.date(2025, 1, 21))
    response.send_message(activation, coordinator, "activation", "")  # 2 addresses, 1 without
    response.send_message(activation, coordinator, "end", "")  # idem
    now = timezone.now()
    with mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages",
        side_effect=[1, 1, 1] + [OSError("boom")] * SEND_ATTEMPTS,
    ):
        tasks.run_due(now=now)  # 3 sent, the 4th fails and is retried until it gives up
        for attempt in range(1, SEND_ATTEMPTS):
            now += tasks.backoff(attempt)
            tasks.run_due(now=now)

    rows = {row.community.name: row for row in crisis_report(people["ars"], crisis)}
    assert list(rows) == ["CPTS Nord", "CPTS Pas-de-Calais"]
    nord = rows["CPTS Nord"]
    assert (nord.actions, nord.mobilised, nord.messages) == (2, 1, 2)
    # 4 deliveries with an address: 3 sent, 1 failed; 2 without address
    assert (nord.sent, nord.failed, nord.queued, nord.no_address) == (3, 1, 0, 2)
    assert rows["CPTS Pas-de-Calais"].activation is None
    assert rows["CPTS Pas-de-Calais"].actions == 0
    # the CPAM of the Nord sees the Nord only; the ARS of Occitanie nothing
    assert [row.community.name for row in crisis_report(people["cpam"], crisis)] == ["CPTS Nord"]
    assert crisis_report(people["ars_occitanie"], crisis) == []


def test_user_text_cannot_reach_template_tags(
    people: dict[str, Any], crisis: HealthCrisis, members: list[Any]
) -> None:
    activation = response.activate(crisis, people["nord"], people["coordinator"])
    subject, body = response.preview(
        activation, "instructions", "{% load log %}{% debug %}{{ settings.SECRET_KEY }}"
    )
    assert "{% load log %}{% debug %}{{ settings.SECRET_KEY }}" in body
    assert subject == "[CPTS Nord] Consignes : Grippe"


def test_two_sends_of_one_preview_queue_the_message_once(
    people: dict[str, Any], crisis: HealthCrisis, members: list[Any]
) -> None:
    """Two posts of the same preview at the same instant both pass the view's token check
    (neither has sent yet); the service checks, under the activation's lock, that no message was
    sent since the preview: the second is refused, nothing more is queued."""
    activation = response.activate(crisis, people["nord"], people["coordinator"])
    first = response.send_message(
        activation, people["coordinator"], "instructions", "Masques", after=None
    )
    with pytest.raises(RuleError, match="Un message vient d'être envoyé"):
        response.send_message(activation, people["coordinator"], "instructions", "Masques",
                              after=None)  # fmt: skip
    assert list(activation.messages.values_list("pk", flat=True)) == [first.pk]
    assert Task.objects.filter(kind=SEND_MESSAGE).count() == 2  # the two addresses, once
    # the next message, previewed after the first: sent
    second = response.send_message(
        activation, people["coordinator"], "instructions", "Gants", after=first.pk
    )
    assert activation.messages.count() == 2
    assert second.pk != first.pk
