"""Loading region lists (Kemendagri codes) from a CSV of the shipped shape.

Columns: ``code, legacy_code, level, name, parent_code``. Loading is an upsert by current code:
re-running changes nothing; a renamed or renumbered region updates in place.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from jaring.core.audit import audit_log
from jaring.core.errors import ValidationFailed
from jaring.regions.models import Region
from jaring.regions.names import name_key

BUNDLED_CSV = Path(__file__).resolve().parent / "data" / "regions_kota_sorong.csv"
_COLUMNS = ("code", "legacy_code", "level", "name", "parent_code")
_LEVEL_DEPTH = {"province": 0, "city": 1, "district": 2, "kelurahan": 3}


@dataclass
class LoadResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise ValidationFailed(_("Berkas tidak ditemukan: %(path)s") % {"path": path})
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in _COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValidationFailed(_("Kolom wajib tidak ada: %(cols)s") % {"cols": ", ".join(missing)})
        return [{k: (row.get(k) or "").strip() for k in _COLUMNS} for row in reader]


def _validate(rows: list[dict[str, str]], known: set[str]) -> list[str]:
    errors = []
    seen: set[str] = set()
    in_file = {row["code"] for row in rows}  # a child may come before its parent: rows load by depth
    for number, row in enumerate(rows, start=2):
        code, level = row["code"], row["level"]
        if not code or not row["name"]:
            errors.append(_("Baris %(n)s: kode dan nama wajib diisi.") % {"n": number})
            continue
        if level not in _LEVEL_DEPTH:
            errors.append(_("Baris %(n)s: tingkat wilayah '%(level)s' tidak dikenal.")
                          % {"n": number, "level": level})
        elif code.count(".") != _LEVEL_DEPTH[level]:
            errors.append(_("Baris %(n)s: kode %(code)s tidak cocok dengan tingkat %(level)s.")
                          % {"n": number, "code": code, "level": level})
        if code in seen:
            errors.append(_("Baris %(n)s: kode %(code)s muncul dua kali.") % {"n": number, "code": code})
        seen.add(code)
        parent = row["parent_code"]
        if level != "province" and parent not in in_file and parent not in known:
            errors.append(_("Baris %(n)s: induk %(parent)s tidak ditemukan.")
                          % {"n": number, "parent": parent})
        if parent and not code.startswith(parent + "."):
            errors.append(_("Baris %(n)s: kode %(code)s tidak berada di bawah induk %(parent)s.")
                          % {"n": number, "code": code, "parent": parent})
    return errors


@transaction.atomic
def regions_load(*, rows: Iterable[dict[str, str]], actor: Any = None, source: str = "") -> LoadResult:
    rows = list(rows)
    existing = {r.code: r for r in Region.objects.all()}
    errors = _validate(rows, set(existing))
    if errors:
        raise ValidationFailed(_("Daftar wilayah tidak dimuat: %(count)s kesalahan.")
                               % {"count": len(errors)}, fields={"rows": errors})
    result = LoadResult(rows=len(rows))
    # Parents before children: sorting by depth is enough because codes are hierarchical.
    for row in sorted(rows, key=lambda r: r["code"].count(".")):
        values = {
            "legacy_code": row["legacy_code"],
            "level": row["level"],
            "name": row["name"],
            "name_key": name_key(row["name"]),
            "parent": existing.get(row["parent_code"]) if row["parent_code"] else None,
        }
        region = existing.get(row["code"])
        if region is None:
            region = Region.objects.create(code=row["code"], **values)
            existing[region.code] = region
            result.created += 1
            continue
        changed = [k for k, v in values.items() if getattr(region, k) != v]
        if changed:
            for k in changed:
                setattr(region, k, values[k])
            region.save(update_fields=changed)
            result.updated += 1
        else:
            result.unchanged += 1
    if result.created or result.updated:
        audit_log(actor=actor, action="regions.load", object_type="regions.region",
                  after={"source": source, "created": result.created, "updated": result.updated})
    return result


def regions_load_csv(*, path: Path, actor: Any = None) -> LoadResult:
    return regions_load(rows=_read_csv(path), actor=actor, source=path.name)
