"""The crisis response's screens: access per role, forms, the ARS's report and its CSV."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from cpts.core import tasks
from cpts.crises import response
from cpts.crises.models import CrisisActivation, DeliveryStatus, HealthCrisis, Typology
from cpts.crises.services import declare_crisis

from ..factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def crisis(people: dict[str, Any]) -> HealthCrisis:
    crisis, _ = declare_crisis(people["ars"], dt.date(2025, 1, 20), Typology.EPIDEMIC, "Grippe")
    return crisis


def url(name: str, people: dict[str, Any], crisis: HealthCrisis, **extra: Any) -> str:
    return reverse(
        f"communities:{name}", kwargs={"pk": people["nord"].pk, "crisis_pk": crisis.pk, **extra}
    )


def login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def previewed_send(people: dict[str, Any], crisis: HealthCrisis, client: Client) -> dict[str, str]:
    """A member with an address, the plan activated, the coordinator signed in on ``client``
    and shown the preview of « Masques obligatoires »: the form its « Envoyer » button posts."""
    MemberFactory(community=people["nord"], name="Dr Dupont", email="dupont@example.org")
    response.activate(crisis, people["nord"], people["coordinator"])
    login(client, people["coordinator"])
    data = {"template": "instructions", "text": "Masques obligatoires"}
    preview = client.post(url("crisis_message", people, crisis), {**data, "preview": "1"})
    token = re.search(r'name="previewed" value="([^"]+)"', preview.content.decode())
    assert token is not None
    return {**data, "previewed": token[1], "send": "1"}


def send(client: Client, people: dict[str, Any], crisis: HealthCrisis, text: str) -> Any:
    """Preview the instructions, then press « Envoyer aux membres » of the preview (its hidden
    fields, as the browser sends them)."""
    page = client.post(
        url("crisis_message", people, crisis),
        {"template": "instructions", "text": text, "preview": "1"},
    ).content.decode()
    token = re.search(r'name="previewed" value="([^"]+)"', page)
    assert token is not None
    return client.post(
        url("crisis_message", people, crisis),
        {"template": "instructions", "text": text, "previewed": token[1], "send": "1"},
        follow=True,
    )


def test_the_coordinator_activates_logs_mobilises_and_messages(
    people: dict[str, Any], crisis: HealthCrisis, client: Client
) -> None:
    nord = people["nord"]
    dupont = MemberFactory(community=nord, name="Dr Dupont", email="dupont@example.org")
    MemberFactory(community=nord, name="Dr Sans", email="")
    stranger = MemberFactory(community=people["pas_de_calais"], name="Dr Ailleurs")
    login(client, people["coordinator"])

    page = client.get(reverse("communities:crises", args=[nord.pk])).content.decode()
    assert "Grippe" in page
    assert "Activer le plan de crise" in page
    response_ = client.post(url("activate_crisis_plan", people, crisis))
    assert response_.status_code == 302
    again = client.post(url("activate_crisis_plan", people, crisis), follow=True)
    assert "déjà activé pour cette crise" in again.content.decode()
    assert CrisisActivation.objects.count() == 1

    client.post(
        url("crisis_action", people, crisis),
        {"happened_at": "2025-01-21T09:30", "description": "Cellule de crise réunie"},
    )
    bad = client.post(
        url("crisis_action", people, crisis), {"happened_at": "demain", "description": ""}
    )
    assert bad.status_code == 400
    forged = client.post(
        url("crisis_mobilise", people, crisis),
        {"members": [stranger.pk], "role": "Renfort", "mobilised_on": "2025-01-21"},
    )
    assert forged.status_code == 400
    client.post(
        url("crisis_mobilise", people, crisis),
        {"members": [dupont.pk], "role": "Renfort", "mobilised_on": "2025-01-21"},
    )
    preview = client.post(
        url("crisis_message", people, crisis),
        {"template": "instructions", "text": "<b>Masques</b> obligatoires", "preview": "1"},
    ).content.decode()
    assert "Aperçu : [CPTS Nord] Consignes : Grippe" in preview
    assert "&lt;b&gt;Masques&lt;/b&gt; obligatoires" in preview  # escaped in the page
    assert mail.outbox == []
    assert not response.CrisisMessage.objects.exists()
    sent = send(client, people, crisis, "Masques obligatoires").content.decode()
    assert "1 courriel(s) en cours d&#x27;envoi, 1 membre(s) sans adresse" in sent
    tasks.run_due()
    assert [m.to for m in mail.outbox] == [["dupont@example.org"]]

    activation = CrisisActivation.objects.get()
    assert activation.actions.get().description == "Cellule de crise réunie"
    assert list(activation.mobilised.values_list("member__name", flat=True)) == ["Dr Dupont"]
    message = activation.messages.get()
    deliveries = client.get(url("crisis_deliveries", people, crisis, message_pk=message.pk))
    text = deliveries.content.decode()
    assert "dupont@example.org" in text
    assert "envoyé" in text
    assert "sans adresse" in text
    assert message.deliveries.filter(status=DeliveryStatus.SENT).count() == 1


@pytest.mark.parametrize(
    ("role", "crises_page", "activation_page", "deliveries", "post"),
    [
        ("coordinator", 200, 200, 200, 302),
        ("admin", 200, 200, 200, 302),
        ("ars", 200, 200, 200, 403),
        ("cpam", 200, 200, 200, 403),
        ("national", 200, 200, 404, 403),  # counts, never names
        ("facilitator", 404, 404, 404, 404),
        ("ars_occitanie", 404, 404, 404, 404),
    ],
)
def test_access_per_role(
    people: dict[str, Any],
    crisis: HealthCrisis,
    client: Client,
    role: str,
    crises_page: int,
    activation_page: int,
    deliveries: int,
    post: int,
) -> None:
    MemberFactory(community=people["nord"], name="Dr Dupont", email="dupont@example.org")
    activation = response.activate(crisis, people["nord"], people["coordinator"])
    message = response.send_message(activation, people["coordinator"], "activation", "")
    login(client, people[role])
    assert (
        client.get(reverse("communities:crises", args=[people["nord"].pk])).status_code
        == crises_page
    )
    assert client.get(url("activation", people, crisis)).status_code == activation_page
    assert (
        client.get(url("crisis_deliveries", people, crisis, message_pk=message.pk)).status_code
        == deliveries
    )
    assert (
        client.post(
            url("crisis_action", people, crisis),
            {"happened_at": "2025-01-21T09:30", "description": "x"},
        ).status_code
        == post
    )


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("ars", 200),
        ("cpam", 200),
        ("national", 200),
        ("admin", 200),
        ("ars_occitanie", 404),
        ("coordinator", 404),
        ("facilitator", 404),
    ],
)
def test_the_crisis_page_and_its_report_per_role(
    people: dict[str, Any], crisis: HealthCrisis, client: Client, role: str, status: int
) -> None:
    login(client, people[role])
    for name in ("detail", "report", "report_csv"):
        assert client.get(reverse(f"crises:{name}", args=[crisis.pk])).status_code == status, name


def test_the_ars_sees_who_activated_and_downloads_a_safe_csv(
    people: dict[str, Any], crisis: HealthCrisis, client: Client
) -> None:
    nord = people["nord"]
    nord.name = "=HYPERLINK(1)"
    nord.save()
    MemberFactory(community=nord, email="a@example.org")
    activation = response.activate(crisis, nord, people["coordinator"])
    response.log_action(
        activation,
        people["coordinator"],
        dt.datetime(2025, 1, 21, 9, 0, tzinfo=dt.UTC),
        "-Appel des pharmacies",
    )
    response.send_message(activation, people["coordinator"], "activation", "")
    tasks.run_due()
    login(client, people["ars"])
    page = client.get(reverse("crises:detail", args=[crisis.pk])).content.decode()
    assert "1 CPTS sur 2</strong> ont activé leur plan de crise" in page
    assert "non activé" in page  # Pas-de-Calais
    report = client.get(reverse("crises:report", args=[crisis.pk])).content.decode()
    assert "-Appel des pharmacies" in report
    csv = client.get(reverse("crises:report_csv", args=[crisis.pk])).content.decode()
    lines = csv.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("CPTS;Département;Activé le;Plan en vigueur")
    assert lines[1].startswith("'=HYPERLINK(1);59;")
    assert lines[1].endswith(";aucun plan;;1;0;1;1;0;0;0")
    assert lines[2] == "CPTS Pas-de-Calais;62;non activé;;;0;0;0;0;0;0;0"


def test_a_cpam_reads_the_crises_of_its_departements_only(
    people: dict[str, Any], crisis: HealthCrisis, client: Client
) -> None:
    from cpts.territory.models import Departement

    pas_de_calais, _ = declare_crisis(
        people["ars"],
        dt.date(2025, 2, 1),
        Typology.CLIMATE,
        "Tempête",
        departements=Departement.objects.filter(code="62"),
    )
    login(client, people["cpam"])  # CPAM of the Nord (59)
    page = client.get(reverse("crises:list")).content.decode()
    assert f'href="{reverse("crises:detail", args=[crisis.pk])}"' in page
    assert "Tempête" in page  # listed (its region), but not readable
    assert f'href="{reverse("crises:detail", args=[pas_de_calais.pk])}"' not in page
    assert client.get(reverse("crises:detail", args=[pas_de_calais.pk])).status_code == 404


def test_a_message_is_verbatim_in_the_email_and_escaped_once_on_the_pages(
    people: dict[str, Any], crisis: HealthCrisis, client: Client
) -> None:
    MemberFactory(community=people["nord"], name="Dr Dupont", email="dupont@example.org")
    response.activate(crisis, people["nord"], people["coordinator"])
    login(client, people["coordinator"])
    text = "Signalez l'aggravation au 15 & à l'ARS, <b>vite</b>"
    escaped = "Signalez l&#x27;aggravation au 15 &amp; à l&#x27;ARS, &lt;b&gt;vite&lt;/b&gt;"
    page = client.post(
        url("crisis_message", people, crisis),
        {"template": "instructions", "text": text, "preview": "1"},
    ).content.decode()
    assert escaped in page
    assert '<pre class="cpts-message' in page
    assert "&amp;amp;" not in page
    assert "&amp;#x27;" not in page
    send(client, people, crisis, text)
    tasks.run_due()
    [email] = mail.outbox
    assert text in email.body
    assert "&" + "amp;" not in email.body
    assert "&#x27;" not in email.body
    message = response.CrisisMessage.objects.get()
    assert text in message.body
    deliveries = client.get(
        url("crisis_deliveries", people, crisis, message_pk=message.pk)
    ).content.decode()
    assert escaped in deliveries
    assert "&amp;amp;" not in deliveries
    assert "&amp;#x27;" not in deliveries


def test_sending_needs_the_preview_of_that_very_message(
    people: dict[str, Any], crisis: HealthCrisis, client: Client
) -> None:
    MemberFactory(community=people["nord"], name="Dr Dupont", email="dupont@example.org")
    response.activate(crisis, people["nord"], people["coordinator"])
    login(client, people["coordinator"])
    page = client.get(url("activation", people, crisis)).content.decode()
    assert "Prévisualiser" in page
    assert "Envoyer aux membres" not in page  # only on the preview

    # « Envoyer » without a preview (a forged or replayed form): the preview, nothing sent
    blind = client.post(
        url("crisis_message", people, crisis),
        {"template": "instructions", "text": "Masques obligatoires", "send": "1"},
    ).content.decode()
    assert "Aperçu : [CPTS Nord] Consignes : Grippe" in blind
    assert "Vérifiez l&#x27;aperçu du message avant de l&#x27;envoyer." in blind
    assert "Envoyer aux membres" in blind
    assert not response.CrisisMessage.objects.exists()

    # the preview of one text does not send another one
    preview = client.post(
        url("crisis_message", people, crisis),
        {"template": "instructions", "text": "Masques obligatoires", "preview": "1"},
    ).content.decode()
    token = re.search(r'name="previewed" value="([^"]+)"', preview)
    assert token is not None
    other = client.post(
        url("crisis_message", people, crisis),
        {"template": "instructions", "text": "Autre chose", "previewed": token[1], "send": "1"},
    ).content.decode()
    assert "Autre chose" in other
    assert not response.CrisisMessage.objects.exists()

    send(client, people, crisis, "Masques obligatoires")
    assert response.CrisisMessage.objects.get().body.count("Masques obligatoires") == 1


def test_closing_the_activation_needs_a_confirmation(
    people: dict[str, Any], crisis: HealthCrisis, client: Client
) -> None:
    response.activate(crisis, people["nord"], people["coordinator"])
    login(client, people["coordinator"])
    page = client.get(url("activation", people, crisis)).content.decode()
    assert "Je confirme la clôture" in page
    refused = client.post(url("crisis_close", people, crisis), follow=True).content.decode()
    assert "Cochez « Je confirme la clôture »" in refused
    assert CrisisActivation.objects.get().closed_at is None
    client.post(url("crisis_close", people, crisis), {"confirm": "1"})
    assert CrisisActivation.objects.get().closed_at is not None


def test_the_mobilisation_lists_the_others_by_profession_in_natural_order(
    people: dict[str, Any], crisis: HealthCrisis, client: Client
) -> None:
    nord = people["nord"]
    names = ["Professionnel 1-58", "Professionnel 1-6", "Professionnel 1-60"]
    nurses = [MemberFactory(community=nord, name=name, profession="nurse") for name in names]
    MemberFactory(community=nord, name="Professionnel 1-7", profession="general_practitioner")
    activation = response.activate(crisis, nord, people["coordinator"])
    response.mobilise(
        activation, people["coordinator"], [nurses[0].pk], "Renfort", crisis.declared_on
    )
    login(client, people["coordinator"])
    page = client.get(url("activation", people, crisis)).content.decode()
    select = page[page.index('name="members"') : page.index("</select>")]
    options = re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', select)
    groups = re.findall(r'<optgroup label="([^"]+)">', select)
    # « Professionnel 1-58 » is mobilised already; 6 before 60; the groups alphabetical
    assert groups == ["infirmier ou infirmière", "médecin généraliste"]
    assert options == ["Professionnel 1-6", "Professionnel 1-60", "Professionnel 1-7"]

    # a refused form lists the same members (never the mobilised one)
    refused = client.post(
        url("crisis_mobilise", people, crisis),
        {"members": [nurses[1].pk], "role": "", "mobilised_on": "2025-01-21"},
    ).content.decode()
    assert refused.count("Professionnel 1-58") == 1  # in the table of the mobilised only
    assert "Professionnel 1-60" in refused


def test_the_report_prints_without_the_site_s_navigation(
    people: dict[str, Any], crisis: HealthCrisis, client: Client
) -> None:
    login(client, people["ars"])
    page = client.get(reverse("crises:report", args=[crisis.pk])).content.decode()
    assert "<h1>Rapport de crise : Grippe</h1>" in page
    assert "Imprimer ou enregistrer en PDF</button>" in page
    assert "cpts/print.js" in page
    assert "Ctrl+P" not in page
    assert "<script>" not in page  # the CSP allows no inline script
    for navigation in ("fr-sidemenu", "fr-header", "fr-breadcrumb"):
        assert navigation not in page


def test_the_crisis_list_names_the_departements(people: dict[str, Any], client: Client) -> None:
    from cpts.territory.models import Departement

    declare_crisis(
        people["ars"],
        dt.date(2025, 2, 3),
        Typology.CLIMATE,
        "Inondations",
        departements=Departement.objects.filter(code__in=["59", "62"]),
    )
    login(client, people["ars"])
    page = client.get(reverse("crises:list")).content.decode()
    assert "<td>Nord (59), Pas-de-Calais (62)</td>" in page


def test_a_preview_is_good_for_its_user_and_for_half_an_hour_only(
    people: dict[str, Any],
    crisis: HealthCrisis,
    client: Client,
    make_user: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    from cpts.accounts.models import Role

    sent = previewed_send(people, crisis, client)

    # another coordinator of the same community replays it: shown the preview, nothing sent
    other = make_user("coord2", Role.COORDINATOR, community=people["nord"])
    replay = login(Client(), other).post(url("crisis_message", people, crisis), sent)
    assert "Vérifiez l&#x27;aperçu du message avant de l&#x27;envoyer." in replay.content.decode()
    assert not response.CrisisMessage.objects.exists()

    # 31 minutes later, the same user's preview has expired: shown again, nothing sent
    later = time.time() + 31 * 60
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    stale = client.post(url("crisis_message", people, crisis), sent).content.decode()
    assert "Vérifiez l&#x27;aperçu du message avant de l&#x27;envoyer." in stale
    assert not response.CrisisMessage.objects.exists()

    # within the half hour, it sends
    monkeypatch.setattr("django.core.signing.time.time", lambda: later - 2 * 60)
    assert client.post(url("crisis_message", people, crisis), sent).status_code == 302
    assert response.CrisisMessage.objects.count() == 1


def test_a_preview_sends_its_message_once(
    people: dict[str, Any], crisis: HealthCrisis, client: Client
) -> None:
    """The form posted again with the same preview (a double click, « back » and resend, within
    the half hour) must not e-mail every member a second time: the second post shows the
    preview again."""
    sent = previewed_send(people, crisis, client)
    assert client.post(url("crisis_message", people, crisis), sent).status_code == 302
    again = client.post(url("crisis_message", people, crisis), sent)
    assert "Vérifiez l&#x27;aperçu du message avant de l&#x27;envoyer." in again.content.decode()
    assert response.CrisisMessage.objects.count() == 1
