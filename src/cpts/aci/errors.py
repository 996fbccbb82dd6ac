"""Errors raised by the rules engine.

Every impossible input raises :class:`InvalidInput`, which names the input field and the rule it
breaks, with a message in French for the people who read it (coordinators, CPAM and ARS officers).
"""

from __future__ import annotations


class AciError(Exception):
    """Base class of every error raised by :mod:`cpts.aci`."""


class InvalidInput(AciError):
    """An input the agreement cannot compute: names the field and the rule."""

    def __init__(self, field: str, rule: str, message: str) -> None:
        super().__init__(f"{field}: {message} [{rule}]")
        self.field = field
        self.rule = rule
        self.message = message


class ParameterError(AciError):
    """A parameter file is missing, malformed, or has no value at the requested date."""
