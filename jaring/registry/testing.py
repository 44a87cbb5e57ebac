"""Helpers that build valid identifiers for tests, demos and benchmarks."""

from __future__ import annotations

import datetime as dt


def make_nik(*, region: str = "927101", birth_date: dt.date, sex: str, serial: int) -> str:
    """A NIK that passes every rule: region prefix, DDMMYY (+40 for women), serial 0001–9999."""
    day = birth_date.day + (40 if sex == "F" else 0)
    return f"{region}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{serial % 9999 + 1:04d}"


def make_kk(*, region: str = "927101", issued: dt.date, serial: int) -> str:
    return f"{region}{issued.day:02d}{issued.month:02d}{issued.year % 100:02d}{serial % 9999 + 1:04d}"
