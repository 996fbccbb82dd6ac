"""The error every service raises when a business rule forbids a change."""


class RuleError(Exception):
    """A business rule forbids the change; the message is for the user, in French. Nothing was
    written."""
