"""Indicators computed from claims, stored per community and period, bound to the annex."""
