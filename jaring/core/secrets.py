"""Secrets: from the environment, or generated once into ``$JARING_HOME/secrets.json``; and the
home folder's permissions.

Production (``JARING_ENV=production``) must set ``SECRET_KEY`` and ``JARING_DATA_KEY``
explicitly: a generated data key lost with a disk would make every stored NIK unreadable.

Everything Jaring writes under ``$JARING_HOME`` (the SQLite database and its ``-wal``/``-shm``
files, this secrets file, job progress files, uploads, error reports, backups' temporary files)
is readable by the service account only: the process runs with umask 077 (``restrict_umask``,
called first thing by the settings, ``jaring``, ``manage.py`` and the WSGI module) and
``secure_home`` makes the folder 0700, tightening what an older version left group- or
world-readable.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path

PRIVATE_UMASK = 0o077


class InsecureHomeWarning(UserWarning):
    """``$JARING_HOME`` or something in it was readable by other users and has been tightened."""


class ConfigurationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Secrets:
    secret_key: str
    data_key: str


def restrict_umask() -> None:
    """Files and folders this process creates are for its own user only (0600 / 0700)."""
    os.umask(PRIVATE_UMASK)


def _tighten(path: Path) -> bool:
    """Drop group and other permissions from ``path`` (never follows a symlink); True if changed."""
    mode = stat.S_IMODE(path.lstat().st_mode)
    if path.is_symlink() or not mode & 0o077:
        return False
    os.chmod(path, mode & ~0o077)
    return True


def _tree(home: Path) -> list[Path]:
    """Everything under ``home``, never following a symlink out of it."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(home, followlinks=False):
        found.extend(Path(folder) / name for name in [*dirs, *files])
    return found


def secure_home(home: Path) -> list[Path]:
    """Create ``home`` 0700, or tighten it and what is directly inside it if an earlier version
    (or an operator) left them readable by others; a home that was itself open is tightened all
    the way down. Warns (``InsecureHomeWarning``) with what it changed; returns those paths."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    changed: list[Path] = []
    try:
        deep = _tighten(home)
        if deep:
            changed.append(home)
        for entry in _tree(home) if deep else home.iterdir():
            if _tighten(entry):
                changed.append(entry)
    except OSError as exc:  # a volume we do not own: say so, do not refuse to start
        warnings.warn(f"JARING_HOME {home}: cannot restrict permissions ({exc})",
                      InsecureHomeWarning, stacklevel=2)
        return changed
    if changed:
        shown = ", ".join(str(p) for p in changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        warnings.warn(f"JARING_HOME {home}: other users could read {shown}; now owner-only (0700/0600)",
                      InsecureHomeWarning, stacklevel=2)
    return changed


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, the file being 0600 from its first byte."""
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def _valid_data_key(value: str) -> bool:
    try:
        return len(base64.b64decode(value, validate=True)) == 32
    except ValueError:
        return False


def load_or_create_secrets(*, home: Path, production: bool, secret_key: str, data_key: str) -> Secrets:
    if production:
        if not secret_key or not data_key:
            raise ConfigurationError(
                "JARING_ENV=production needs SECRET_KEY and JARING_DATA_KEY set explicitly"
            )
    elif not (secret_key and data_key):
        path = home / "secrets.json"
        stored: dict[str, str] = {}
        if path.exists():
            stored = json.loads(path.read_text())
        changed = False
        if "secret_key" not in stored:
            stored["secret_key"] = secrets.token_urlsafe(50)
            changed = True
        if "data_key" not in stored:
            stored["data_key"] = base64.b64encode(secrets.token_bytes(32)).decode()
            changed = True
        if changed:
            _write_private(path, json.dumps(stored, indent=2))
        elif _tighten(path):
            warnings.warn(f"{path} was readable by other users; now 0600", InsecureHomeWarning, stacklevel=2)
        secret_key = secret_key or stored["secret_key"]
        data_key = data_key or stored["data_key"]
    if not _valid_data_key(data_key):
        raise ConfigurationError("JARING_DATA_KEY must be 32 random bytes, base64-encoded")
    return Secrets(secret_key=secret_key, data_key=data_key)
