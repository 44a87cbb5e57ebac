"""The regulation parameters as people read them: a label in Indonesian instead of the file's key, rupiah
and dates written the Indonesian way, and a plain "belum dipastikan" where the file flags a value as
unverified or conflicting (its English note is for the office's technical view).

A key this table does not know (a parameter file added through ``JARING_RULES_EXTRA``) is shown under
"Nilai lain" with its value, never with its key.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from jaring.core.money import format_idr

FAMILIES: dict[str, Promise] = {
    "contribution": gettext_lazy("Iuran"),
    "discount": gettext_lazy("Diskon iuran"),
    "income_brackets": gettext_lazy("Nominal penghasilan"),
    "membership": gettext_lazy("Kepesertaan dan pembayaran"),
    "jkk_benefits": gettext_lazy("Manfaat JKK (kecelakaan kerja)"),
    "jkm_benefits": gettext_lazy("Manfaat JKM (kematian)"),
    "scholarship": gettext_lazy("Beasiswa anak"),
    "claims": gettext_lazy("Klaim"),
    "working_days": gettext_lazy("Hari kerja dan hari libur"),
}
OTHER_FAMILY = gettext_lazy("Nilai lain")

# (family, key) → (label, how the value is written). The glossary term a label explains, if any.
LABELS: dict[tuple[str, str], tuple[Promise, str]] = {
    ("contribution", "jkk_rate"): (gettext_lazy("Iuran JKK, dari nominal penghasilan"), "rate"),
    ("contribution", "jkm_flat_idr"): (gettext_lazy("Iuran JKM per bulan"), "idr"),
    ("contribution", "jht_rate"): (gettext_lazy("Iuran JHT, dari nominal penghasilan"), "rate"),
    ("contribution", "mandatory_programmes"): (gettext_lazy("Program wajib"), "programmes"),
    ("contribution", "optional_programmes"): (gettext_lazy("Program pilihan"), "programmes"),
    ("contribution", "lowest_bracket_only"): (
        gettext_lazy("Bila dibayar dari anggaran ini, hanya nominal penghasilan terendah"), "payers"),
    ("income_brackets", "brackets_idr"): (gettext_lazy("Nominal penghasilan yang boleh didaftarkan"), "idr_range"),
    ("membership", "due_day"): (gettext_lazy("Jatuh tempo iuran"), "day_of_month"),
    ("membership", "due_month_offset"): (gettext_lazy("Jatuh tempo jatuh pada"), "month_offset"),
    ("membership", "max_arrears_months"): (gettext_lazy("Tunggakan yang masih boleh dibayar, paling banyak"),
                                           "months"),
    ("membership", "advance_months"): (gettext_lazy("Iuran boleh dibayar di muka untuk"), "months_list"),
    ("membership", "registration_age_below"): (gettext_lazy("Umur saat mendaftar harus di bawah"), "years"),
    ("membership", "local_age_min"): (gettext_lazy("Umur terendah program pemerintah daerah"), "years"),
    ("membership", "local_age_max"): (gettext_lazy("Umur tertinggi program pemerintah daerah"), "years"),
    ("membership", "backdating_allowed"): (gettext_lazy("Perlindungan boleh berlaku surut"), "bool"),
    ("membership", "late_fine_rate"): (gettext_lazy("Denda keterlambatan"), "rate"),
    ("jkk_benefits", "medical_unlimited"): (gettext_lazy("Perawatan sesuai kebutuhan medis, tanpa batas biaya"),
                                            "bool"),
    ("jkk_benefits", "home_care_cap_idr"): (gettext_lazy("Perawatan di rumah, paling banyak"), "idr"),
    ("jkk_benefits", "home_care_max_months"): (gettext_lazy("Perawatan di rumah, paling lama"), "months"),
    ("jkk_benefits", "transport_land_cap_idr"): (gettext_lazy("Angkutan darat, sungai atau danau, paling banyak"),
                                                 "idr"),
    ("jkk_benefits", "transport_sea_cap_idr"): (gettext_lazy("Angkutan laut, paling banyak"), "idr"),
    ("jkk_benefits", "transport_air_cap_idr"): (gettext_lazy("Angkutan udara, paling banyak"), "idr"),
    ("jkk_benefits", "stmb_full_months"): (gettext_lazy("STMB penuh selama"), "months"),
    ("jkk_benefits", "stmb_full_rate"): (gettext_lazy("STMB pada bulan-bulan pertama, dari upah"), "rate"),
    ("jkk_benefits", "stmb_after_rate"): (gettext_lazy("STMB sesudahnya sampai sembuh, dari upah"), "rate"),
    ("jkk_benefits", "wage_factor"): (gettext_lazy("Santunan cacat dan kematian dihitung dari"), "wage_times"),
    ("jkk_benefits", "total_disability_rate"): (gettext_lazy("Santunan cacat total tetap, dari 80 × upah"), "rate"),
    ("jkk_benefits", "death_rate"): (gettext_lazy("Santunan kematian karena kecelakaan kerja, dari 80 × upah"),
                                     "rate"),
    ("jkk_benefits", "funeral_idr"): (gettext_lazy("Biaya pemakaman"), "idr"),
    ("jkk_benefits", "periodic_idr"): (gettext_lazy("Santunan berkala, dibayar sekaligus"), "idr"),
    ("jkk_benefits", "claim_window_years"): (gettext_lazy("Hak klaim JKK gugur setelah"), "years"),
    ("jkm_benefits", "lump_sum_idr"): (gettext_lazy("Santunan sekaligus"), "idr"),
    ("jkm_benefits", "periodic_idr"): (gettext_lazy("Santunan berkala, dibayar sekaligus"), "idr"),
    ("jkm_benefits", "funeral_idr"): (gettext_lazy("Biaya pemakaman"), "idr"),
    ("jkm_benefits", "scholarship_min_contribution_months"): (
        gettext_lazy("Beasiswa JKM bila iuran sudah dibayar paling sedikit"), "months"),
    ("scholarship", "max_children"): (gettext_lazy("Anak penerima beasiswa, paling banyak"), "children"),
    ("scholarship", "end_age"): (gettext_lazy("Beasiswa berakhir pada umur"), "years"),
    ("scholarship", "max_per_child_idr"): (gettext_lazy("Beasiswa per anak, paling banyak"), "idr"),
    ("scholarship", "levels"): (gettext_lazy("Beasiswa per tahun menurut jenjang sekolah"), "levels"),
    ("scholarship", "pre_school_names"): (gettext_lazy("Anak yang belum sekolah ditulis sebagai"), "words"),
    ("claims", "stage1_report_days"): (gettext_lazy("Lapor kecelakaan kerja ke BPJS Ketenagakerjaan (tahap I)"),
                                       "report_days"),
    ("claims", "stage2_report_days"): (
        gettext_lazy("Lapor lagi setelah sembuh, cacat atau meninggal (tahap II)"), "report_days"),
    ("claims", "payment_working_days"): (gettext_lazy("BPJS Ketenagakerjaan membayar klaim lengkap dalam"),
                                         "working_days"),
    ("claims", "scholarship_reapply_months"): (gettext_lazy("Beasiswa diajukan lagi setiap"), "months"),
    ("claims", "documents"): (gettext_lazy("Dokumen klaim"), "documents"),
    ("working_days", "saturday_is_day_off"): (gettext_lazy("Sabtu dihitung hari libur"), "bool"),
    ("working_days", "holiday_categories"): (gettext_lazy("Hari libur yang menggeser jatuh tempo"), "holidays"),
    ("working_days", "extra_days_off"): (gettext_lazy("Cuti bersama"), "dates"),
    ("working_days", "removed_days_off"): (gettext_lazy("Hari libur yang dibatalkan"), "dates"),
}
PAYERS = {"self": gettext_lazy("mandiri (bayar sendiri)"), "apbd": gettext_lazy("APBD kota atau provinsi"),
          "apbn": gettext_lazy("APBN"), "apbdes": gettext_lazy("dana desa (APBDes)"),
          "non_state": gettext_lazy("pihak lain (CSR, bank, zakat, gereja)")}
SECTORS = {"transport": gettext_lazy("sektor transportasi (ojek, sopir, kurir)"),
           "other": gettext_lazy("sektor lain")}
HOLIDAYS = {"public": gettext_lazy("libur nasional"), "government": gettext_lazy("cuti bersama")}
PROGRAMMES = {"jkk": "JKK", "jkm": "JKM", "jht": "JHT"}


# The citations' notes meant for the project (its domain brief, the holidays package), replaced by what
# they mean for people; the legal references themselves are kept as written.
CITATION_PLAIN: list[tuple[re.Pattern[str], Promise]] = [
    (re.compile(r"^Local programme practice\b.*", re.S), gettext_lazy("Praktik program pemerintah daerah")),
    (re.compile(r"^Secondary source\b.*", re.S),
     gettext_lazy("Sumber sekunder; belum dicocokkan dengan naskah peraturan")),
    (re.compile(r"^None so far\b.*", re.S), gettext_lazy("Belum ada")),
    (re.compile(r"\s*\(yearly\), as kept by the holidays package.*", re.S), gettext_lazy(" (setiap tahun)")),
]
_PROJECT_NOTE = re.compile(r"DOMAIN\.md\s*§[\d.]+\s*(\([^)]*\))?")


def citation_text(citation: str) -> str:
    """A citation as people read it: the legal references, without the project's own notes."""
    parts = []
    for part in (citation or "").split(";"):
        part = part.strip()
        for pattern, plain in CITATION_PLAIN:
            part = pattern.sub(str(plain), part)
        part = _PROJECT_NOTE.sub("", part).strip(" ,;")
        if part and part not in parts:
            parts.append(part)
    return "; ".join(parts)


