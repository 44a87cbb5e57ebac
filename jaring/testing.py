"""Test helpers shared by the apps' tests."""

from __future__ import annotations

from typing import Any


def run_jaring(capsys: Any, *argv: str) -> tuple[int, str, str]:
    """``jaring ARGV…`` run in this process as the console script runs it: the group and command
    resolved (``jaring invoice pay`` → ``invoice_pay``), refusals caught as the exit code. Returns
    (exit code, stdout, stderr); pytest's ``capsys`` collects the output."""
    from django.core.management import call_command

    from jaring.cli import resolve

    name, rest = resolve(list(argv))
    code = 0
    try:
        call_command(name, *rest)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
