"""Forms of the lifecycle (DSFR). Errors appear beside the field, in French; nothing is saved."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from dsfr.forms import DsfrBaseForm

from cpts.aci import Mission
from cpts.claims.indicators import definitions
from cpts.communities.models import Member
from cpts.core.forms import DATE, today
from cpts.unscheduled_care.selectors import INDICATOR_CODE as SAS_INDICATOR_CODE
from cpts.unscheduled_care.selectors import INDICATOR_LABEL as SAS_INDICATOR_LABEL


class FileDocumentForm(DsfrBaseForm):
    filed_on = forms.DateField(label="Date de dépôt", widget=DATE, initial=today)
    summary = forms.CharField(
        label="Résumé", widget=forms.Textarea(attrs={"rows": 5}), max_length=5000
    )


class DecisionForm(DsfrBaseForm):
    decision = forms.ChoiceField(
        label="Décision",
        choices=[("validate", "Valider"), ("refuse", "Refuser")],
        widget=forms.RadioSelect,
    )
    decided_on = forms.DateField(label="Date de la décision", widget=DATE, initial=today)
    reason = forms.CharField(
        label="Motif (obligatoire en cas de refus)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "refuse" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Un refus doit être motivé.")
        return data


class GrantForm(DsfrBaseForm):
    granted_on = forms.DateField(label="Date d'octroi", widget=DATE, initial=today)
    association = forms.BooleanField(label="Le projet est constitué en association", required=False)
    core_mission_started = forms.BooleanField(
        label="Le projet a démarré des actions d'une mission socle", required=False
    )


class SignContractForm(DsfrBaseForm):
    signed_on = forms.DateField(label="Date de signature", widget=DATE, initial=today)
    community_signatory = forms.CharField(label="Signataire pour la CPTS", max_length=200)
    cpam_signatory = forms.CharField(label="Signataire pour la CPAM", max_length=200)
    ars_signatory = forms.CharField(label="Signataire pour l'ARS", max_length=200)


class MissionForm(DsfrBaseForm):
    started_on = forms.DateField(label="Date de démarrage", widget=DATE, required=False)
    deployed_on = forms.DateField(label="Date de déploiement", widget=DATE, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        started, deployed = data.get("started_on"), data.get("deployed_on")
        if deployed and not started:
            self.add_error("started_on", "Indiquez d'abord la date de démarrage.")
        elif deployed and started and deployed < started:
            self.add_error("deployed_on", "Le déploiement ne peut pas précéder le démarrage.")
        return data


class AddMissionForm(DsfrBaseForm):
    mission = forms.ChoiceField(label="Mission", choices=[(m.value, m.label) for m in Mission])


class IndicatorValueForm(DsfrBaseForm):
    measured_value = forms.DecimalField(
        label="Valeur mesurée", required=False, max_digits=14, decimal_places=2
    )
    done = forms.BooleanField(label="Action réalisée", required=False)
    remarks = forms.CharField(
        label="Remarques", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class IndicatorVerdictForm(DsfrBaseForm):
    verdict = forms.ChoiceField(
        label="Décision",
        choices=[("accept", "Accepter"), ("refuse", "Refuser")],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label="Motif (obligatoire en cas de refus)", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("verdict") == "refuse" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Un refus doit être motivé.")
        return data


class CloseEvaluationForm(DsfrBaseForm):
    closed_on = forms.DateField(label="Date de clôture", widget=DATE, initial=today)


class PaymentRunForm(DsfrBaseForm):
    run_on = forms.DateField(label="Date de la campagne", widget=DATE, initial=today)


class CorrectionForm(DsfrBaseForm):
    amount = forms.DecimalField(
        label="Montant exact de l'écriture (€)",
        help_text="Une écriture de régularisation portera la différence ; l'écriture d'origine ne change pas.",
        max_digits=12,
        decimal_places=2,
    )
    reason = forms.CharField(
        label="Motif de la correction", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class TerminationForm(DsfrBaseForm):
    terminated_on = forms.DateField(label="Date de résiliation", widget=DATE, initial=today)
    reason = forms.CharField(
        label="Motif (par exemple : missions non démarrées dans les délais)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class AmendmentDecisionForm(DsfrBaseForm):
    amendment = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label="Décision",
        choices=[("apply", "Avenant signé : l'appliquer"), ("dismiss", "Écarter")],
        widget=forms.RadioSelect,
    )
    decided_on = forms.DateField(label="Date", widget=DATE, initial=today)


#: What is counted for an indicator bound to the SAS requests (its ``computed_measure`` is
#: ``number``, whose label speaks of the claims' patients or acts).
SAS_MEASURE_LABEL = "nombre de demandes"


def computed_choices() -> list[tuple[str, Any]]:
    """The computed indicators an annex indicator may be bound to, as ``code:measure``, grouped
    by source: the claims of the Assurance Maladie, the SAS requests recorded here."""
    claims: list[tuple[str, str]] = []
    for definition in definitions():
        if definition.kind == "share":
            claims.append((f"{definition.code}:percent", f"{definition.label} — part en %"))
            claims.append((f"{definition.code}:number", f"{definition.label} — nombre"))
        else:
            claims.append((f"{definition.code}:number", definition.label))
    return [
        ("", "— aucune : valeur saisie à la main —"),
        ("Données de l'Assurance Maladie", claims),
        (
            "Demandes du SAS enregistrées dans CPTS Pilote",
            [(f"{SAS_INDICATOR_CODE}:number", SAS_INDICATOR_LABEL)],
        ),
    ]


def computed_label(code: str) -> str:
    """A computed indicator's code as people read it (an unknown code as it is)."""
    if code == SAS_INDICATOR_CODE:
        return "demandes du SAS ayant abouti à un rendez-vous"
    for definition in definitions():
        if definition.code == code:
            return str(definition.label)
    return code