def _date(value: Any) -> str:
    """``2026-01-01`` → ``1 Januari 2026``; ``2026-01`` (a month) → ``Januari 2026``."""
    text = str(value or "")
    try:
        if len(text) == 7:
            return date_format(dt.date.fromisoformat(text + "-01"), "F Y")
        return date_format(dt.date.fromisoformat(text), "j F Y")
    except ValueError:
        return text


def _percent(value: Any) -> str:
    try:
        number = Decimal(str(value)) * 100
    except InvalidOperation:
        return str(value)
    text = f"{number.normalize():f}".replace(".", ",")
    return f"{text}%"


def _join(items: list[str], every: bool = False) -> str:
    """``a, b atau c``; with ``every``: ``a, b dan c``."""
    if not items:
        return _("Tidak ada")
    if len(items) == 1:
        return items[0]
    values = {"first": ", ".join(items[:-1]), "last": items[-1]}
    return (_("%(first)s dan %(last)s") if every else _("%(first)s atau %(last)s")) % values


def _names(values: Any, names: dict[str, Any]) -> list[str]:
    return [str(names.get(str(v), str(v).replace("_", " "))) for v in (values or [])]


def _plain(value: Any) -> str:
    """Any other value, written without its structure (no keys, no brackets)."""
    if isinstance(value, bool):
        return _("Ya") if value else _("Tidak")
    if isinstance(value, dict):
        return "; ".join(_plain(v) for v in value.values() if v not in (None, "", []))
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value) or _("Tidak ada")
    return str(value).replace("_", " ")


