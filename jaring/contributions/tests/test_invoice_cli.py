"""Block invoices and partial payments from the command line; protection on a day from the CLI."""

import datetime as dt
import json

from jaring.contributions.tests.test_cli import jaring
from jaring.core.money import add_months, format_month, month_start
from jaring.membership.services import membership_enrol


def test_quarter_invoice_paid_in_two_transfers(personas, payers, register_person, capsys):
    operator = personas["operator_sorong"]
    for i in range(2):
        membership_enrol(actor=operator, person=register_person(), payer=payers["city"], programs="JKK,JKM",
                         declared_income_idr=1_000_000, start_date=dt.date(2026, 12, 1), kpj=f"2614{i:07d}")
    code, out, err = jaring(capsys, "invoice", "issue", "--payer", "APBD-KOTA", "--period", "2027-01", "--months", "3",
                            "--json")
    assert code == 0, err
    issued = json.loads(out)
    assert (issued["period"], issued["period_to"], issued["months"]) == ("2027-01", "2027-03", 3)
    assert issued["members"] == 2 and issued["total_idr"] == 6 * 16_800 and issued["status"] == "open"
    code, out, err = jaring(capsys, "invoice", "pay", "--payer", "APBD-KOTA", "--period", "2027-01",
                            "--date", "2026-12-07", "--reference", "SP2D-7", "--amount", str(3 * 16_800), "--json")
    assert code == 0, err
    part = json.loads(out)
    assert part["status"] == "partial" and part["paid_idr"] == 3 * 16_800 and part["outstanding_idr"] == 3 * 16_800
    code, out, err = jaring(capsys, "invoice", "pay", "--payer", "APBD-KOTA", "--period", "2027-01",
                            "--date", "2026-12-07", "--reference", "SP2D-8", "--json")
    assert code == 0, err
    assert json.loads(out)["status"] == "paid"
    # Refusals name the option and exit non-zero.
    code, _out, err = jaring(capsys, "invoice", "issue", "--payer", "APBD-KOTA", "--period", "2027-02", "--months", "3")
    assert code != 0 and "triwulan" in err
    code, _out, err = jaring(capsys, "invoice", "pay", "--payer", "APBD-KOTA", "--period", "27-1",
                             "--date", "2026-12-07", "--reference", "X")
    assert code != 0 and "--period" in err
    code, _out, err = jaring(capsys, "invoice", "pay", "--payer", "APBD-KOTA", "--period", "2027-01",
                             "--date", "7/12/2026", "--reference", "X")
    assert code != 0 and "--date" in err


def test_membership_show_says_whether_protected_on_a_day(personas, payers, register_person, capsys):
    operator = personas["operator_sorong"]
    person = register_person()
    running = month_start(dt.date.today())
    membership_enrol(actor=operator, person=person, payer=payers["city"], programs="JKK,JKM",
                     declared_income_idr=1_000_000, start_date=add_months(running, -1), kpj="26150000001")
    for period in (add_months(running, -1), running):
        assert jaring(capsys, "billing", "run", "--period", format_month(period))[0] == 0
    paid_on = add_months(running, -1).replace(day=10)
    assert jaring(capsys, "invoice", "pay", "--payer", "APBD-KOTA", "--period", format_month(add_months(running, -1)),
                  "--date", paid_on.isoformat(), "--reference", "SP2D-1")[0] == 0
    first = running.isoformat()
    shown = json.loads(jaring(capsys, "membership", "show", "--nik", person.nik, "--as-of", first, "--json")[1])
    assert shown["protected"] is True and shown["protected_reason"] == "not_yet_due" and shown["as_of"] == first
    late = add_months(running, 1).replace(day=1) - dt.timedelta(days=1)  # the running month's last day
    shown = json.loads(jaring(capsys, "membership", "show", "--nik", person.nik, "--as-of", late.isoformat(),
                              "--json")[1])
    assert shown["protected"] is False and shown["protected_reason"] == "in_arrears"
    code, _out, err = jaring(capsys, "membership", "show", "--nik", person.nik, "--as-of", "kemarin")
    assert code != 0 and "--as-of" in err
