"""The engine must stay importable without Django (ARCHITECTURE §2: rules import no app)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

CHECK = (
    "import jaring.rules, jaring.rules.contributions, jaring.rules.benefits, "
    "jaring.rules.coverage, sys; "
    "assert not any(m.split('.')[0]=='django' for m in sys.modules)"
)


def test_rules_import_no_django():
    completed = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr


def test_no_float_or_print_in_engine_source():
    source_dir = ROOT / "jaring" / "rules"
    for path in source_dir.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "print(" not in text, path.name
        assert "float(" not in text, path.name