def value_text(kind: str, value: Any) -> str:
    """A parameter's value as a sentence fragment people read."""
    try:
        return _value_text(kind, value)
    except (TypeError, ValueError, KeyError, AttributeError):  # a value of an unexpected shape
        return _plain(value)


def _value_text(kind: str, value: Any) -> str:
    if kind == "idr":
        return format_idr(int(value))
    if kind == "rate":
        return _("Tidak ada") if Decimal(str(value)) == 0 else _percent(value)
    if kind == "months":
        return ngettext("%(n)s bulan", "%(n)s bulan", int(value)) % {"n": value}
    if kind == "years":
        return ngettext("%(n)s tahun", "%(n)s tahun", int(value)) % {"n": value}
    if kind == "children":
        return ngettext("%(n)s anak", "%(n)s anak", int(value)) % {"n": value}
    if kind == "working_days":
        return ngettext("%(n)s hari kerja", "%(n)s hari kerja", int(value)) % {"n": value}
    if kind == "report_days":
        return _("%(n)s × 24 jam") % {"n": value}
    if kind == "day_of_month":
        return _("tanggal %(n)s; bila hari Minggu atau hari libur, hari kerja berikutnya") % {"n": value}
    if kind == "month_offset":
        return _("bulan yang dilindungi") if int(value) == 0 else _("bulan sesudah bulan yang dilindungi")
    if kind == "wage_times":
        return _("%(n)s × upah (nominal penghasilan yang didaftarkan)") % {"n": value}
    if kind == "bool":
        return _("Ya") if value else _("Tidak")
    if kind == "programmes":
        return _join(_names(value, PROGRAMMES), every=True)
    if kind == "payers":
        return _join(_names(value, PAYERS))
    if kind == "holidays":
        return _join(_names(value, HOLIDAYS), every=True)
    if kind == "months_list":
        return _("%(list)s bulan") % {"list": _join([str(v) for v in value])}
    if kind == "idr_range":
        amounts = sorted(int(v) for v in value)
        return _("%(low)s sampai %(high)s (%(n)s pilihan)") % {
            "low": format_idr(amounts[0]), "high": format_idr(amounts[-1]), "n": len(amounts)}
    if kind == "dates":
        return _join([_date(v) for v in value], every=True)
    if kind == "words":
        return _join([str(v).replace("_", " ") for v in value])
    if kind == "levels":
        return "; ".join(_("%(label)s %(amount)s, paling lama %(years)s tahun") % {
            "label": level["label"], "amount": format_idr(int(level["amount_idr"])), "years": level["max_years"]}
            for level in value)
    if kind == "documents":
        return "; ".join(str(document["label"]) for document in value)
    return _plain(value)


