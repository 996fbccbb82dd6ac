"""What every layer above the rules engine shares: the French rule error, audited writes, dates.

It knows nothing of the other Django apps (a layer of its own, just above ``cpts.aci``).
"""
