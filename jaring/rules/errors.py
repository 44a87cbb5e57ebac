"""Exceptions of the regulation engine.

Two kinds of failure are kept apart on purpose: a broken parameter file is an operator's problem
(``ParameterError``, raised at load time), a bad calculator input is a caller's problem
(``RulesInputError``, carrying the field so a form or API can point at it).
"""

from __future__ import annotations

from pathlib import Path


class ParameterError(ValueError):
    """A parameter file is invalid, or the set of files is inconsistent (overlap, gap, ...)."""

    def __init__(self, message: str, *, path: Path | str | None = None, key: str | None = None):
        self.path = str(path) if path is not None else None
        self.key = key
        self.detail = message
        where = ": ".join(part for part in (self.path, key) if part)
        super().__init__(f"{where}: {message}" if where else message)


class RulesInputError(ValueError):
    """A calculator input is invalid. ``field`` is a dotted path into the input."""

    def __init__(self, field: str, message: str, message_en: str):
        self.field = field
        self.message = message
        self.message_en = message_en
        super().__init__(f"{field}: {message_en}")

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message, "message_en": self.message_en}

    def with_field(self, field: str) -> RulesInputError:
        """The same error reported against another field (a caller's name for the input)."""
        return RulesInputError(field, self.message, self.message_en)