def measure_label(code: str, measure: str, display: str) -> str:
    """The measure of a binding: « nombre de demandes » for the SAS requests, else ``display``
    (the measure's label)."""
    return SAS_MEASURE_LABEL if code == SAS_INDICATOR_CODE and measure else display


def computed_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label="Valeur calculée (données de l'Assurance Maladie ou demandes du SAS)",
        choices=computed_choices,
        required=False,
        help_text="La CPAM ou la CPTS la calcule alors depuis l'annexe ; la CPAM l'accepte ou "
        "la refuse ensuite.",
    )


def split_binding(data: dict[str, Any]) -> dict[str, Any]:
    """``computed`` (``code:measure``) as ``computed_code`` and ``computed_measure``."""
    code, _, measure = (data.get("computed") or "").partition(":")
    data["computed_code"], data["computed_measure"] = code, measure
    return data


class IndicatorBindingForm(DsfrBaseForm):
    computed = computed_field()

    def clean(self) -> dict[str, Any]:
        return split_binding(super().clean() or {})


class IndicatorForm(DsfrBaseForm):
    """A new indicator of the annex. Tiers are written ``label:threshold:amount``, one per line."""

    mission = forms.ChoiceField(
        label="Mission", choices=[(m.value, m.label) for m in Mission if m is not Mission.CRISIS]
    )
    action = forms.CharField(label="Action", max_length=300)
    referent = forms.ModelChoiceField(
        label="Référent de l'action (membre)",
        queryset=Member.objects.none(),
        required=False,
        empty_label="—",
    )
    label = forms.CharField(label="Indicateur", max_length=300)
    kind = forms.ChoiceField(
        label="Nature",
        choices=[
            ("graded", "gradué par paliers"),
            ("target", "cible (tout ou rien)"),
            ("done", "action réalisée ou non"),
        ],
    )
    amount = forms.DecimalField(
        label="Montant si atteint (€)", max_digits=12, decimal_places=2, min_value=0, required=False
    )
    objective = forms.DecimalField(
        label="Objectif (cible)", max_digits=14, decimal_places=2, required=False
    )
    lower_is_better = forms.BooleanField(label="Plus bas est mieux", required=False)
    tiers = forms.CharField(
        label="Paliers (un par ligne : libellé:seuil:montant)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Par exemple : socle:69,7:1000",
    )
    deliverables = forms.CharField(
        label="Livrables attendus (un par ligne)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    computed = computed_field()

    def __init__(self, *args: Any, community: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if community is not None:
            self.fields["referent"].queryset = community.members.order_by("name")

    def clean_tiers(self) -> list[dict[str, str]]:
        tiers = []
        for number, line in enumerate((self.cleaned_data.get("tiers") or "").splitlines(), start=1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split(":")]
            if len(parts) != 3:
                raise forms.ValidationError(f"Ligne {number} : attendu libellé:seuil:montant.")
            try:
                threshold, amount = (
                    Decimal(part.replace(",", ".").replace(" ", "")) for part in parts[1:]
                )
            except InvalidOperation:
                raise forms.ValidationError(
                    f"Ligne {number} : seuil et montant sont des nombres."
                ) from None
            if amount < 0:
                raise forms.ValidationError(f"Ligne {number} : un montant est positif.")
            tiers.append({"label": parts[0], "threshold": str(threshold), "amount": str(amount)})
        return tiers

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == "graded":
            if not data.get("tiers"):
                self.add_error("tiers", "Un indicateur gradué a au moins un palier.")
            else:
                data["amount"] = max(Decimal(tier["amount"]) for tier in data["tiers"])
        elif data.get("amount") is None:
            self.add_error("amount", "Indiquez le montant payé si l'indicateur est atteint.")
        if kind == "target" and data.get("objective") is None:
            self.add_error("objective", "Une cible a un objectif.")
        if kind == "done" and data.get("computed"):
            self.add_error("computed", "Une action réalisée ou non ne se calcule pas.")
        return split_binding(data)


class DeliverableForm(DsfrBaseForm):
    ticked = forms.BooleanField(label="Livrable fourni", required=False)
    proof = forms.FileField(
        label="Justificatif",
        required=False,
        help_text="PDF, image, bureautique ou CSV ; 10 Mo au plus.",
    )

    def clean_proof(self) -> Any:
        from django.conf import settings

        proof = self.cleaned_data.get("proof")
        if proof is None:
            return proof
        extension = proof.name.rsplit(".", 1)[-1].lower() if "." in proof.name else ""
        if extension not in settings.PROOF_EXTENSIONS:
            allowed = ", ".join(settings.PROOF_EXTENSIONS)
            raise forms.ValidationError(
                f"Type de fichier refusé (.{extension}) : formats acceptés {allowed}."
            )
        if proof.size > settings.PROOF_MAX_BYTES:
            raise forms.ValidationError(
                f"Fichier trop volumineux : {settings.PROOF_MAX_BYTES // (1024 * 1024)} Mo au plus."
            )
        return proof
