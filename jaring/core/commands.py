"""Base for Jaring's management commands: refusals print one line on stderr and exit non-zero."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jaring.core.errors import JaringError, ValidationFailed


class JaringCommand(BaseCommand):
    requires_system_checks: list[str] = []

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except JaringError as exc:
            if options.get("json"):
                self.stdout.write(json.dumps({"error": exc.as_dict()}, ensure_ascii=False, default=str))
            message = str(exc.message)
            details = "; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in exc.fields.items()
                                if [str(m) for m in v] != [message])
            named = ", ".join(k for k, v in exc.fields.items() if [str(m) for m in v] == [message])
            line = (f"{named}: " if named else "") + message + (f" ({details})" if details else "")
            sys.stderr.write(f"error: {line}\n")
            raise SystemExit(exc.exit_code) from None
        except CommandError as exc:
            sys.stderr.write(f"error: {exc}\n")
            raise SystemExit(exc.returncode or 2) from None

    def emit_json(self, data: Any) -> None:
        self.stdout.write(json.dumps(data, ensure_ascii=False, default=str))


def cli_date(value: str, option: str) -> dt.date:
    """A command's ``YYYY-MM-DD`` option, refused with the option named."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"{option} must be YYYY-MM-DD", fields={option: [value]}) from None


def cli_month(value: str, option: str) -> dt.date:
    """A command's ``YYYY-MM`` option (the first of that month), refused with the option named."""
    from jaring.core.money import parse_month

    try:
        return parse_month(value)
    except ValueError:
        raise ValidationFailed(f"{option} must be YYYY-MM", fields={option: [value]}) from None
