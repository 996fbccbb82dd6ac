"""Signals of the communities, for the layers above them.

``perimeter_changed`` is sent when a new version of a community's perimeter is recorded, with
``community``, ``perimeter``, ``population`` (legal population on its first day), ``day`` (its
date of effect) and ``user`` (the author, or None). The contracts listen and propose an
amendment when the change alters what a contract pays; a receiver may answer a French sentence,
shown in import reports.

``members_changed`` is sent after members are added or removed, with ``community``, ``day`` and ``user`` (the author, or None).
The contracts listen and propose an amendment when the number of members changes what a
contract pays (the increase of size 4); a receiver may answer a French sentence.
"""

from django.dispatch import Signal

members_changed = Signal()
perimeter_changed = Signal()
