"""What the ``jaring user …`` commands share: who acts (``--actor``), the user named, and how a
credential is handed over once."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from jaring.accounts.models import User
from jaring.accounts.services import cli_actor
from jaring.accounts.user_admin import Credentials, user_for_username
from jaring.core.commands import JaringCommand
from jaring.core.errors import ValidationFailed
from jaring.core.params import has_control_chars


def add_actor_argument(parser: Any) -> None:
    parser.add_argument("--actor", "--as", dest="actor", metavar="USERNAME",
                        help="Act as this admin, within their region and role (default: the system account, "
                             "an admin over the whole tenant region)")


def actor_of(options: dict[str, Any]) -> User:
    return cli_actor(options.get("actor"))


def target(options: dict[str, Any], actor: User) -> User:
    """The user named on the command line, if ``actor`` manages them (else NotFound, exit 4)."""
    return user_for_username(actor, options["username"])


class UserCommand(JaringCommand):
    """A command on one user: ``USERNAME [--actor ADMIN] [--json]``."""

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        add_actor_argument(parser)
        parser.add_argument("--json", action="store_true")

    def actor_and_user(self, options: dict[str, Any]) -> tuple[User, User]:
        actor = actor_of(options)
        return actor, target(options, actor)


def checked_text(value: str | None, field: str) -> str | None:
    """A user's field as typed (None: not given), refused when longer than the column or holding
    control characters (PostgreSQL refuses NUL): the API's serializer checks the same."""
    if value is None:
        return None
    limit = int(getattr(User._meta.get_field(field), "max_length", 0) or 0)
    if len(value.strip()) > limit:
        raise ValidationFailed(f"--{field}: at most {limit} characters", fields={field: [f"max {limit}"]})
    if has_control_chars(value):
        raise ValidationFailed(f"--{field}: control characters are not allowed", fields={field: [value[:60]]})
    return value


def checked_email(value: str | None) -> str | None:
    """The e-mail address as given (None: not given), refused when it is not one (the API's
    serializer checks the same)."""
    value = checked_text(value, "email")
    if value is None or not value.strip():
        return value
    try:
        validate_email(value.strip())
    except ValidationError:
        raise ValidationFailed(f"--email: not an e-mail address: {value[:60]}",
                               fields={"email": [value[:60]]}) from None
    return value.strip()


def add_base_url_argument(parser: Any) -> None:
    parser.add_argument("--base-url", default="", metavar="URL",
                        help="The site's address for a link (default: the first of CSRF_TRUSTED_ORIGINS)")


def credentials_dict(credentials: Credentials, base_url: str = "") -> dict[str, Any]:
    """``temporary_password``, or ``reset_link`` (absolute when the site's address is known) with
    its lifetime: the keys the API answers with."""
    if credentials.reset_path:
        base = (base_url or next(iter(settings.CSRF_TRUSTED_ORIGINS), "")).rstrip("/")
        return {"reset_link": base + credentials.reset_path,
                "reset_link_minutes": settings.JARING_PASSWORD_RESET_MINUTES}
    return {"temporary_password": credentials.temporary_password} if credentials.temporary_password else {}


def local_time(iso: str | None, default: str = "-") -> str:
    """An ISO timestamp of ``user_as_dict`` in the office's zone, to the minute, for a person to read."""
    from django.utils import timezone

    if not iso:
        return default
    return timezone.localtime(dt.datetime.fromisoformat(iso)).strftime("%Y-%m-%d %H:%M %Z")


def note(text: str) -> None:
    """A line for the person at the terminal (stderr), so stdout holds only what a script reads."""
    sys.stderr.write(text + "\n")


def credential_note(username: str, data: dict[str, Any]) -> None:
    if "reset_link" in data:
        note(f"one-time link for {username}, valid {data['reset_link_minutes']} minutes; hand it over now, "
             "it is not shown again")
        if not data["reset_link"].startswith(("http://", "https://")):
            note("the site's address is unknown: put it before the path, or pass --base-url")
    elif "temporary_password" in data:
        note(f"temporary password for {username}, to be changed at the first login; hand it over now, "
             "it is not shown again")