def _discount(row: dict[str, Any]) -> tuple[str, str]:
    value = row["value"] if isinstance(row["value"], dict) else {}
    label = _("Diskon %(rate)s iuran %(programmes)s") % {
        "rate": _percent(value.get("rate", "")),
        "programmes": _join(_names(value.get("programmes"), PROGRAMMES), every=True)}
    text = _("Untuk %(sectors)s; bila dibayar %(payers)s") % {
        "sectors": _join(_names(value.get("sectors"), SECTORS)), "payers": _join(_names(value.get("payers"), PAYERS))}
    return label, text


def people_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The parameters in force, grouped by family in a fixed order, each row with a label, its value
    as text, its citation, its period, and whether it is confirmed. The per-element citation rows
    (``key[]``) are the office's detail and stay in the technical view."""
    families: dict[str, dict[str, Any]] = {}
    for row in rows:
        if str(row.get("key", "")).endswith("[]"):
            continue
        family = str(row.get("family", ""))
        if family == "discount":
            label, text = _discount(row)
        elif (family, row.get("key")) in LABELS:
            name, kind = LABELS[(family, row["key"])]
            label, text = str(name), value_text(kind, row.get("value"))
        else:
            label, text = str(OTHER_FAMILY), _plain(row.get("value"))
        group = families.setdefault(family, {"title": str(FAMILIES.get(family, OTHER_FAMILY)), "rows": []})
        group["rows"].append({
            "label": label, "value": text, "citation": citation_text(str(row.get("citation") or "")),
            "verified": bool(row.get("verified")),
            "from": _date(row.get("effective_from")),
            "to": _date(row.get("effective_to")) if row.get("effective_to") else "",
        })
    order = list(FAMILIES)
    return [families[f] for f in sorted(families, key=lambda f: (order.index(f) if f in order else len(order), f))]
