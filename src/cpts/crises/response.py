"""A community's response to a declared crisis: it activates its plan, logs its actions, names
the members it mobilises, messages its members (one e-mail each, through the task queue), and
closes the activation. Each write checks :data:`Action.RESPOND` first (the coordinator of the
community, an administrator)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal

from django.db import IntegrityError, transaction
from django.utils import timezone

from cpts.accounts.access import Action, require
from cpts.accounts.models import User
from cpts.communities.models import Community, Member
from cpts.core import tasks
from cpts.core.audit import bulk_create_audited, save_audited
from cpts.core.dates import moment_fr, today
from cpts.core.errors import RuleError

from . import mailing
from .models import (
    CrisisAction,
    CrisisActivation,
    CrisisMessage,
    DeliveryStatus,
    HealthCrisis,
    MessageDelivery,
    MobilisedMember,
)
from .selectors import concerns, plan_in_force

MAX_TEXT = 5000


def activate(crisis: HealthCrisis, community: Community, user: User) -> CrisisActivation:
    """The community activates its crisis plan for ``crisis``: once, for a crisis that concerns
    it and is declared (today or before). The plan in force is recorded (none: allowed)."""
    require(user, Action.RESPOND, community)
    if not concerns(crisis, community):
        raise RuleError(f"La crise « {crisis.title} » ne concerne pas la {community.name}.")
    if crisis.declared_on > today():
        raise RuleError(
            f"La crise n'est déclarée qu'à partir du {crisis.declared_on:%d/%m/%Y} : le plan ne "
            "peut pas être activé avant."
        )
    existing = CrisisActivation.objects.filter(crisis=crisis, community=community).first()
    if existing is not None:
        raise RuleError(_already(existing))
    if crisis.ended_on is not None:
        raise RuleError(
            f"La crise est close depuis le {crisis.ended_on:%d/%m/%Y} : le plan ne peut plus être "
            "activé pour elle."
        )
    now = timezone.now()
    activation = CrisisActivation(
        crisis=crisis,
        community=community,
        activated_at=now,
        activated_by=user,
        plan=plan_in_force(community, timezone.localdate(now)),
    )
    try:
        with transaction.atomic():
            return save_audited(activation, user)
    except IntegrityError:  # activated meanwhile, from another screen
        existing = CrisisActivation.objects.get(crisis=crisis, community=community)
        raise RuleError(_already(existing)) from None


def _already(activation: CrisisActivation) -> str:
    return (
        "Le plan de crise est déjà activé pour cette crise (depuis le "
        f"{moment_fr(activation.activated_at)})."
    )


def _open(activation: CrisisActivation, user: User) -> None:
    """Refuse a write to a closed activation. Called first inside the writer's transaction: the
    activation's row is read again under a lock, so a close that commits meanwhile is seen and a
    write never lands after it (closing takes the same lock)."""
    require(user, Action.RESPOND, activation.community)
    current = CrisisActivation.objects.select_for_update().only("closed_at").get(pk=activation.pk)
    activation.closed_at = current.closed_at
    if activation.closed_at is not None:
        raise RuleError(
            "L'activation du plan de crise est close : elle ne peut plus être modifiée."
        )


@transaction.atomic
def log_action(
    activation: CrisisActivation, user: User, happened_at: dt.datetime, description: str
) -> CrisisAction:
    """One entry of the action log: when (from the crisis's declaration to now), what."""
    _open(activation, user)
    description = description.strip()
    if not description:
        raise RuleError("Décrivez l'action menée.")
    if len(description) > MAX_TEXT:
        raise RuleError(f"La description dépasse {MAX_TEXT} caractères.")
    if timezone.is_naive(happened_at):
        happened_at = timezone.make_aware(happened_at)
    declared = activation.crisis.declared_on
    if timezone.localdate(happened_at) < declared or happened_at > timezone.now() + dt.timedelta(
        minutes=5
    ):
        raise RuleError(
            f"La date de l'action doit être comprise entre le {declared:%d/%m/%Y} (déclaration "
            "de la crise) et maintenant."
        )
    return save_audited(
        CrisisAction(
            activation=activation, happened_at=happened_at, description=description, author=user
        ),
        user,
    )


@transaction.atomic
def mobilise(
    activation: CrisisActivation,
    user: User,
    member_ids: Iterable[int],
    role: str,
    on: dt.date,
) -> list[MobilisedMember]:
    """Mobilise members of the community (of that community only) with a role, from a date."""
    _open(activation, user)
    ids = set(member_ids)
    role = role.strip()
    if not ids:
        raise RuleError("Choisissez au moins un membre à mobiliser.")
    if not role:
        raise RuleError("Indiquez le rôle des membres mobilisés.")
    if len(role) > 200:
        raise RuleError("Le rôle dépasse 200 caractères.")
    if not activation.crisis.declared_on <= on <= today():
        raise RuleError(
            f"La date de mobilisation doit être comprise entre le "
            f"{activation.crisis.declared_on:%d/%m/%Y} et aujourd'hui."
        )
    members = list(Member.objects.filter(community=activation.community, pk__in=ids))
    if len(members) != len(ids):
        raise RuleError("Seuls les membres de la CPTS peuvent être mobilisés.")
    already = set(
        MobilisedMember.objects.filter(activation=activation, member__in=members).values_list(
            "member__name", flat=True
        )
    )
    if already:
        raise RuleError("Déjà mobilisé(s) : " + ", ".join(sorted(already)) + ".")
    try:
        return bulk_create_audited(
            MobilisedMember,
            (
                MobilisedMember(activation=activation, member=member, role=role, mobilised_on=on)
                for member in members
            ),
            user,
        )
    except IntegrityError:
        raise RuleError("Un de ces membres vient d'être mobilisé : recommencez.") from None


def preview(activation: CrisisActivation, template: str, text: str) -> tuple[str, str]:
    """(subject, body) of a message, as it would be sent."""
    if template not in mailing.TEMPLATES:
        raise RuleError("Modèle de message inconnu.")
    if len(text) > MAX_TEXT:
        raise RuleError(f"Le texte dépasse {MAX_TEXT} caractères.")
    crisis = activation.crisis
    return mailing.render(
        template,
        community=activation.community.name,
        crisis=crisis.title,
        typology=crisis.get_typology_display(),
        day=crisis.declared_on,
        text=text,
    )


@transaction.atomic
def send_message(
    activation: CrisisActivation,
    user: User,
    template: str,
    text: str,
    *,
    after: int | Literal["unchecked"] | None = "unchecked",
) -> CrisisMessage:
    """Render the message and queue one e-mail per member with an address (one task each, in
    this transaction: queued if and only if the message is recorded); the others are listed
    « sans adresse ».

    ``after``: the activation's latest message when the author saw the preview (None: none
    yet; ``"unchecked"``: not checked, for a caller with no preview). Checked under the activation's row lock, so that of two sends of the same preview at
    the same instant, the second is refused instead of e-mailing every member twice."""
    _open(activation, user)
    subject, body = preview(activation, template, text)
    if template == "instructions" and not text.strip():
        raise RuleError("Écrivez les consignes à transmettre aux membres.")
    members = list(activation.community.members.order_by("name", "pk"))
    if not members:
        raise RuleError("La CPTS n'a aucun membre à informer.")
    with transaction.atomic():
        if after != "unchecked":
            CrisisActivation.objects.select_for_update().filter(pk=activation.pk).first()
            latest = (
                CrisisMessage.objects.filter(activation=activation)
                .order_by("-pk")
                .values_list("pk", flat=True)
                .first()
            )
            if latest != after:
                raise RuleError(
                    "Un message vient d'être envoyé pour cette activation : vérifiez l'historique "
                    "avant d'en envoyer un autre."
                )
        message = save_audited(
            CrisisMessage(
                activation=activation,
                template=template,
                subject=subject,
                body=body,
                author=user,
                created_at=timezone.now(),
            ),
            user,
        )
        deliveries = MessageDelivery.objects.bulk_create(
            MessageDelivery(
                message=message,
                member=member,
                email=member.email,
                status=DeliveryStatus.QUEUED if member.email else DeliveryStatus.NO_ADDRESS,
            )
            for member in members
        )
        for delivery in deliveries:
            if delivery.status == DeliveryStatus.QUEUED:
                tasks.enqueue(
                    mailing.SEND_MESSAGE,
                    {"delivery": delivery.pk},
                    max_attempts=mailing.SEND_ATTEMPTS,
                )
    return message


@transaction.atomic
def close(activation: CrisisActivation, user: User) -> CrisisActivation:
    """The community ends its response (its log stays readable; nothing more is added)."""
    _open(activation, user)
    activation.closed_at = timezone.now()
    activation.closed_by = user
    return save_audited(activation, user, update_fields=["closed_at", "closed_by"])
