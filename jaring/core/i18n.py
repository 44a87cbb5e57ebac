"""Translations without GNU gettext: compile ``.po`` to ``.mo`` and check that they agree.

The UI's source language is Bahasa Indonesia (msgids are Indonesian); ``locale/en`` holds the
English. Both ``.po`` and ``.mo`` are committed so that installing needs no gettext;
``python -m jaring.core.i18n check`` (part of ``make test``) fails when they drift apart.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def _catalogue(entries: polib._BaseFile) -> dict[tuple[str | None, str], object]:
    result: dict[tuple[str | None, str], object] = {}
    for entry in entries:
        translated = entry.msgstr or any(entry.msgstr_plural.values())
        if entry.obsolete or "fuzzy" in entry.flags or not translated:
            continue
        value = dict(sorted(entry.msgstr_plural.items())) if entry.msgstr_plural else entry.msgstr
        result[(entry.msgctxt, entry.msgid)] = value
    return result


def po_files() -> list[Path]:
    return sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))


def compile_all() -> list[Path]:
    written = []
    for po_path in po_files():
        mo_path = po_path.with_suffix(".mo")
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        written.append(mo_path)
    return written


def check() -> list[str]:
    problems = []
    files = po_files()
    if not files:
        problems.append(f"no .po files under {LOCALE_DIR}")
    for po_path in files:
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists():
            problems.append(f"{mo_path} is missing: run `python -m jaring.core.i18n compile`")
            continue
        po = polib.pofile(str(po_path))
        if _catalogue(po) != _catalogue(polib.mofile(str(mo_path))):
            problems.append(f"{mo_path} does not match {po_path.name}: "
                            "run `python -m jaring.core.i18n compile`")
        untranslated = [e.msgid for e in po.untranslated_entries() if not e.obsolete]
        fuzzy = [e.msgid for e in po.fuzzy_entries()]
        if untranslated or fuzzy:
            problems.append(f"{po_path}: {len(untranslated)} untranslated and {len(fuzzy)} fuzzy entries, "
                            f"e.g. {(untranslated + fuzzy)[:3]}")
    return problems


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "compile":
        for path in compile_all():
            sys.stdout.write(f"compiled {path}\n")
        return 0
    problems = check()
    for problem in problems:
        sys.stderr.write(f"i18n: {problem}\n")
    if not problems:
        sys.stdout.write(f"i18n: {len(po_files())} catalogue(s) compiled and complete\n")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
