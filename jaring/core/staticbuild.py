"""The static files as served: hashed names with ``.gz`` and ``.br`` beside them (decision 0037).

``static_build()`` runs ``collectstatic`` into ``STATIC_ROOT`` when the static files or the settings
that shape them changed since the last build, and does nothing otherwise (a few milliseconds: it
only reads the files' sizes and times). ``jaring serve`` calls it before serving; ``jaring
build-static`` is the same for a server started another way. The fingerprint of the last build
is kept beside ``STATIC_ROOT`` (``static.fingerprint``), never inside it, where WhiteNoise would
serve it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.management import call_command
from django.utils.module_loading import import_string
from whitenoise.storage import CompressedManifestStaticFilesStorage

#: What ``collectstatic`` ignores by default; the fingerprint covers the same files.
IGNORE_PATTERNS = ["CVS", ".*", "*~"]

logger = logging.getLogger(__name__)


class StaticStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's compressed manifest storage (``STORAGES["staticfiles"]`` on a server).

    With a build, strict: a name missing from the manifest is an error (a test checks every
    template against a build). Before the first build — a server started without ``jaring serve``
    or ``jaring build-static`` — pages name the plain files, which WhiteNoise serves from the
    source folders as before decision 0037 (uncompressed, ``max-age=60``): slower, never broken.
    """

    _warned = False

    def stored_name(self, name: str) -> str:
        if not self.hashed_files:  # no staticfiles.json in STATIC_ROOT, and no build in this process
            if not StaticStorage._warned:
                StaticStorage._warned = True
                logger.warning("The static files were never built: serving them uncompressed under their "
                               "plain names. Run `jaring build-static` (`jaring serve` does it itself).")
            return name
        return str(super().stored_name(name))


def uses_manifest() -> bool:
    """Whether the static files storage serves hashed names from a manifest (not under tests)."""
    backend = import_string(settings.STORAGES["staticfiles"]["BACKEND"])
    return isinstance(backend, type) and issubclass(backend, ManifestFilesMixin)


def fingerprint_path() -> Path:
    root = Path(settings.STATIC_ROOT)
    return root.with_name(root.name + ".fingerprint")


def fingerprint() -> str:
    """A digest of every file ``collectstatic`` would collect (name, size, time) and of the settings."""
    digest = hashlib.sha256()
    shaping = {name: getattr(settings, name, None) for name in (
        "STATIC_URL", "STORAGES", "WHITENOISE_KEEP_ONLY_HASHED_FILES", "WHITENOISE_SKIP_COMPRESS_EXTENSIONS",
        "WHITENOISE_MANIFEST_STRICT")}
    digest.update(json.dumps(shaping, sort_keys=True, default=str).encode())
    entries = []
    for finder in finders.get_finders():
        for path, storage in finder.list(IGNORE_PATTERNS):
            stat = os.stat(storage.path(path))
            prefix = getattr(storage, "prefix", None) or ""
            entries.append(f"{prefix}/{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n")
    for entry in sorted(entries):
        digest.update(entry.encode())
    return digest.hexdigest()


def is_current() -> bool:
    """True when ``STATIC_ROOT`` holds a complete build of today's files."""
    stamp = fingerprint_path()
    manifest = Path(settings.STATIC_ROOT) / ManifestFilesMixin.manifest_name
    return manifest.exists() and stamp.exists() and stamp.read_text().strip() == fingerprint()


def static_build(*, force: bool = False, verbosity: int = 0) -> bool:
    """Build the static files if they changed (or ``force``); True if ``collectstatic`` ran.

    Nothing is deleted: a server still running the previous version keeps finding its hashed
    files until it restarts. A failed build leaves the old fingerprint, so the next start retries.
    ``collectstatic`` post-processes through this process's storage, which so holds the new manifest.
    """
    if not uses_manifest() or (not force and is_current()):
        return False
    current = fingerprint()
    call_command("collectstatic", interactive=False, verbosity=verbosity)
    stamp = fingerprint_path()
    partial = stamp.with_name(stamp.name + ".tmp")
    partial.write_text(current + "\n")
    partial.replace(stamp)
    return True
