"""Signals of the communities, for the layers above them.

``members_changed`` is sent after members are added or removed, with ``community``, ``day`` and ``user`` (the author, or None).
The contracts listen and propose an amendment when the number of members changes what a
contract pays (the increase of size 4); a receiver may answer a French sentence.
"""

from django.dispatch import Signal

members_changed = Signal()
