"""The ARS ends a crisis of its region: not before its declaration, not in the future, once;
audited. An ended crisis is no longer « en cours » for the communities and cannot be activated;
an open activation of it can still be closed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404
from django.test import Client
from django.urls import reverse

from cpts.core.dates import today
from cpts.core.errors import RuleError
from cpts.crises import response
from cpts.crises.models import HealthCrisis, Typology
from cpts.crises.services import declare_crisis, end_crisis

pytestmark = pytest.mark.django_db
DECLARED = dt.date(2025, 1, 20)


@pytest.fixture
def crisis(people: dict[str, Any]) -> HealthCrisis:
    crisis, _ = declare_crisis(people["ars"], DECLARED, Typology.EPIDEMIC, "Grippe")
    return crisis


def test_the_ars_of_the_region_ends_it_once_between_declaration_and_today(
    people: dict[str, Any], crisis: HealthCrisis
) -> None:
    ars = people["ars"]
    with pytest.raises(RuleError, match="comprise entre le 20/01/2025"):
        end_crisis(ars, crisis, DECLARED - dt.timedelta(days=1))
    with pytest.raises(RuleError, match="aujourd'hui"):
        end_crisis(ars, crisis, today() + dt.timedelta(days=1))
    with pytest.raises(Http404):
        end_crisis(people["ars_occitanie"], crisis, dt.date(2025, 3, 1))
    for role in ("cpam", "coordinator", "national"):
        with pytest.raises(PermissionDenied):
            end_crisis(people[role], crisis, dt.date(2025, 3, 1))
    assert HealthCrisis.objects.get().ended_on is None

    end_crisis(ars, crisis, DECLARED)  # the very day of its declaration is allowed
    assert HealthCrisis.objects.get().ended_on == DECLARED
    with pytest.raises(RuleError, match="déjà close"):
        end_crisis(ars, crisis, dt.date(2025, 3, 1))
    last = HealthCrisis.history.filter(id=crisis.pk).latest("history_date")
    assert (last.history_type, last.ended_on, last.history_user) == ("~", DECLARED, ars)


def test_the_database_refuses_an_end_before_the_declaration(crisis: HealthCrisis) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        HealthCrisis.objects.filter(pk=crisis.pk).update(ended_on=DECLARED - dt.timedelta(days=1))


def test_an_ended_crisis_is_not_activated_but_an_open_activation_closes(
    people: dict[str, Any], crisis: HealthCrisis
) -> None:
    nord, pas_de_calais = people["nord"], people["pas_de_calais"]
    activation = response.activate(crisis, nord, people["coordinator"])
    end_crisis(people["ars"], crisis, dt.date(2025, 3, 1))
    crisis.refresh_from_db()
    with pytest.raises(RuleError, match="close depuis le 01/03/2025"):
        response.activate(crisis, pas_de_calais, people["admin"])
    response.close(activation, people["coordinator"])
    activation.refresh_from_db()
    assert activation.closed_at is not None


def test_the_screens(people: dict[str, Any], crisis: HealthCrisis, client: Client) -> None:
    nord = people["nord"]
    response.activate(crisis, nord, people["coordinator"])
    detail = reverse("crises:detail", args=[crisis.pk])
    end = reverse("crises:end", args=[crisis.pk])

    client.force_login(people["cpam"])
    assert "Clore la crise" not in client.get(detail).content.decode()
    assert client.post(end, {"ended_on": "2025-03-01"}).status_code == 403
    client.force_login(people["ars_occitanie"])
    assert client.post(end, {"ended_on": "2025-03-01"}).status_code == 404

    client.force_login(people["ars"])
    assert "Clore la crise</button>" in client.get(detail).content.decode()
    bad = client.post(end, {"ended_on": "2024-12-31"})
    assert bad.status_code == 400
    assert "comprise entre le 20/01/2025" in bad.content.decode()
    assert client.post(end, {"ended_on": "2030-13-45"}).status_code == 400
    assert HealthCrisis.objects.get().ended_on is None
    done = client.post(end, {"ended_on": "2025-03-01"}, follow=True).content.decode()
    assert "Crise close" in done
    assert "close le 01/03/2025" in done
    assert "Clore la crise</button>" not in done
    assert "close le 01/03/2025" in client.get(reverse("crises:list")).content.decode()

    # the communities: no longer « en cours », never activated now; the open activation to close
    client.force_login(people["coordinator"])
    page = client.get(reverse("communities:crises", args=[nord.pk])).content.decode()
    current = page[: page.index("Crises closes par l")]
    assert "Grippe" not in current
    assert "à clore" in page
    client.force_login(people["admin"])
    other = client.get(
        reverse("communities:crises", args=[people["pas_de_calais"].pk])
    ).content.decode()
    assert "Activer le plan de crise</button>" not in other
    assert "non activé" in other


def test_a_second_end_from_a_stale_page_is_refused_not_written_over(
    people: dict[str, Any], crisis: HealthCrisis
) -> None:
    """Two ARS users opened the crisis before either ended it: the second end reads the crisis
    again under its lock and is refused, so the first date stays and one change is audited."""
    stale = HealthCrisis.objects.get(pk=crisis.pk)  # loaded before the first end
    end_crisis(people["ars"], crisis, DECLARED)
    with pytest.raises(RuleError, match="déjà close"):
        end_crisis(people["ars"], stale, dt.date(2025, 3, 1))
    assert HealthCrisis.objects.get(pk=crisis.pk).ended_on == DECLARED
    ends = HealthCrisis.history.filter(id=crisis.pk, history_type="~")
    assert [row.ended_on for row in ends] == [DECLARED]
