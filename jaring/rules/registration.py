"""Registration rules: when protection starts, and who is old enough (or too old) to enrol."""

from __future__ import annotations

import datetime as dt

from jaring.core.money import age_on
from jaring.rules.inputs import date_value, input_error
from jaring.rules.parameters import Parameters, default_parameters
from jaring.rules.text import Message


def protection_start(
    *, received_on: dt.date, agreed_start: dt.date | None = None, params: Parameters | None = None
) -> dt.date:
    """Protection starts when BPJSTK receives the complete registration, or on the date set in
    a cooperation agreement with a local government; never earlier (no backdating)."""
    received = date_value(received_on, "received_on")
    if agreed_start is None:
        return received
    agreed = date_value(agreed_start, "agreed_start")
    snapshot = (params or default_parameters()).on(received, field="received_on")
    if agreed < received and not snapshot.value("membership", "backdating_allowed"):
        raise input_error(
            "agreed_start",
            f"Perlindungan tidak dapat berlaku surut: {agreed.isoformat()} sebelum pendaftaran "
            f"diterima ({received.isoformat()}).",
            f"Protection cannot be backdated: {agreed.isoformat()} is before the registration "
            f"was received ({received.isoformat()}).",
        )
    return agreed


def registration_age_problems(
    *,
    birth_date: dt.date,
    on: dt.date,
    local_programme: bool = True,
    params: Parameters | None = None,
) -> tuple[Message, ...]:
    """Why a person cannot be registered on ``on`` because of age; empty when they can.
    ``local_programme`` adds the local government's own age window (e.g. 18–65)."""
    birth = date_value(birth_date, "birth_date")
    day = date_value(on, "on")
    if birth > day:
        raise input_error(
            "birth_date",
            "Tanggal lahir setelah tanggal pendaftaran.",
            "Birth date is after the registration date.",
        )
    snapshot = (params or default_parameters()).on(day, field="on")
    age = age_on(birth, day)
    problems = []
    below = snapshot.value("membership", "registration_age_below")
    if age >= below:
        problems.append(
            Message(
                "age_not_below_limit",
                f"Umur {age} tahun; peserta BPU harus berumur di bawah {below} tahun saat "
                "mendaftar.",
                f"Age {age}; a BPU member must be under {below} at registration.",
            )
        )
    low, high = (snapshot.value("membership", key) for key in ("local_age_min", "local_age_max"))
    if local_programme and not low <= age <= high:
        problems.append(
            Message(
                "age_outside_local_window",
                f"Umur {age} tahun di luar batas program daerah ({low}–{high} tahun).",
                f"Age {age} is outside the local programme's range ({low}–{high}).",
            )
        )
    return tuple(problems)
