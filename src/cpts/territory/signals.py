"""Signals of the territory, for the layers above it.

``perimeter_changed`` is sent when a new version of a community's perimeter is recorded, with
``community``, ``perimeter``, ``population`` (legal population on its first day) and ``day`` (its
date of effect), and ``user`` (the author, or None). The contracts listen and propose an amendment when the change alters what a
contract pays; a receiver may answer a French sentence, shown in import reports.
"""

from django.dispatch import Signal

perimeter_changed = Signal()
