"""One lock for everything that moves a contract's money: payment runs, terminations, and the
annex's measured values filled from the claims (they drive the variable parts).

A PostgreSQL advisory lock, held until the end of the transaction: a second holder is refused
at once with a French message (never a wait that times out, never a 500).
"""

from __future__ import annotations

from django.db import connection

#: Key of the advisory lock (the letters "CPTS").
MONEY_LOCK = 0x43505453


class Busy(Exception):
    """Another payment run, termination or fill of the annex is under way; the message is for
    the user (a caller that knows better what it was doing says so in its own)."""


def lock_money() -> None:
    """Take the lock for the current transaction, or raise :class:`Busy`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [MONEY_LOCK])
        (acquired,) = cursor.fetchone()
    if not acquired:
        raise Busy(
            "Une campagne de paiement, une résiliation ou un calcul des indicateurs est en cours. "
            "Attendez la fin de l'opération, puis recommencez : ce qui aura été versé ne le sera "
            "pas deux fois."
        )
