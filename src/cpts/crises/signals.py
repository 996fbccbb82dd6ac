"""Signals of the crises, for the layers above them.

``crisis_declared`` is sent when an ARS characterises a serious crisis, with ``crisis`` and
``user``; the payments listen and make the crisis part due for each contracted community
concerned, and answer the list of payments they created.
"""

from django.dispatch import Signal

crisis_declared = Signal()
