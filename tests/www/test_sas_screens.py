"""Unscheduled care in the browser: the community's page (organisation, volunteers, slots) and
the regulation's screens (record, search, book, outcome), each boundary, bad input in French
with nothing written, no 500 on junk query parameters."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cpts.communities.models import Member
from cpts.territory.models import Commune
from cpts.unscheduled_care.models import Appointment, Organisation, Request, Slot, Volunteer
from tests.factories import MemberFactory, regulator, slot, volunteer

pytestmark = pytest.mark.django_db


def _page(pk: int) -> str:
    return reverse("communities:unscheduled_care", args=[pk])


@pytest.fixture
def sas(people: dict[str, Any]) -> dict[str, Any]:
    nord = people["nord"]
    helper = volunteer(nord, commune_id="59350")
    far = volunteer(people["pas_de_calais"], commune_id="62041")
    now = timezone.now()
    # a big id: rendered with a thousands separator (USE_THOUSAND_SEPARATOR) it would not post back
    soon = slot(helper, now + dt.timedelta(hours=3))
    Slot.objects.filter(id=soon.pk).update(id=12345)
    return {
        **people,
        "regulator": regulator(["59"]),
        "regulator_62": regulator(["62"]),
        "helper": helper,
        "soon": Slot.objects.get(pk=12345),
        "late": slot(helper, now + dt.timedelta(hours=60)),
        "far_slot": slot(far, now + dt.timedelta(hours=2)),
        "far": far,
    }


def _record(client: Client, **data: str) -> Any:
    fields = {
        "commune": "59350",
        "urgency": "within_deadline",
        "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    fields.update(data)
    return client.post(reverse("sas:new_request"), fields)


def test_a_regulator_records_searches_books_and_records_the_outcome(
    sas: dict[str, Any], client: Client
) -> None:
    client.force_login(sas["regulator"])
    response = _record(client)
    item = Request.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sas:search_slots", args=[item.pk])
    assert item.commune_id == "59350"
    assert item.departement_id == "59"
    page = client.get(response["Location"]).content.decode()
    assert "Délai de 48 heures, jusqu'au" in page
    # the slot in 3 hours is listed; the one in 60 hours (after the deadline) and the one of
    # Pas-de-Calais (out of the regulation's départements) are not
    assert f'value="{sas["soon"].pk}"' in page
    assert f'value="{sas["late"].pk}"' not in page
    assert f'value="{sas["far_slot"].pk}"' not in page
    assert "même commune" in page
    booked = client.post(reverse("sas:book", args=[item.pk]), {"slot": sas["soon"].pk})
    assert booked.status_code == 302
    assert Appointment.objects.get().slot == sas["soon"]
    detail = client.get(reverse("sas:request", args=[item.pk])).content.decode()
    assert 'data-testid="appointment"' in detail
    early = client.post(reverse("sas:outcome", args=[item.pk]), {"outcome": "honoured"})
    assert "n&#x27;a pas encore eu lieu" in early.content.decode()  # in 3 hours: not yet known
    assert Request.objects.get().outcome == ""
    start = timezone.now() - dt.timedelta(minutes=30)  # as if the appointment had begun
    Slot.objects.filter(pk=sas["soon"].pk).update(start=start, end=start + dt.timedelta(hours=1))
    client.post(reverse("sas:outcome", args=[item.pk]), {"outcome": "honoured"})
    assert Request.objects.get().outcome == "honoured"


def test_a_regulator_cancels_an_appointment_before_it_starts(
    sas: dict[str, Any], client: Client
) -> None:
    client.force_login(sas["regulator"])
    _record(client)
    item = Request.objects.get()
    client.post(reverse("sas:book", args=[item.pk]), {"slot": sas["soon"].pk})
    detail = client.get(reverse("sas:request", args=[item.pk])).content.decode()
    assert "Annuler le rendez-vous" in detail
    url = reverse("sas:cancel", args=[item.pk])
    assert client.get(url).status_code == 405
    client.force_login(sas["regulator_62"])
    assert client.post(url).status_code == 404  # another département's regulation
    client.force_login(sas["regulator"])
    response = client.post(url)
    assert response.status_code == 302
    assert Appointment.objects.get().status == "cancelled"
    assert Slot.objects.get(pk=sas["soon"].pk).status == "free"
    page = client.get(reverse("sas:request", args=[item.pk])).content.decode()
    assert "Annuler le rendez-vous" not in page
    again = client.post(url, follow=True).content.decode()
    assert "déjà annulé" in again


def test_a_slot_taken_meanwhile_says_so_and_lists_again(
    sas: dict[str, Any], client: Client
) -> None:
    client.force_login(sas["regulator"])
    _record(client)
    _record(client)
    first, second = Request.objects.order_by("pk")
    client.post(reverse("sas:book", args=[first.pk]), {"slot": sas["soon"].pk})
    response = client.post(reverse("sas:book", args=[second.pk]), {"slot": sas["soon"].pk})
    text = response.content.decode()
    assert response.status_code == 200
    assert "n&#x27;est plus libre" in text or "n'est plus libre" in text
    assert "Créneaux libres dans le délai" in text
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"commune": ""}, "Indiquez la commune du patient."),
        ({"received_at": ""}, "Indiquez l&#x27;heure de réception de la demande."),
        ({"commune": "Nulle-Part-sur-Mer"}, "Aucune commune ne correspond"),
        ({"commune": "62041"}, "hors des départements de votre régulation"),
        ({"received_at": "2999-01-01T10:00"}, "ne peut pas être dans le futur"),
        ({"received_at": "hier"}, "Saisissez une date et une heure valides."),
        ({"urgency": "tout de suite"}, "Sélectionnez un choix valide"),
    ],
)
def test_bad_requests_are_refused_in_french_and_nothing_is_written(
    sas: dict[str, Any], client: Client, data: dict[str, str], message: str
) -> None:
    client.force_login(sas["regulator"])
    response = _record(client, **data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Request.objects.exists()


def test_a_regulator_of_another_departement_gets_404(sas: dict[str, Any], client: Client) -> None:
    client.force_login(sas["regulator"])
    _record(client)
    item = Request.objects.get()
    client.force_login(sas["regulator_62"])
    for name in ("sas:request", "sas:search_slots"):
        assert client.get(reverse(name, args=[item.pk])).status_code == 404
    assert (
        client.post(reverse("sas:book", args=[item.pk]), {"slot": sas["soon"].pk}).status_code
        == 404
    )
    assert (
        client.post(reverse("sas:outcome", args=[item.pk]), {"outcome": "redirected"}).status_code
        == 404
    )
    # the 59 regulation may not book a slot of Pas-de-Calais (out of its départements)
    client.force_login(sas["regulator"])
    response = client.post(reverse("sas:book", args=[item.pk]), {"slot": sas["far_slot"].pk})
    assert response.status_code == 404
    assert not Appointment.objects.exists()
    assert Request.objects.get().outcome == ""


@pytest.mark.parametrize("who", ["coordinator", "cpam", "national", "facilitator"])
def test_only_the_regulation_and_administrators_open_the_regulation(
    sas: dict[str, Any], client: Client, who: str
) -> None:
    client.force_login(sas[who])
    assert client.get(reverse("sas:requests")).status_code == 403
    assert _record(client).status_code == 403
    assert not Request.objects.exists()


def test_junk_query_parameters_never_fail(sas: dict[str, Any], client: Client) -> None:
    client.force_login(sas["regulator"])
    for query in (
        "?page=abc",
        "?statut=zzz&page=-1",
        "?du=2024-99-99&au=junk",
        "?du=2025-01-01&au=2024-01-01",
    ):
        assert client.get(reverse("sas:requests") + query).status_code == 200
    assert client.get(reverse("sas:request", args=[999999])).status_code == 404
    assert client.post(reverse("sas:book", args=[999999]), {"slot": "x"}).status_code == 404
    client.force_login(sas["coordinator"])
    for query in ("?page=abc", "?periode=zzz", "?page=99999&periode=annee-99"):
        assert client.get(_page(sas["nord"].pk) + query).status_code == 200


def test_the_coordinator_organises_its_unscheduled_care(
    sas: dict[str, Any], client: Client
) -> None:
    nord = sas["nord"]
    client.force_login(sas["coordinator"])
    url = reverse("communities:unscheduled_care_organisation", args=[nord.pk])
    bad = client.post(url, {"org-valid_from": "2024-01-01", "org-ways": ["dedicated_line"]})
    assert "Indiquez le numéro de la ligne dédiée." in bad.content.decode()
    assert not Organisation.objects.exists()
    for phone in ("03 20 00 00 00", "03 20 11 11 11"):
        response = client.post(
            url,
            {
                "org-valid_from": "2024-01-01",
                "org-ways": ["dedicated_line", "reserved_slots"],
                "org-phone": phone,
                "org-contacts": "Mme Martin ; coordinatrice ; 0600000000",
            },
        )
        assert response.status_code == 302
    page = client.get(_page(nord.pk)).content.decode()
    assert "Version 2" in page
    assert "03 20 00 00 00" in page  # the comparison: before
    assert Organisation.objects.get(version=2).contacts == [
        {"nom": "Mme Martin", "fonction": "coordinatrice", "téléphone": "0600000000"}
    ]
    member = MemberFactory(community=nord, profession="nurse")
    response = client.post(
        reverse("communities:unscheduled_care_volunteer", args=[nord.pk]),
        {"vol-member": member.pk, "vol-since": "2024-01-01"},
    )
    assert response.status_code == 302
    added = Volunteer.objects.get(member=member)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client.post(
        reverse("communities:unscheduled_care_slots", args=[nord.pk]),
        {
            "slots-volunteer": added.pk,
            "slots-day": tomorrow.isoformat(),
            "slots-start": "09:00",
            "slots-minutes": "30",
            "slots-repeat": "3",
            "slots-kinds": ["SNP", "CPTS"],
        },
    )
    assert response.status_code == 302
    slots = list(Slot.objects.filter(volunteer=added))
    assert len(slots) == 3
    assert timezone.localtime(slots[2].start).date() == tomorrow + dt.timedelta(days=2)
    assert slots[0].kinds == ["SNP", "CPTS"]
    client.post(reverse("communities:unscheduled_care_deactivate", args=[nord.pk, added.pk]))
    assert not Volunteer.objects.get(pk=added.pk).active


def test_forged_ids_are_refused(sas: dict[str, Any], client: Client) -> None:
    nord = sas["nord"]
    client.force_login(sas["coordinator"])
    stranger = MemberFactory(community=sas["pas_de_calais"])
    response = client.post(
        reverse("communities:unscheduled_care_volunteer", args=[nord.pk]),
        {"vol-member": stranger.pk, "vol-since": "2024-01-01"},
    )
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert not Volunteer.objects.filter(member=stranger).exists()
    response = client.post(
        reverse("communities:unscheduled_care_slots", args=[nord.pk]),
        {
            "slots-volunteer": sas["far"].pk,
            "slots-day": (timezone.localdate() + dt.timedelta(days=1)).isoformat(),
            "slots-start": "09:00",
            "slots-minutes": "30",
            "slots-repeat": "1",
            "slots-kinds": ["SNP"],
        },
    )
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert not Slot.objects.filter(volunteer=sas["far"]).exclude(pk=sas["far_slot"].pk).exists()
    deactivate = reverse("communities:unscheduled_care_deactivate", args=[nord.pk, sas["far"].pk])
    assert client.post(deactivate).status_code == 404
    assert Volunteer.objects.get(pk=sas["far"].pk).active


def test_boundaries_of_the_community_page(sas: dict[str, Any], client: Client) -> None:
    pas_de_calais, nord = sas["pas_de_calais"], sas["nord"]
    client.force_login(sas["coordinator"])
    assert client.get(_page(pas_de_calais.pk)).status_code == 404
    url = reverse("communities:unscheduled_care_organisation", args=[nord.pk])
    data = {"org-valid_from": "2024-01-01", "org-ways": ["reserved_slots"]}
    client.force_login(sas["national"])
    assert client.post(url, data).status_code == 403
    page = client.get(_page(nord.pk)).content.decode()
    assert sas["helper"].member.name not in page  # counts only
    assert 'data-testid="volunteer-count">1<' in page
    client.force_login(sas["regulator"])  # reads the volunteers of its départements
    assert sas["helper"].member.name in client.get(_page(nord.pk)).content.decode()
    assert client.post(url, data).status_code == 403
    assert client.get(_page(pas_de_calais.pk)).status_code == 404
    client.force_login(sas["cpam"])
    assert sas["helper"].member.name in client.get(_page(nord.pk)).content.decode()
    assert not Organisation.objects.exists()
    assert Member.objects.filter(community=nord).count() == 1


def test_the_menu_shows_the_regulation_to_the_regulation(
    sas: dict[str, Any], client: Client
) -> None:
    client.force_login(sas["regulator"])
    assert "Régulation SAS" in client.get(reverse("sas:requests")).content.decode()
    client.force_login(sas["coordinator"])
    page = client.get(_page(sas["nord"].pk)).content.decode()
    assert "Régulation SAS" not in page
    assert "Soins non programmés" in page


def test_the_annex_counts_the_sas_requests(contracted: dict[str, Any], client: Client) -> None:
    from decimal import Decimal

    from cpts.contracts import services
    from cpts.contracts.models import Indicator

    indicator = services.add_indicator(
        contracted["contract"],
        1,
        contracted["cpam"],
        {
            "mission": "access",
            "action": "Soins non programmés",
            "kind": "target",
            "label": "Demandes du SAS ayant abouti à un rendez-vous",
            "amount": Decimal(1000),
            "objective": Decimal(2),
            "computed_code": "sas_appointments",
            "computed_measure": "number",
        },
    )
    client.force_login(contracted["coordinator"])
    pk = contracted["nord"].pk
    annex = client.get(reverse("communities:annex", args=[pk, 1])).content.decode()
    assert "Compter les demandes du SAS" in annex
    assert "relié aux demandes du SAS, pas encore compté" in annex
    client.force_login(contracted["national"])
    assert client.post(reverse("communities:count_sas_requests", args=[pk, 1])).status_code == 403
    client.force_login(contracted["coordinator"])
    response = client.post(reverse("communities:count_sas_requests", args=[pk, 1]))
    assert response.status_code == 302
    indicator.refresh_from_db()
    assert indicator.measured_value == Decimal("0.00")
    assert indicator.computed_engine == "sas"
    annex = client.get(reverse("communities:annex", args=[pk, 1])).content.decode()
    assert "source : demandes du SAS enregistrées dans CPTS Pilote" in annex
    assert Indicator.objects.get(pk=indicator.pk).computed_by == contracted["coordinator"]


def test_the_declarations_page_shows_the_outbox_to_whom_it_may(
    sas: dict[str, Any], client: Client, settings: Any
) -> None:
    from cpts.unscheduled_care.models import Declaration
    from cpts.unscheduled_care.services import book, record_request

    settings.SAS_PLATFORM_URL = ""
    both = regulator(["59", "62"])
    for hours, (helper, commune) in enumerate([(sas["helper"], "59350"), (sas["far"], "62041")]):
        item = record_request(
            both,
            commune=Commune.objects.get(code=commune),
            urgency="within_deadline",
            received_at=timezone.now() - dt.timedelta(minutes=5),
        )
        book(both, slot(helper, timezone.now() + dt.timedelta(hours=5 + hours)), item)
    Declaration.objects.filter(appointment__slot__volunteer=sas["far"]).update(
        status="failed", attempts=1, response_status=422, response_body="refusé : créneau inconnu"
    )
    url = reverse("sas:declarations")
    client.force_login(sas["admin"])
    page = client.get(url).content.decode()
    assert page.count('data-testid="declaration"') == 2
    assert "HTTP 422 refusé : créneau inconnu" in page
    assert 'data-testid="outbox-not-configured"' in page
    client.force_login(
        sas["regulator"]
    )  # the Nord's regulation: its département's appointment only
    page = client.get(url).content.decode()
    assert page.count('data-testid="declaration"') == 1
    assert "créneau inconnu" not in page
    assert client.get(url, {"page": "999999999999999999999"}).status_code == 200
    for role in ("coordinator", "cpam", "national"):
        client.force_login(sas[role])
        assert client.get(url).status_code == 403
