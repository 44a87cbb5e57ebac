"""The dashboard and the claims report as XLSX workbooks: one sheet per table, numbers as numbers."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from jaring.core.money import format_month
from jaring.core.tables import safe_cell
from jaring.reports.selectors import Dashboard, Row

if TYPE_CHECKING:
    from jaring.claims.figures import ClaimRow, ClaimsReport


def _figure_headers() -> list[str]:
    return [_("Peserta ditagih"), _("Terlindungi"), _("% terlindungi"), _("Berisiko"), _("Berhenti (menunggak)")]


def _row(row: Row) -> list[Any]:
    return [safe_cell(str(row.label)), row.members, row.protected, row.protected_pct, row.at_risk, row.lapsed]


def dashboard_workbook(figures: Dashboard) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    summary = book.active
    summary.title = _("Ringkasan")[:31]
    snap = figures.snapshot
    summary.append([_("Dasbor cakupan"), format_month(figures.period)])
    summary.append([_("Wilayah"), ", ".join(figures.scope_codes)])
    summary.append([_("Keadaan per"), snap.as_of.isoformat() if snap else "—"])
    summary.append([_("Terlindungi bulan ini"), figures.totals.protected])
    summary.append([_("Peserta ditagih"), figures.totals.members])
    summary.append([_("Berisiko"), figures.totals.at_risk])
    summary.append([_("Berhenti bulan ini (menunggak)"), figures.totals.lapsed])
    if figures.target:
        summary.append([_("Target %(year)s") % {"year": figures.target.year}, figures.target.workers])
        summary.append([_("Capaian target (%)"), figures.target_pct])
        summary.append([_("Sumber target"), safe_cell(figures.target.source)])
    if figures.decile:
        summary.append([_("Keluarga desil 1"), figures.decile.households])
        summary.append([_("Keluarga desil 1 dengan anggota terlindungi"), figures.decile.protected])
        summary.append([_("Indikator Inpres 4/2022 (%)"), figures.decile.pct])

    area = _("Kelurahan") if figures.area_level == "kelurahan" else _("Distrik")
    tables = [
        (area, area, figures.by_area),
        (_("Pembayar"), _("Pembayar"), figures.by_payer),
        (_("Pekerjaan"), _("Pekerjaan"), figures.by_occupation),
        (_("Jenis kelamin"), _("Jenis kelamin"), figures.by_sex),
    ]
    for title, first, rows in tables:
        sheet = book.create_sheet(title[:31])
        sheet.append([first, *_figure_headers()])
        for row in rows:
            sheet.append(_row(row))
        sheet.append(_row(figures.totals))  # each table splits the same month's figures

    trend = book.create_sheet(_("Tren 24 bulan")[:31])
    trend.append([_("Bulan"), _("Peserta ditagih"), _("Terlindungi"), _("Berisiko"), _("Berhenti (menunggak)"),
                  _("Ada ringkasan")])
    for t in figures.trend:
        trend.append([format_month(t.period), t.members, t.protected, t.at_risk, t.lapsed,
                      _("ya") if t.present else _("tidak")])

    people = book.create_sheet(_("Pendamping")[:31])
    people.append([_("Pendamping"), _("Wilayah"), _("Pendaftaran bulan ini"), _("Pendaftaran 12 bulan"),
                   _("Kepesertaan bulan ini"), _("Kepesertaan 12 bulan"), _("Terlindungi di wilayah"),
                   _("Berisiko di wilayah")])
    for f in figures.facilitators:
        people.append([safe_cell(f.name), safe_cell(", ".join(f.areas)), f.registrations, f.registrations_12m,
                       f.enrolments, f.enrolments_12m, f.protected, f.at_risk])

    for sheet in book.worksheets:
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 34
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()



def _claim_headers(money: bool) -> list[str]:
    headers = [_("Dilaporkan"), _("Masih berjalan"), _("Dibayar"), _("Ditolak"), _("Hak gugur"),
               _("Tidak terlindungi"), _("Dibayar dalam periode")]
    return headers + ([_("Manfaat dibayar (Rp)"), _("Iuran dibayar (Rp)")] if money else [])


def _claim_row(row: ClaimRow, money: bool) -> list[Any]:
    cells: list[Any] = [safe_cell(str(row.label)), row.reported, row.open, row.paid, row.rejected, row.lapsed,
                        row.unprotected, row.settled]
    return cells + ([row.benefits_idr, row.contributions_idr] if money else [])


def claims_workbook(report: ClaimsReport) -> bytes:
    """The claims report: a summary sheet (the filters, the totals, what each payer paid and its
    members' families received) and one sheet per grouping, each ending with its total."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from jaring.claims.figures import GROUP_LABELS

    filters, totals, money = report.filters, report.totals, report.money
    book = Workbook()
    summary = book.active
    summary.title = _("Ringkasan")[:31]
    summary.append([_("Laporan klaim"), f"{format_month(filters.date_from)} – {format_month(filters.date_to)}"])
    summary.append([_("Wilayah"), ", ".join(report.groups["type"].scope_codes)])
    for label, value in ((_("Distrik"), filters.distrik), (_("Jenis klaim"), filters.type),
                         (_("Pembayar"), filters.payer)):
        summary.append([label, safe_cell(value) or _("Semua")])
    summary.append([_("Klaim dilaporkan (bulan kejadian)"), totals.reported])
    summary.append([_("Dibayar"), totals.paid])
    summary.append([_("Ditolak"), totals.rejected])
    summary.append([_("Hak gugur"), totals.lapsed])
    summary.append([_("Masih berjalan"), totals.open])
    summary.append([_("Tidak terlindungi pada tanggal kejadian (tetap dihitung)"), totals.unprotected])
    summary.append([_("Klaim dibayar dalam periode"), totals.settled])
    if money:
        summary.append([_("Manfaat dibayar dalam periode (Rp)"), totals.benefits_idr])
        summary.append([_("Iuran dibayar dalam periode (Rp)"), totals.contributions_idr])
        summary.append([])
        summary.append([_("Pembayar"), _("Iuran dibayar (Rp)"), _("Manfaat diterima keluarga peserta (Rp)")])
        for payer in report.payers:
            summary.append([safe_cell(str(payer.label)), payer.contributions_idr, payer.benefits_idr])
    for name, group in report.groups.items():
        sheet = book.create_sheet(str(GROUP_LABELS[name])[:31])
        sheet.append([str(GROUP_LABELS[name]), *_claim_headers(money)])
        for row in group.rows:
            sheet.append(_claim_row(row, money))
        sheet.append(_claim_row(group.totals, money))
    for sheet in book.worksheets:
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 34
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
