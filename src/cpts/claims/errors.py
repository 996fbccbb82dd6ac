"""The one error of the claims: which table, which column, which rule was broken, in French."""

from __future__ import annotations


class ClaimsError(Exception):
    """Claims that cannot be read or a computation that cannot be asked.

    ``table`` and ``column`` name what is wrong (None when the fault is not in a table, e.g. a
    period that ends before it starts); ``rule`` says, in French, the rule that was broken.
    """

    def __init__(self, table: str | None = None, column: str | None = None, *, rule: str) -> None:
        self.table = table
        self.column = column
        self.rule = rule
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.table is not None:
            where.append(f"table {self.table}")
        if self.column is not None:
            where.append(f"colonne {self.column}")
        return f"{', '.join(where)} : {self.rule}" if where else self.rule
