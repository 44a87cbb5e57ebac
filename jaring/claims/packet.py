"""The A4 claim packet (issue 11 point 5): a cover sheet the family or the facilitator takes to the
BPJSTK branch — the person (masked NIK, never the full one), the event, the coverage on its date,
the deadlines, the document checklist, the heirs and the office to contact.

Written with fpdf2's core Helvetica (Latin-1): Indonesian is Latin script, and any character the
font lacks is replaced (the checklist marks are ``[ ]`` / ``[x]``)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from jaring.claims.models import Claim
from jaring.claims.selectors import DEADLINE_LABELS, checklist_labels, deadlines_of

# The same labels (and msgids) as the claim page's deadlines list.
_REPLACEMENTS = str.maketrans({"—": "-", "–": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...",
                               "•": "-", "\u00a0": " ", "✓": "x"})
LINE = 5.5


def _latin1(text: object) -> str:
    """``text`` in the core font's Latin-1, the characters it lacks replaced."""
    return str(text).translate(_REPLACEMENTS).encode("latin-1", "replace").decode("latin-1")


def _day(day: dt.date | None) -> str:
    return date_format(day, "j F Y") if day else "-"


def _field_label(name: str) -> str:
    return capfirst(str(getattr(Claim._meta.get_field(name), "verbose_name", name)))


class _Packet(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.cell(0, 5, _latin1(f"{self.footer_text} - {self.page_no()}/{{nb}}"), align="C")


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 7, _latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=10)


def _row(pdf: FPDF, label: str, value: object) -> None:
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(48, LINE, _latin1(label))
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(0, LINE, _latin1(value if value not in (None, "") else "-"), new_x=XPos.LMARGIN,
                   new_y=YPos.NEXT)


def _line(pdf: FPDF, text: str) -> None:
    pdf.multi_cell(0, LINE, _latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def claim_packet_pdf(claim: Claim, *, lang: str = "id") -> bytes:
    """The claim's packet as PDF bytes: one A4 page, more when the checklist or the heirs are long.
    The caller has checked that the actor may read the claim (``claims.selectors.claim_get``)."""
    with translation.override("en" if lang == "en" else "id"):
        return _render(claim, lang)


def _render(claim: Claim, lang: str) -> bytes:
    person = claim.person
    title = _("Berkas klaim BPJS Ketenagakerjaan")
    office = getattr(settings, "JARING_OFFICE_NAME", "") or "Dinas Sosial Kota Sorong"
    pdf = _Packet(format="A4", unit="mm")
    pdf.footer_text = f"{title} · {_('Klaim nomor')} {claim.pk}"
    pdf.set_title(_latin1(f"{title} {claim.pk}"))
    pdf.set_author(_latin1(office))
    pdf.set_creator("Jaring")
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()

    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 9, _latin1(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=10)
    number = f" · {_('nomor BPJSTK')} {claim.bpjstk_number}" if claim.bpjstk_number else ""
    _line(pdf, f"{_('Klaim nomor')} {claim.pk} · {claim.get_status_display()}{number}")
    _line(pdf, f"{_('Dicetak')}: {_day(timezone.localdate())} · {office}")

    _heading(pdf, _("Peserta"))
    _row(pdf, _("Nama"), person.full_name)
    _row(pdf, "NIK", person.nik_masked)
    _row(pdf, "KPJ", person.kpj or "-")
    _row(pdf, _("Kelurahan"), person.kelurahan.name)
    _row(pdf, _("Nomor HP"), person.phone or "-")

    _heading(pdf, _("Kejadian"))
    _row(pdf, _field_label("type"), claim.get_type_display())
    _row(pdf, _("Tanggal kejadian"), _day(claim.event_date))
    _row(pdf, _("Tempat kejadian"), claim.event_place or "-")
    if claim.outcome:
        outcome_day = f" ({_day(claim.outcome_date)})" if claim.outcome_date else ""
        _row(pdf, _field_label("outcome"), f"{claim.get_outcome_display()}{outcome_day}")
    _row(pdf, _("Dilaporkan oleh"), claim.get_reported_by_display())
    _row(pdf, _("Kronologi"), claim.chronology or "-")
    coverage = _("Terlindungi") if claim.protected_on_event_date else _("Tidak terlindungi")
    text = claim.coverage_text or coverage
    _row(pdf, _("Perlindungan"), text if text.startswith(coverage) else f"{coverage}. {text}")

    _heading(pdf, _("Batas waktu"))
    deadlines = deadlines_of(claim)
    for kind, day in (("stage1_report", deadlines.stage1_report), ("stage2_report", deadlines.stage2_report),
                      ("lapses_on", deadlines.lapses_on), ("payment_due", deadlines.payment_due),
                      ("scholarship_reapply", deadlines.scholarship_reapply)):
        if day is None:
            continue
        made = {"stage1_report": claim.stage1_reported_on, "stage2_report": claim.stage2_reported_on}.get(kind)
        _row(pdf, str(DEADLINE_LABELS[kind]), f"{_day(day)} ({_('dibuat')} {_day(made)})" if made else _day(day))

    _heading(pdf, _("Dokumen"))
    labels = checklist_labels(claim.type, lang)
    for document in claim.documents.all():
        mark = "[x]" if document.received_on else "[ ]"
        note = ""
        if document.received_on:
            note = f" ({_('diterima')} {_day(document.received_on)})"
        elif not document.required:
            note = f" ({_('bila ada')})"
        _line(pdf, f"{mark} {labels.get(document.code, document.code)}{note}")

    heirs = list(claim.heirs.all())
    if heirs:
        _heading(pdf, _("Ahli waris"))
        for index, heir in enumerate(heirs, start=1):
            _line(pdf, f"{index}. {heir.name} - {heir.get_relationship_display()}")

    _heading(pdf, _("Kontak"))
    _line(pdf, office)
    return bytes(pdf.output())
