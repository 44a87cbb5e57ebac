"""Claim deadlines and document checklists (rules.claims)."""

from __future__ import annotations

import datetime as dt

import pytest

from jaring.rules.claims import add_working_days, add_years, claim_deadlines, document_checklist
from jaring.rules.errors import RulesInputError

D = dt.date


def test_stage_one_report_is_two_days_after_the_accident_across_a_month_end():
    deadlines = claim_deadlines("jkk", D(2026, 1, 30))
    assert deadlines.stage1_report == D(2026, 2, 1)
    assert claim_deadlines("jkk", D(2026, 12, 31)).stage1_report == D(2027, 1, 2)
    assert deadlines.stage2_report is None and deadlines.payment_due is None


def test_stage_two_report_runs_from_the_outcome():
    deadlines = claim_deadlines("jkk", D(2026, 3, 1), outcome_date=D(2026, 4, 29))
    assert deadlines.stage2_report == D(2026, 5, 1)


def test_the_right_lapses_five_years_after_the_event_and_29_february_has_an_answer():
    assert claim_deadlines("jkm", D(2026, 6, 3)).lapses_on == D(2031, 6, 3)
    assert add_years(D(2028, 2, 29), 5) == D(2033, 2, 28)


def test_bpjstk_pays_within_seven_working_days_skipping_sundays_and_holidays():
    # Complete on Friday 13 March 2026: the Nyepi holiday and cuti bersama (18–20 and 23–24 March,
    # Idul Fitri) and the Sundays fall in between.
    deadlines = claim_deadlines("jkk", D(2026, 3, 2), complete_on=D(2026, 3, 13))
    assert deadlines.payment_due is not None and deadlines.payment_due > D(2026, 3, 24)
    assert add_working_days(D(2026, 3, 13), 7) == deadlines.payment_due
    assert add_working_days(D(2026, 11, 13), 1) == D(2026, 11, 14)  # a Saturday is a working day
    assert add_working_days(D(2026, 11, 14), 1) == D(2026, 11, 16)  # the Sunday is skipped


def test_scholarship_follow_up_each_year():
    assert claim_deadlines("scholarship", D(2026, 7, 15)).scholarship_reapply == D(2027, 7, 1)


def test_document_checklists_per_claim_type():
    jkk = {d.code for d in document_checklist("jkk", on=D(2026, 6, 1))}
    jkm = {d.code for d in document_checklist("jkm", on=D(2026, 6, 1))}
    scholarship = {d.code for d in document_checklist("scholarship", on=D(2026, 6, 1))}
    assert {"kartu_peserta", "ktp", "surat_dokter", "kuitansi"} <= jkk
    assert {"akta_kematian", "surat_ahli_waris", "buku_tabungan", "ktp_ahli_waris"} <= jkm
    assert {"formulir_beasiswa", "surat_sekolah", "akta_kelahiran"} <= scholarship
    optional = {d.code for d in document_checklist("jkm", on=D(2026, 6, 1)) if not d.required}
    assert optional == {"npwp"}


def test_unknown_claim_type_is_refused():
    with pytest.raises(RulesInputError):
        claim_deadlines("jht", D(2026, 1, 1))
    with pytest.raises(RulesInputError):
        document_checklist("pension")
