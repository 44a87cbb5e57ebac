"""Secrets: from the environment, or generated once into ``$JARING_HOME/secrets.json``.

Production (``JARING_ENV=production``) must set ``SECRET_KEY`` and ``JARING_DATA_KEY``
explicitly: a generated data key lost with a disk would make every stored NIK unreadable.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path


class ConfigurationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Secrets:
    secret_key: str
    data_key: str


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
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(stored, indent=2))
            os.chmod(tmp, 0o600)
            tmp.replace(path)
        secret_key = secret_key or stored["secret_key"]
        data_key = data_key or stored["data_key"]
    if not _valid_data_key(data_key):
        raise ConfigurationError("JARING_DATA_KEY must be 32 random bytes, base64-encoded")
    return Secrets(secret_key=secret_key, data_key=data_key)
