"""What the review screen says about a candidate pair: the dedup model's evidence as labelled,
weighted rows, and the NIK digits that differ as positions (never the digits themselves).

``nik_difference`` is pure (two strings in, positions out); the labels are gettext-lazy texts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

# A NIK: 6 digits of region (province, regency, district), 6 of birth date (DDMMYY, day + 40 for a
# woman), 4 of serial number.
NIK_GROUPS = (("region", 1, 6), ("birth", 7, 12), ("serial", 13, 16))
NIK_GROUP_LABELS = {"region": _("wilayah"), "birth": _("tanggal lahir"), "serial": _("nomor urut")}


@dataclass(frozen=True)
class NikCell:
    position: int  # 1–16
    group: str  # region | birth | serial
    differs: bool
    swapped: bool  # this digit and a neighbour are the same two digits in the other order


@dataclass(frozen=True)
class NikDifference:
    cells: tuple[NikCell, ...]
    positions: tuple[int, ...]  # the 1-based positions that differ
    swaps: tuple[tuple[int, int], ...]  # neighbouring positions whose digits are exchanged
    comparable: bool  # both are 16 digits; else nothing is said about positions

    @property
    def count(self) -> int:
        return len(self.positions)

    def groups(self) -> list[tuple[str, list[NikCell]]]:
        return [(name, [c for c in self.cells if c.group == name]) for name, _first, _last in NIK_GROUPS]

    def groups_differing(self) -> list[str]:
        return [name for name, cells in self.groups() if any(c.differs for c in cells)]


def _group_of(position: int) -> str:
    return next(name for name, first, last in NIK_GROUPS if first <= position <= last)


def nik_difference(a: str, b: str) -> NikDifference:
    """Which of the 16 positions differ between two NIKs, and which neighbours are swapped
    ("1234" against "1324": positions 2 and 3). Anything not two 16-digit strings is not comparable."""
    a, b = str(a or ""), str(b or "")
    if not (len(a) == len(b) == 16 and a.isdigit() and b.isdigit()):
        return NikDifference(cells=(), positions=(), swaps=(), comparable=False)
    differs = [x != y for x, y in zip(a, b, strict=True)]
    swaps: list[tuple[int, int]] = []
    i = 0
    while i < 15:
        if differs[i] and differs[i + 1] and a[i] == b[i + 1] and a[i + 1] == b[i]:
            swaps.append((i + 1, i + 2))
            i += 2
        else:
            i += 1
    swapped = {p for pair in swaps for p in pair}
    cells = tuple(NikCell(position=i + 1, group=_group_of(i + 1), differs=differs[i], swapped=(i + 1) in swapped)
                  for i in range(16))
    return NikDifference(cells=cells, positions=tuple(i + 1 for i in range(16) if differs[i]), swaps=tuple(swaps),
                         comparable=True)


def _ordinal_list(positions: list[int]) -> str:
    words = [str(_("ke-%(n)s")) % {"n": p} for p in positions]
    if len(words) <= 1:
        return "".join(words)
    return str(_("%(first)s dan %(last)s")) % {"first": ", ".join(words[:-1]), "last": words[-1]}


def nik_difference_text(diff: NikDifference) -> str:
    """"digit ke-11 dan ke-12 berbeda (tertukar)" — positions only, never a digit."""
    if not diff.comparable:
        return str(_("NIK tidak bisa dibandingkan per digit."))
    if not diff.positions:
        return str(_("NIK sama."))
    text = ngettext("digit %(positions)s berbeda", "digit %(positions)s berbeda", diff.count) % {
        "positions": _ordinal_list(list(diff.positions))}
    if diff.swaps:
        pairs = [_ordinal_list([x, y]) for x, y in diff.swaps]
        text += "; " + str(_("tertukar: %(pairs)s")) % {"pairs": "; ".join(pairs)}
    return text


# --- Evidence rows ----------------------------------------------------------------------------------

FIELD_LABELS = {
    "name": _("Nama"), "nik": _("NIK"), "birth_date": _("Tanggal lahir"), "sex": _("Jenis kelamin"),
    "kk": _("Nomor KK"), "kelurahan": _("Kelurahan"), "phone": _("Nomor HP"),
}

LEVEL_LABELS = {
    ("name", "exact"): _("nama sama persis"),
    ("name", "close"): _("nama hampir sama"),
    ("name", "similar"): _("nama mirip"),
    ("name", "first_last"): _("nama depan dan belakang sama"),
    ("name", "differs"): _("nama berbeda"),
    ("nik", "one_keystroke"): _("beda satu ketikan"),
    ("nik", "serial_near"): _("wilayah dan tanggal lahir sama, nomor urut beda satu ketikan (juga khas anak kembar)"),
    ("nik", "region_date"): _("bagian wilayah dan tanggal lahir sama"),
    ("nik", "date"): _("bagian tanggal lahir sama"),
    ("nik", "region"): _("bagian wilayah sama"),
    ("nik", "differs"): _("NIK berbeda"),
    ("nik", "missing"): _("NIK tidak ada pada salah satu"),
    ("birth_date", "same"): _("sama"),
    ("birth_date", "swapped"): _("tanggal dan bulan tertukar"),
    ("birth_date", "one_keystroke"): _("beda satu angka"),
    ("birth_date", "unknown_day"): _("hari/bulan tidak diketahui, tahun sama"),
    ("birth_date", "same_year"): _("tahun sama saja"),
    ("birth_date", "near_year"): _("tahun beda satu atau dua"),
    ("birth_date", "differs"): _("berbeda"),
    ("sex", "same"): _("sama"),
    ("sex", "differs"): _("berbeda"),
    ("kk", "same"): _("nomor KK sama"),
    ("kk", "differs"): _("nomor KK berbeda"),
    ("kk", "missing"): _("KK tidak ada pada salah satu"),
    ("kelurahan", "same"): _("kelurahan sama"),
    ("kelurahan", "differs"): _("kelurahan berbeda"),
    ("kelurahan", "missing"): _("kelurahan tidak ada pada salah satu"),
    ("phone", "same"): _("nomor HP sama"),
    ("phone", "differs"): _("nomor HP berbeda"),
    ("phone", "missing"): _("nomor HP tidak ada pada salah satu"),
}
BAR_MAX = 10.0  # a weight of ±10 bits fills the bar


@dataclass(frozen=True)
class EvidenceRow:
    field: str
    label: str
    level: str
    text: str
    weight: float | None
    bar: int  # 0–100: the width of the weight's bar

    @property
    def sign(self) -> str:
        if self.weight is None or self.weight == 0:
            return "0"
        return "+" if self.weight > 0 else "-"

    @property
    def signed(self) -> str:
        return "—" if self.weight is None else f"{self.weight:+.1f}".replace("-", "−")


def _weight(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        weight = float(value)
    except (TypeError, ValueError):
        return None
    return weight if weight == weight and abs(weight) != float("inf") else None


def _extras(field: str, level: str, item: dict[str, Any]) -> str:
    notes = []
    similarity = item.get("similarity")
    if field == "name" and isinstance(similarity, int | float) and not isinstance(similarity, bool):
        notes.append(str(_("kemiripan %(percent)s%%")) % {"percent": int(similarity)})
    people = item.get("people")
    if field == "name" and isinstance(people, int) and not isinstance(people, bool) and people > 1:
        notes.append(ngettext("nama ini dipakai %(n)s orang", "nama ini dipakai %(n)s orang", people) % {"n": people})
    return ", ".join(notes)


def is_structured(reasons: Any) -> bool:
    return isinstance(reasons, list) and any(isinstance(r, dict) for r in reasons)


def evidence_rows(reasons: Any) -> list[EvidenceRow]:
    """The model's evidence as rows; an unknown field or level is shown as written, a bad weight as "—"."""
    rows = []
    for item in reasons if isinstance(reasons, list) else []:
        if not isinstance(item, dict):
            continue
        field, level = str(item.get("field", "")), str(item.get("level", ""))
        text = str(LEVEL_LABELS.get((field, level), level or "—"))
        if extra := _extras(field, level, item):
            text = f"{text} ({extra})"
        weight = _weight(item.get("weight"))
        bar = 0 if weight is None else min(100, round(abs(weight) / BAR_MAX * 100))
        rows.append(EvidenceRow(field=field, label=str(FIELD_LABELS.get(field, field or "—")), level=level, text=text,
                                weight=weight, bar=bar))
    return rows


def evidence_total(rows: list[EvidenceRow]) -> float:
    return sum(r.weight for r in rows if r.weight is not None)


def top_reasons(reasons: Any, n: int = 3) -> list[str]:
    """For the list page: the strongest pieces of evidence, for or against, as short texts."""
    rows = sorted((r for r in evidence_rows(reasons) if r.weight), key=lambda r: -abs(r.weight or 0))
    return [f"{r.label}: {r.text} ({r.signed})" for r in rows[:n]]
