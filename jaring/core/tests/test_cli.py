import json

import pytest

from conftest import REMU
from jaring.accounts.models import ApiToken, User
from jaring.accounts.services import hash_token
from jaring.core.models import AuditEvent
from jaring.registry.models import Person
from jaring.testing import run_jaring as run


def test_person_add_prints_id_and_audits_as_system(db, capsys):
    code, out, err = run(capsys, "person", "add", "--nik", "9271011403850001", "--name", "Yohanes Kalami",
                         "--birth-date", "1985-03-14", "--sex", "M", "--kelurahan", "92.71.01.1008")
    assert code == 0, err
    person = Person.objects.get()
    assert out.strip() == str(person.pk)
    assert person.kelurahan.code == REMU
    event = AuditEvent.objects.get(action="person.register")
    assert event.actor_label == "system" and event.channel == "cli"


def test_person_add_json_and_name_lookup(db, capsys):
    code, out, _ = run(capsys, "person", "add", "--nik", "9271015508900001", "--name", "Agustina Sawaki",
                       "--birth-date", "1990-08-15", "--sex", "F", "--kelurahan", "Remu", "--json",
                       "--occupation", "market_trader", "--kk", "9271010203150007")
    assert code == 0
    data = json.loads(out)
    assert data["nik"] == "9271********0001" and data["kelurahan_code"] == REMU


@pytest.mark.parametrize("args, field", [
    (["--nik", "3.27E+15"], "nik"),
    (["--kelurahan", "99.99.99.9999"], "kelurahan_code"),
    (["--birth-date", "14/03/1985"], "birth_date"),
    (["--occupation", "astronaut"], "occupation"),
])
def test_person_add_refusals_exit_nonzero_with_reason(db, capsys, args, field):
    base = {"--nik": "9271011403850001", "--name": "Yohanes Kalami", "--birth-date": "1985-03-14",
            "--sex": "M", "--kelurahan": REMU}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    argv = ["person", "add", *[x for kv in base.items() for x in kv]]
    code, _out, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith("error: ") and field in err and "Traceback" not in err
    assert Person.objects.count() == 0


def test_duplicate_exits_3(db, capsys):
    argv = ["person", "add", "--nik", "9271011403850001", "--name", "A B", "--birth-date", "1985-03-14",
            "--sex", "M", "--kelurahan", REMU]
    assert run(capsys, *argv)[0] == 0
    code, _, err = run(capsys, *argv)
    assert code == 3 and "sudah terdaftar" in err


def test_user_add_and_token(db, capsys, monkeypatch):
    monkeypatch.setenv("JARING_PASSWORD", "kata-sandi-panjang-2026")
    code, out, err = run(capsys, "user", "add", "maria", "--role", "facilitator", "--area", REMU,
                         "--name", "Maria Mobalen")
    assert code == 0, err
    user = User.objects.get(username="maria")
    assert user.check_password("kata-sandi-panjang-2026")
    assert list(user.areas.values_list("region__code", flat=True)) == [REMU]
    code, out, _ = run(capsys, "user", "token", "maria")
    token = out.strip()
    assert code == 0 and "\n" not in token and token.startswith("jrg_")
    assert ApiToken.objects.get(user=user).key_hash == hash_token(token)


def test_user_add_refusals(db, capsys, monkeypatch):
    monkeypatch.setenv("JARING_PASSWORD", "kata-sandi-panjang-2026")
    assert run(capsys, "user", "add", "x", "--role", "facilitator")[0] == 2  # no area
    assert run(capsys, "user", "add", "x", "--role", "operator", "--area", "00.00")[0] == 2
    monkeypatch.setenv("JARING_PASSWORD", "short")
    code, _, err = run(capsys, "user", "add", "y", "--role", "operator")
    assert code == 2 and ("password" in err.lower() or "sandi" in err.lower())
    assert run(capsys, "user", "token", "nobody")[0] == 4


def test_regions_load_is_idempotent(db, capsys, tmp_path):
    csv = tmp_path / "extra.csv"
    csv.write_text("code,legacy_code,level,name,parent_code\n"
                   "96.01,92.01,city,Kabupaten Sorong,96\n"
                   "96.01.01,92.01.01,district,Aimas,96.01\n")
    code, out, _ = run(capsys, "regions", "load", str(csv), "--json")
    assert code == 0 and json.loads(out)["created"] == 2
    code, out, _ = run(capsys, "regions", "load", str(csv), "--json")
    assert json.loads(out) == {"rows": 2, "created": 0, "updated": 0, "unchanged": 2}
    bad = tmp_path / "bad.csv"
    bad.write_text("code,legacy_code,level,name,parent_code\n96.02.01,,district,X,96.02\n")
    code, _, err = run(capsys, "regions", "load", str(bad))
    assert code == 2 and "96.02" in err
