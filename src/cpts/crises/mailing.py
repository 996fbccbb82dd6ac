"""Information messages to a community's members during a crisis: the templates, their rendering,
and the queue's handler that sends one e-mail per delivery (``crises.send_message``).

The templates are data of the code (reviewed like code), in Django's template language. What a
user types (the free text) is a *context variable*, never template source: ``{{ texte }}`` in it
is printed as typed, never evaluated. Autoescape is off: the e-mails are plain text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.mail import send_mail
from django.template import Context, Engine
from django.utils import timezone

from cpts.core import tasks
from cpts.core.models import Task

#: The queue's kind for one e-mail to one member; attempts before the delivery fails for good.
SEND_MESSAGE = "crises.send_message"
SEND_ATTEMPTS = 4


@dataclass(frozen=True)
class MessageTemplate:
    label: str
    subject: str
    body: str


#: Placeholders: {{ cpts }}, {{ crise }}, {{ typologie }}, {{ date }} (of the crisis's
#: declaration), {{ texte }} (the free text of the message).
TEMPLATES: dict[str, MessageTemplate] = {
    "activation": MessageTemplate(
        "Activation du plan de crise",
        "[{{ cpts }}] Activation du plan de crise : {{ crise }}",
        """Bonjour,

L'ARS a déclaré le {{ date }} une crise sanitaire grave : « {{ crise }} » ({{ typologie }}).
La {{ cpts }} active son plan de crise.
{% if texte %}
{{ texte }}
{% endif %}
La coordination de la CPTS vous tiendra informé(e) de la suite.

La coordination de la {{ cpts }}
""",
    ),
    "instructions": MessageTemplate(
        "Consignes aux membres",
        "[{{ cpts }}] Consignes : {{ crise }}",
        """Bonjour,

Dans le cadre de la crise « {{ crise }} » ({{ typologie }}, déclarée le {{ date }}), voici les consignes de la {{ cpts }} :

{{ texte }}

Merci de votre mobilisation.

La coordination de la {{ cpts }}
""",
    ),
    "end": MessageTemplate(
        "Fin de crise",
        "[{{ cpts }}] Fin de la crise : {{ crise }}",
        """Bonjour,

La crise « {{ crise }} » ({{ typologie }}, déclarée le {{ date }}) est terminée : la {{ cpts }} lève son plan de crise.
{% if texte %}
{{ texte }}
{% endif %}
Merci à toutes et à tous pour votre engagement.

La coordination de la {{ cpts }}
""",
    ),
}

_ENGINE = Engine(autoescape=False)


def template_choices() -> list[tuple[str, str]]:
    return [(key, template.label) for key, template in TEMPLATES.items()]


def render(
    key: str, *, community: str, crisis: str, typology: str, day: dt.date, text: str
) -> tuple[str, str]:
    """(subject, body) of the template ``key`` (a KeyError for an unknown key)."""
    template = TEMPLATES[key]
    context = Context(
        {
            "cpts": community,
            "crise": crisis,
            "typologie": typology,
            "date": f"{day:%d/%m/%Y}",
            "texte": text.strip(),
        },
        # plain text: the Context's own flag decides (Engine.autoescape only applies to the
        # contexts the engine builds itself), so it is set here; the pages escape on display
        autoescape=False,
    )
    subject = str(_ENGINE.from_string(template.subject).render(context))
    body = str(_ENGINE.from_string(template.body).render(context))
    # one line for the subject (a header); at most one blank line in a row in the body
    subject = " ".join(subject.split())[:300]
    while "\n\n\n" in body:
        body = body.replace("\n\n\n", "\n\n")
    return subject, body.strip() + "\n"


# --- The queue's handler ---------------------------------------------------------------------------


def send_delivery(payload: dict[str, Any]) -> None:
    """Send the e-mail of one delivery (``payload["delivery"]``); an SMTP error propagates (the
    queue retries, then :func:`delivery_failed` marks it failed)."""
    from .models import DeliveryStatus, MessageDelivery

    delivery = (
        MessageDelivery.objects.select_for_update()
        .select_related("message")
        .get(pk=payload["delivery"])
    )
    if delivery.status == DeliveryStatus.SENT or not delivery.email:
        return  # already sent (a task enqueued twice), or nothing to send to
    send_mail(
        delivery.message.subject, delivery.message.body, None, [delivery.email], fail_silently=False
    )
    delivery.status = DeliveryStatus.SENT
    delivery.attempts += 1
    delivery.sent_at = timezone.now()
    delivery.last_error = ""
    delivery.save(update_fields=["status", "attempts", "sent_at", "last_error"])


def delivery_failed(
    task: Task, error: str, gave_up: bool, exception: BaseException | None = None
) -> None:
    """After a failed attempt: the delivery shows it (failed for good after the last one)."""
    from .models import DeliveryStatus, MessageDelivery

    MessageDelivery.objects.filter(pk=task.payload.get("delivery")).exclude(
        status=DeliveryStatus.SENT
    ).update(
        attempts=task.attempts,
        last_error=error[:2000],
        status=DeliveryStatus.FAILED if gave_up else DeliveryStatus.QUEUED,
    )


def register_handlers() -> None:
    """Called by :meth:`cpts.crises.apps.CrisesConfig.ready`."""
    tasks.register(SEND_MESSAGE, on_error=delivery_failed)(send_delivery)
