"""Issue 4's acceptance cases, driven through the `jaring` commands an operator scripts."""

import json

from jaring.testing import run_jaring as jaring


def test_self_payer_story_through_the_cli(db, capsys):
    nik = "9271016503900001"  # a woman, market trader (not transport)
    assert jaring(capsys, "person", "add", "--nik", nik, "--name", "Yosina Kambu", "--birth-date", "1990-03-25",
                  "--sex", "F", "--kelurahan", "Remu", "--occupation", "market_trader")[0] == 0
    assert jaring(capsys, "payer", "add", "--code", "MANDIRI", "--name", "Peserta mandiri", "--kind", "self")[0] == 0
    code, out, err = jaring(capsys, "membership", "enrol", "--nik", nik, "--payer", "MANDIRI", "--programs",
                            "JKK,JKM", "--income", "1000000", "--start", "2026-01-01", "--kpj", "26010000001")
    assert code == 0, err
    for month in range(1, 10):
        assert jaring(capsys, "billing", "run", "--period", f"2026-{month:02d}")[0] == 0
    for month, amount in [(1, 16800), (2, 16800), (3, 16800), (4, 8400), (5, 8400)]:
        code, out, err = jaring(capsys, "payment", "record", "--nik", nik, "--amount", str(amount),
                                "--date", f"2026-{month:02d}-10", "--reference", f"BNI-{month}", "--json")
        assert code == 0, err
        assert json.loads(out)["paid_periods"] == [f"2026-{month:02d}"]
    assert json.loads(jaring(capsys, "billing", "close", "--as-of", "2026-09-14", "--json")[1])["ended"] == 0
    shown = json.loads(jaring(capsys, "membership", "show", "--nik", nik, "--json")[1])
    assert shown["status"] == "active"
    assert [m["amount_idr"] for m in shown["months"][:5]] == [16800, 16800, 16800, 8400, 8400]
    assert {m["status"] for m in shown["months"][5:]} == {"open"}
    assert json.loads(jaring(capsys, "billing", "close", "--as-of", "2026-09-16", "--json")[1])["ended"] == 1
    shown = json.loads(jaring(capsys, "membership", "show", "--nik", nik, "--json")[1])
    assert (shown["status"], shown["end_reason"]) == ("ended", "arrears")
    code, _, err = jaring(capsys, "payment", "record", "--nik", nik, "--amount", "16800", "--date", "2026-09-20")
    assert code != 0 and err.startswith("error: ")


def test_government_story_through_the_cli(db, capsys):
    for code_, kind in [("APBD-KOTA", "government_city"), ("APBD-PROV", "government_province")]:
        assert jaring(capsys, "payer", "add", "--code", code_, "--name", code_, "--kind", kind, "--wadah", "SG")[0] == 0
    niks = ["9271011403850001", "9271011403850002"]
    for i, nik in enumerate(niks):
        jaring(capsys, "person", "add", "--nik", nik, "--name", f"Pekerja {i}", "--birth-date", "1985-03-14",
               "--sex", "M", "--kelurahan", "96.71.01.1004", "--occupation", "ojek_driver")
        assert jaring(capsys, "membership", "enrol", "--nik", nik, "--payer", "APBD-KOTA", "--income", "1000000",
                      "--start", "2026-01-01", "--kpj", f"2601000010{i}")[0] == 0
    for month in range(1, 13):
        jaring(capsys, "billing", "run", "--period", f"2026-{month:02d}")
    shown = json.loads(jaring(capsys, "membership", "show", "--nik", niks[0], "--json")[1])
    assert [m["amount_idr"] for m in shown["months"]] == [16800] * 12
    code, out, _ = jaring(capsys, "invoice", "pay", "--payer", "APBD-KOTA", "--period", "2026-03", "--date",
                          "2026-03-20", "--reference", "SP2D-03", "--json")
    assert code == 0 and json.loads(out)["total_idr"] == 2 * 16800
    again = jaring(capsys, "invoice", "pay", "--payer", "APBD-KOTA", "--period", "2026-03", "--date",
                   "2026-03-20", "--reference", "SP2D-03", "--json")
    assert again[0] == 0 and json.loads(again[1]) == json.loads(out)
    code, _, err = jaring(capsys, "membership", "enrol", "--nik", niks[0], "--payer", "APBD-PROV", "--income",
                          "1000000", "--start", "2026-06-01")
    assert code == 3 and "APBD-KOTA" in err


def test_refusals_are_one_line_and_nonzero(db, capsys):
    code, _, err = jaring(capsys, "billing", "run", "--period", "2026-13")
    assert code == 2 and err.count("\n") == 1
    code, _, err = jaring(capsys, "payment", "record", "--nik", "9271011403850001", "--amount", "0",
                          "--date", "2026-01-01")
    assert code == 4  # nobody with that NIK
    code, _, err = jaring(capsys, "payer", "add", "--code", "X", "--name", "X", "--kind", "king")
    assert code == 2 and "kind" in err


def test_membership_end_and_reenrol(db, capsys):
    nik = "9271011403850001"
    jaring(capsys, "person", "add", "--nik", nik, "--name", "Obet Malak", "--birth-date", "1985-03-14", "--sex", "M",
           "--kelurahan", "Remu")
    jaring(capsys, "payer", "add", "--code", "MANDIRI", "--name", "Mandiri", "--kind", "self")
    jaring(capsys, "membership", "enrol", "--nik", nik, "--payer", "MANDIRI", "--income", "1000000", "--start",
           "2026-01-01", "--kpj", "26010000001")
    jaring(capsys, "billing", "run", "--period", "2026-01")
    jaring(capsys, "billing", "run", "--period", "2026-02")
    code, out, _ = jaring(capsys, "membership", "end", "--nik", nik, "--reason", "became_employee",
                          "--date", "2026-01-20", "--json")
    assert code == 0 and json.loads(out)["status"] == "ended"
    shown = json.loads(jaring(capsys, "membership", "show", "--nik", nik, "--json")[1])
    assert [m["status"] for m in shown["months"]] == ["open", "void"]  # February is not owed
    code, _, err = jaring(capsys, "membership", "enrol", "--nik", nik, "--payer", "MANDIRI", "--income", "1000000",
                          "--start", "2026-03-01", "--kpj", "26010000001")
    assert code == 0, err  # re-enrolment is a new membership of the same person
