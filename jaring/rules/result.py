"""The result shape shared by the calculators."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from jaring.rules.text import Message, check_lang


@dataclass(frozen=True)
class Item:
    """One line of a result. ``amount_idr`` is ``None`` when the law sets no amount (e.g.
    medical care without ceiling) so that it is shown but never summed as zero."""

    code: str
    label: str
    label_en: str
    amount_idr: int | None
    basis: str
    basis_en: str
    citation: str
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.amount_idr is not None and (
            not isinstance(self.amount_idr, int) or isinstance(self.amount_idr, bool)
        ):
            raise TypeError("amount_idr must be int rupiah or None")
        # Freeze the extras so a frozen item really cannot change.
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))

    def to_dict(self, lang: str = "id") -> dict[str, Any]:
        check_lang(lang)
        english = lang == "en"
        data: dict[str, Any] = {
            "code": self.code,
            "label": self.label_en if english else self.label,
            "amount_idr": self.amount_idr,
            "basis": self.basis_en if english else self.basis,
            "citation": self.citation,
        }
        if english:
            data["label_id"], data["basis_id"] = self.label, self.basis
        else:
            data["label_en"], data["basis_en"] = self.label_en, self.basis_en
        data.update(self.extra)
        return data


@dataclass(frozen=True)
class Result:
    items: tuple[Item, ...]
    eligible: bool = True
    reasons: tuple[Message, ...] = ()
    notes: tuple[Message, ...] = ()

    @property
    def total_idr(self) -> int:
        return sum(item.amount_idr for item in self.items if item.amount_idr is not None)

    def item(self, code: str) -> Item:
        """The single item with this code (``KeyError`` if absent or repeated)."""
        found = [item for item in self.items if item.code == code]
        if len(found) != 1:
            raise KeyError(f"{len(found)} items with code {code!r}")
        return found[0]

    def codes(self) -> list[str]:
        return [item.code for item in self.items]

    def to_dict(self, lang: str = "id") -> dict[str, Any]:
        check_lang(lang)
        return {
            "total_idr": self.total_idr,
            "items": [item.to_dict(lang) for item in self.items],
            "eligible": self.eligible,
            "reasons": [reason.text(lang) for reason in self.reasons],
            "notes": [note.text(lang) for note in self.notes],
        }
