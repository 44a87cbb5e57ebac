"""Benefit (manfaat) estimates for JKK (work accident) and JKM (death not caused by work).

"Upah" for a BPU is the declared income nominal. Amounts are rounded once per item, half up.
The case shape::

    {"event": "work_accident" | "death", "event_date": "YYYY-MM-DD",
     "declared_income_idr": int, "contribution_months": int,
     "work_accident": {"outcome": "recovered" | "partial_disability" | "total_disability" | "death",
                       "stmb_months": int, "disability_percent": number,
                       "function_loss_percent": number,
                       "transport_idr": {"land": int, "sea": int, "air": int},
                       "home_care_idr": int},
     "children": [{"birth_date": "YYYY-MM-DD",
                   "level": "TK" | "SD" | "SMP" | "SMA" | "PT" | "belum_sekolah" | "PAUD" | null,
                   "chosen": bool}]}

Children: the scholarship covers at most ``max_children`` (2). A family with more children is not
refused: the ones marked ``chosen`` are taken first, then the others in the order given, and a
note says who was taken and that the family may choose. A child not in school yet (no level, or a
``pre_school_names`` level) is counted among them but gets no amount until school starts.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from jaring.core.money import age_on, round_idr
from jaring.rules.benefit_case import BenefitCase, Child, WorkAccident, parse_case
from jaring.rules.contributions import nominal_param, unverified_notes
from jaring.rules.inputs import date_value, input_error
from jaring.rules.parameters import Parameters, Snapshot, default_parameters
from jaring.rules.result import Item, Result
from jaring.rules.schema import Level
from jaring.rules.text import Message, idr, number, percent

_TRANSPORT = {
    "land": ("darat/sungai/danau", "land/river/lake"),
    "sea": ("laut", "sea"),
    "air": ("udara", "air"),
}


def calculate_benefits(
    case: object, *, as_of: dt.date | str | None = None, params: Parameters | None = None
) -> Result:
    """Estimate the benefits of a case (shape in the module docstring) under the law in force
    on the event date. ``as_of`` (the claim date) applies the JKK claim window."""
    parsed = parse_case(case, params or default_parameters())
    claim_date = None if as_of is None else date_value(as_of, "as_of")
    if claim_date is not None and claim_date < parsed.event_date:
        raise input_error(
            "as_of",
            "Tanggal klaim sebelum tanggal kejadian.",
            "The claim date is before the event date.",
        )
    if parsed.event == "work_accident":
        return _work_accident(parsed, claim_date)
    return _jkm_death(parsed)


def _jkk(snapshot: Snapshot, key: str) -> Decimal | int:
    value: Decimal | int = snapshot.value("jkk_benefits", key)
    return value


def _cite(snapshot: Snapshot, family: str, *keys: str) -> str:
    return "; ".join(dict.fromkeys(snapshot.param(family, key).citation for key in keys))


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        # 29 February: the anniversary is taken as 1 March, the later (kinder) reading.
        return dt.date(day.year + years, 3, 1)


def _claim_lapsed(case: BenefitCase, as_of: dt.date, deadline: dt.date, years: int) -> Result:
    event = case.event_date.isoformat()
    citation = _cite(case.snapshot, "jkk_benefits", "claim_window_years")
    reason = Message(
        "jkk_claim_lapsed",
        f"Hak menuntut manfaat JKK gugur: klaim diajukan {as_of.isoformat()}, lebih dari "
        f"{years} tahun sejak kecelakaan ({event}); batas {deadline.isoformat()}.",
        f"The right to JKK benefits has lapsed: claimed on {as_of.isoformat()}, more than "
        f"{years} years after the accident ({event}); the limit was {deadline.isoformat()}.",
    )
    note = Message("jkk_claim_window_citation", citation, citation)
    return Result(items=(), eligible=False, reasons=(reason,), notes=(note,))


def _outcome_items(accident: WorkAccident, income: int, snapshot: Snapshot) -> list[Item]:
    if accident.outcome == "partial_disability":
        return [_partial_disability(accident, income, snapshot)]
    if accident.outcome == "total_disability":
        # PP 82/2019 pays the periodic allowance for total disability as for death.
        periodic = _flat_items(snapshot, "jkk_benefits", "jkk", "JKK", keys=("periodic_idr",))
        return [_total_disability(income, snapshot), *periodic]
    if accident.outcome == "death":
        return _jkk_death(income, snapshot)
    return []


def _work_accident(case: BenefitCase, as_of: dt.date | None) -> Result:
    snapshot, accident = case.snapshot, case.work_accident
    assert accident is not None
    years = snapshot.value("jkk_benefits", "claim_window_years")
    deadline = _add_years(case.event_date, years)
    if as_of is not None and as_of > deadline:
        return _claim_lapsed(case, as_of, deadline, years)
    income = case.declared_income_idr
    items = [_medical(snapshot), *_care_and_transport(accident, snapshot)]
    if accident.stmb_months:
        items.append(_stmb(accident.stmb_months, income, snapshot))
    items.extend(_outcome_items(accident, income, snapshot))
    reasons: list[Message] = []
    notes = [
        Message(
            "jkk_medical_not_in_total",
            "Biaya perawatan JKK dibayar langsung ke fasilitas kesehatan dan tidak termasuk total.",
            "JKK medical care is paid directly to the health facility and is not in the total.",
        ),
        Message(
            "jkk_claim_deadline",
            f"Klaim JKK harus diajukan paling lambat {deadline.isoformat()} ({years} tahun sejak "
            "kecelakaan atau diagnosis penyakit akibat kerja).",
            f"The JKK claim must be made by {deadline.isoformat()} ({years} years after the "
            "accident or diagnosis of the occupational disease).",
        ),
    ]
    if accident.outcome in ("total_disability", "death"):
        child_items, child_reasons, child_notes = _scholarships(case, snapshot)
        items += child_items
        reasons += child_reasons
        notes += child_notes
    elif case.children:
        reasons.append(
            Message(
                "scholarship_not_triggered",
                "Beasiswa hanya diberikan bila peserta meninggal dunia atau cacat total tetap "
                "akibat kecelakaan kerja.",
                "The scholarship is paid only for death or total permanent disability from a "
                "work accident.",
            )
        )
    notes.extend(unverified_notes([nominal_param(income, snapshot)]))
    notes.extend(unverified_notes(snapshot.sets["jkk_benefits"].values.values()))
    return Result(items=tuple(items), eligible=True, reasons=tuple(reasons), notes=tuple(notes))


def _medical(snapshot: Snapshot) -> Item:
    unlimited = snapshot.value("jkk_benefits", "medical_unlimited")
    basis, basis_en = (
        ("sesuai kebutuhan medis, tanpa batas biaya", "as medically needed, no ceiling")
        if unlimited
        else ("sesuai kebutuhan medis", "as medically needed")
    )
    return Item(
        code="jkk_medical",
        label="Perawatan dan pengobatan (JKK)",
        label_en="Medical care and treatment (JKK)",
        amount_idr=None,
        basis=basis,
        basis_en=basis_en,
        citation=_cite(snapshot, "jkk_benefits", "medical_unlimited"),
    )


def _capped(
    code: str,
    label: tuple[str, str],
    claimed: int,
    cap_key: str,
    snapshot: Snapshot,
    extra_basis: tuple[str, str] = ("", ""),
) -> Item:
    cap = int(_jkk(snapshot, cap_key))
    return Item(
        code=code,
        label=label[0],
        label_en=label[1],
        amount_idr=min(claimed, cap),
        basis=f"min({idr(claimed)} diklaim, batas {idr(cap)}){extra_basis[0]}",
        basis_en=f"min({idr(claimed, 'en')} claimed, cap {idr(cap, 'en')}){extra_basis[1]}",
        citation=_cite(snapshot, "jkk_benefits", cap_key),
        extra={"claimed_idr": claimed, "cap_idr": cap, "capped": claimed > cap},
    )


def _care_and_transport(accident: WorkAccident, snapshot: Snapshot) -> list[Item]:
    items = []
    if accident.home_care_idr:
        months = _jkk(snapshot, "home_care_max_months")
        items.append(
            _capped(
                "jkk_home_care",
                ("Perawatan di rumah (homecare, JKK)", "Home care (JKK)"),
                accident.home_care_idr,
                "home_care_cap_idr",
                snapshot,
                (f"; paling lama {months} bulan", f"; at most {months} months"),
            )
        )
    for mode, claimed in accident.transport_idr:
        if claimed:
            name, name_en = _TRANSPORT[mode]
            items.append(
                _capped(
                    f"jkk_transport_{mode}",
                    (f"Biaya transportasi {name} (JKK)", f"Transport by {name_en} (JKK)"),
                    claimed,
                    f"transport_{mode}_cap_idr",
                    snapshot,
                )
            )
    return items


def _stmb(months: int, income: int, snapshot: Snapshot) -> Item:
    full_months = int(_jkk(snapshot, "stmb_full_months"))
    full_rate, after_rate = _jkk(snapshot, "stmb_full_rate"), _jkk(snapshot, "stmb_after_rate")
    first, rest = min(months, full_months), max(months - full_months, 0)
    amount = round_idr(first * Decimal(full_rate) * income + rest * Decimal(after_rate) * income)
    parts = [(first, full_rate)] + ([(rest, after_rate)] if rest else [])
    basis = " + ".join(f"{n} bulan × {percent(Decimal(r))} × {idr(income)}" for n, r in parts)
    basis_en = " + ".join(
        f"{n} months × {percent(Decimal(r), 'en')} × {idr(income, 'en')}" for n, r in parts
    )
    return Item(
        code="jkk_stmb",
        label="Santunan sementara tidak mampu bekerja (STMB)",
        label_en="Temporary inability to work (STMB)",
        amount_idr=amount,
        basis=basis,
        basis_en=basis_en,
        citation=_cite(snapshot, "jkk_benefits", "stmb_full_months", "stmb_after_rate"),
        extra={"months": months},
    )


def _partial_disability(accident: WorkAccident, income: int, snapshot: Snapshot) -> Item:
    assert accident.disability_percent is not None
    factor = int(_jkk(snapshot, "wage_factor"))
    share = accident.disability_percent / 100
    basis = f"{number(accident.disability_percent)}% × {factor} × {idr(income)}"
    basis_en = f"{number(accident.disability_percent, 'en')}% × {factor} × {idr(income, 'en')}"
    if accident.function_loss_percent is not None:
        share *= accident.function_loss_percent / 100
        basis += f" × {number(accident.function_loss_percent)}% fungsi hilang"
        basis_en += f" × {number(accident.function_loss_percent, 'en')}% of function lost"
    return Item(
        code="jkk_partial_disability",
        label="Santunan cacat sebagian tetap (JKK)",
        label_en="Partial permanent disability (JKK)",
        amount_idr=round_idr(share * factor * income),
        basis=basis,
        basis_en=basis_en,
        citation=_cite(snapshot, "jkk_benefits", "wage_factor"),
    )


def _total_disability(income: int, snapshot: Snapshot) -> Item:
    rate = Decimal(_jkk(snapshot, "total_disability_rate"))
    factor = int(_jkk(snapshot, "wage_factor"))
    return Item(
        code="jkk_total_disability",
        label="Santunan cacat total tetap (JKK)",
        label_en="Total permanent disability (JKK)",
        amount_idr=round_idr(rate * factor * income),
        basis=f"{percent(rate)} × {factor} × {idr(income)}",
        basis_en=f"{percent(rate, 'en')} × {factor} × {idr(income, 'en')}",
        citation=_cite(snapshot, "jkk_benefits", "total_disability_rate"),
    )


def _jkk_death(income: int, snapshot: Snapshot) -> list[Item]:
    rate, factor = Decimal(_jkk(snapshot, "death_rate")), int(_jkk(snapshot, "wage_factor"))
    computed = round_idr(rate * factor * income)
    floor = int(snapshot.value("jkm_benefits", "lump_sum_idr"))
    formula = f"{percent(rate)} × {factor} × {idr(income)} = {idr(computed)}"
    formula_en = f"{percent(rate, 'en')} × {factor} × {idr(income, 'en')} = {idr(computed, 'en')}"
    death = Item(
        code="jkk_death",
        label="Santunan kematian akibat kecelakaan kerja (JKK)",
        label_en="Death from a work accident (JKK)",
        amount_idr=max(computed, floor),
        basis=f"{formula}; paling sedikit santunan kematian JKM {idr(floor)}",
        basis_en=f"{formula_en}; at least the JKM death lump sum {idr(floor, 'en')}",
        citation=f"{_cite(snapshot, 'jkk_benefits', 'death_rate')}; "
        f"{_cite(snapshot, 'jkm_benefits', 'lump_sum_idr')}",
        extra={"floor_applied": floor > computed},
    )
    return [death, *_flat_items(snapshot, "jkk_benefits", "jkk", "JKK")]


def _flat_items(
    snapshot: Snapshot, family: str, prefix: str, name: str, keys: tuple[str, ...] = ()
) -> list[Item]:
    texts = {
        "funeral_idr": ("funeral", "Biaya pemakaman", "Funeral costs"),
        "periodic_idr": (
            "periodic",
            "Santunan berkala, dibayar sekaligus",
            "Periodic allowance, paid at once",
        ),
        "lump_sum_idr": ("lump_sum", "Santunan kematian sekaligus", "Death lump sum"),
    }
    keys = keys or (
        ("lump_sum_idr", "periodic_idr", "funeral_idr")
        if prefix == "jkm"
        else ("funeral_idr", "periodic_idr")
    )
    items = []
    for key in keys:
        suffix, label, label_en = texts[key]
        amount = int(snapshot.value(family, key))
        items.append(
            Item(
                code=f"{prefix}_{suffix}",
                label=f"{label} ({name})",
                label_en=f"{label_en} ({name})",
                amount_idr=amount,
                basis=f"jumlah tetap {idr(amount)}",
                basis_en=f"fixed amount {idr(amount, 'en')}",
                citation=_cite(snapshot, family, key),
            )
        )
    return items


def _jkm_death(case: BenefitCase) -> Result:
    snapshot = case.snapshot
    items = _flat_items(snapshot, "jkm_benefits", "jkm", "JKM")
    minimum = int(snapshot.value("jkm_benefits", "scholarship_min_contribution_months"))
    months = case.contribution_months or 0
    reasons: list[Message] = []
    notes = [
        Message(
            "jkm_no_waiting_period_found",
            "Tidak ditemukan masa tunggu lain untuk JKM [BELUM TERVERIFIKASI].",
            "No other JKM waiting period was found [UNVERIFIED].",
        )
    ]
    if months >= minimum:
        extra_items, child_reasons, child_notes = _scholarships(case, snapshot)
        items += extra_items
        reasons += child_reasons
        notes += child_notes
    elif case.children:
        reasons.append(
            Message(
                "scholarship_min_contributions",
                f"Beasiswa JKM memerlukan masa iur paling singkat {minimum} bulan; tercatat "
                f"{months} bulan.",
                f"The JKM scholarship needs at least {minimum} contribution months; {months} "
                "recorded.",
            )
        )
    notes.extend(unverified_notes(snapshot.sets["jkm_benefits"].values.values()))
    return Result(items=tuple(items), eligible=True, reasons=tuple(reasons), notes=tuple(notes))


def _scholarships(
    case: BenefitCase,
    snapshot: Snapshot,
) -> tuple[list[Item], list[Message], list[Message]]:
    """One item per child who gets the scholarship: at most ``max_children``, the ones the family
    chose or else the first ones (never an error); a child not in school yet is counted but gets
    no amount until school starts."""
    levels: tuple[Level, ...] = snapshot.value("scholarship", "levels")
    end_age = int(snapshot.value("scholarship", "end_age"))
    reasons, notes = [], []
    candidates = []
    for child in case.children:
        age = age_on(child.birth_date, case.event_date)
        if age >= end_age:
            reasons.append(
                Message(
                    "scholarship_child_too_old",
                    f"Anak ke-{child.number} berusia {age} tahun pada tanggal kejadian; beasiswa "
                    f"berakhir pada usia {end_age} tahun.",
                    f"Child {child.number} was {age} on the event date; the scholarship ends at "
                    f"age {end_age}.",
                )
            )
            continue
        candidates.append(child)
    taken = _taken_children(candidates, snapshot)
    if len(taken) < len(candidates):
        notes.append(_choice_note(case.children, candidates, taken, snapshot))
    items = [_scholarship_item(child, levels, end_age, snapshot) for child in taken]
    waiting = [child for child in taken if child.level is None]
    if waiting:
        notes.append(_pre_school_note(waiting, snapshot))
    if items:
        notes.append(
            Message(
                "scholarship_yearly",
                "Beasiswa dibayar per tahun selama anak bersekolah dan berhenti pada usia "
                f"{end_age} tahun, saat menikah atau bekerja; jumlah di atas adalah tahun "
                "pertama.",
                f"The scholarship is paid yearly while the child is in school and stops at age "
                f"{end_age}, marriage or work; the amount shown is the first year.",
            )
        )
    return items, reasons, notes


def _taken_children(candidates: list[Child], snapshot: Snapshot) -> list[Child]:
    """The children the family chose first, then the others in the order given, up to the
    limit; returned in the order given."""
    limit = int(snapshot.value("scholarship", "max_children"))
    ranked = [c for c in candidates if c.chosen] + [c for c in candidates if not c.chosen]
    return sorted(ranked[:limit], key=lambda child: child.number)


def _children(children: list[Child], lang: str = "id") -> str:
    names = [f"anak ke-{c.number}" if lang == "id" else f"child {c.number}" for c in children]
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} {'dan' if lang == 'id' else 'and'} {names[-1]}"


def _choice_note(
    children: tuple[Child, ...], candidates: list[Child], taken: list[Child], snapshot: Snapshot
) -> Message:
    limit = int(snapshot.value("scholarship", "max_children"))
    left = [child for child in candidates if child not in taken]
    chosen = sum(child.chosen for child in candidates)
    if chosen >= limit:
        how, how_en = "pilihan keluarga", "as the family chose"
    elif chosen:
        how, how_en = (
            "pilihan keluarga, dilengkapi menurut urutan",
            "as the family chose, completed in the order given",
        )
    else:
        how, how_en = (
            "menurut urutan karena belum ada pilihan",
            "in the order given, as no child was chosen",
        )
    return Message(
        "scholarship_max_children",
        f"Beasiswa diberikan untuk paling banyak {limit} anak. Dari {len(children)} anak, yang "
        f"dihitung {_children(taken)} ({how}); {_children(left)} tidak dihitung. Keluarga boleh "
        f"memilih {limit} anak mana yang menerima beasiswa.",
        f"The scholarship covers at most {limit} children. Of {len(children)} children, "
        f"{_children(taken, 'en')} are counted ({how_en}); {_children(left, 'en')} not. The "
        f"family may choose which {limit} children receive it.",
    )


def _pre_school_note(waiting: list[Child], snapshot: Snapshot) -> Message:
    limit = int(snapshot.value("scholarship", "max_children"))
    verified = snapshot.param("scholarship", "pre_school_names").verified
    return Message(
        "scholarship_pre_school",
        f"{_children(waiting).capitalize()} belum sekolah: dihitung sebagai salah satu dari "
        f"{limit} anak penerima beasiswa, tetapi beasiswa baru dibayar mulai anak masuk "
        f"sekolah.{'' if verified else ' [BELUM TERVERIFIKASI]'}",
        f"{_children(waiting, 'en').capitalize()} not in school yet: counted as one of the "
        f"{limit} children, but the scholarship is paid only once school starts."
        f"{'' if verified else ' [UNVERIFIED]'}",
    )


def _scholarship_item(
    child: Child, levels: tuple[Level, ...], end_age: int, snapshot: Snapshot
) -> Item:
    # A child not in school yet has the whole ladder ahead and nothing to be paid this year.
    remaining = levels if child.level is None else levels[levels.index(child.level) :]
    maximum = sum(level.amount_idr * level.max_years for level in remaining)
    terms = " + ".join(f"{lv.max_years} × {idr(lv.amount_idr)}" for lv in remaining)
    terms_en = " + ".join(f"{lv.max_years} × {idr(lv.amount_idr, 'en')}" for lv in remaining)
    ceiling = f"paling banyak {terms} = {idr(maximum)} sampai usia {end_age} tahun"
    ceiling_en = f"at most {terms_en} = {idr(maximum, 'en')} until age {end_age}"
    if child.level is None:
        first, shown, shown_en = 0, "belum sekolah", "not in school yet"
        basis = f"belum sekolah: dibayar mulai anak masuk sekolah; {ceiling}"
        basis_en = f"not in school yet: paid once school starts; {ceiling_en}"
    else:
        first, shown, shown_en = child.level.amount_idr, child.level_name, child.level_name
        basis = f"{idr(first)} per tahun ({child.level.label}); {ceiling}"
        basis_en = f"{idr(first, 'en')} a year ({child.level.label_en}); {ceiling_en}"
    keys = ("levels", "end_age") if child.level is not None else ("levels", "end_age", "pre_school_names")
    return Item(
        code="scholarship",
        label=f"Beasiswa pendidikan anak ke-{child.number} ({shown})",
        label_en=f"Education scholarship, child {child.number} ({shown_en})",
        amount_idr=first,
        basis=basis,
        basis_en=basis_en,
        citation=_cite(snapshot, "scholarship", *keys),
        extra={
            "child": child.number,
            "level": child.level_name or None,
            "in_school": child.level is not None,
            "chosen": child.chosen,
            "max_total_idr": maximum,
            "ends_on": _add_years(child.birth_date, end_age).isoformat(),
        },
    )
