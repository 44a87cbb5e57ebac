"""Reading files people send in a worker process that may die without taking the server along.

A spreadsheet is hostile input: a 1.6 KB XLSX whose one far cell makes calamine ask for 512 GB
aborts the process that reads it, a zip bomb keeps a core busy for minutes, a one-line CSV of
10 MB costs gigabytes. So files are read by ``python -m jaring.core.sandbox`` in a child process:

- with an address-space limit (``RLIMIT_AS``), no core dumps (a dump would hold the file's NIKs),
  files it writes bounded (``RLIMIT_FSIZE``), and an alarm of its own;
- polled by the parent, which kills it when the wall-clock limit passes or when ``check`` raises
  (a job's cancel request, ``JobChannel.check_cancel``), and which dies with it
  (``PR_SET_PDEATHSIG``);
- reporting through a private directory ``$JARING_HOME/tmp/sandbox-*`` (0700, files 0600): a data
  frame as an Arrow IPC file the parent reads with polars, any other result pickled, a refusal as
  JSON with its message already translated (the child runs Django's translation machinery with the
  parent's language and nothing else). The directory is removed in every outcome; what a killed
  server leaves behind goes with ``jobs.purge_expired_files``.

Every way the child can end becomes a ``ValidationFailed`` with a reason in the user's language:
refused by a limit (the reader's own checks, ``core.tables``), out of memory, out of time, crashed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import json
import logging
import os
import pickle  # only between this process and the child it started, through a 0700 directory
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from jaring.core.errors import JaringError, ValidationFailed

log = logging.getLogger(__name__)

POLL_SECONDS = 0.1
# What the child inherits of the environment: nothing secret (no keys, no database URL).
ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "PYTHONHASHSEED", "VIRTUAL_ENV", "POLARS_MAX_THREADS",
               "RAYON_NUM_THREADS", "SYSTEMROOT")


@dataclass(frozen=True)
class Limits:
    """What one read may use or meet before it is stopped; ``JARING_IMPORT_*`` settings."""

    memory_mb: int = 4096
    seconds: int = 600
    max_bytes: int = 200 * 1024 * 1024
    max_rows: int = 2_000_000
    max_columns: int = 500
    max_cells: int = 30_000_000
    max_line_bytes: int = 100_000
    max_uncompressed_mb: int = 1024
    max_ratio: int = 100

    @classmethod
    def from_settings(cls) -> Limits:
        names = {"memory_mb": "JARING_IMPORT_MEMORY_MB", "seconds": "JARING_IMPORT_SECONDS",
                 "max_bytes": "JARING_MAX_UPLOAD_BYTES", "max_rows": "JARING_IMPORT_MAX_ROWS",
                 "max_columns": "JARING_IMPORT_MAX_COLUMNS", "max_cells": "JARING_IMPORT_MAX_CELLS",
                 "max_line_bytes": "JARING_IMPORT_MAX_LINE_BYTES",
                 "max_uncompressed_mb": "JARING_IMPORT_MAX_UNCOMPRESSED_MB", "max_ratio": "JARING_IMPORT_MAX_RATIO"}
        defaults = cls()
        return cls(**{field: int(getattr(settings, name, getattr(defaults, field))) for field, name in names.items()})


@dataclass
class FrameResult:
    """A worker's data frame (sent as Arrow IPC) with small JSON-able facts about it."""

    frame: Any  # polars.DataFrame | None
    meta: dict[str, Any] = dataclasses.field(default_factory=dict)


_child_limits: Limits | None = None


def child_limits() -> Limits:
    """The limits of the worker this code runs in (or the settings' outside a worker)."""
    return _child_limits if _child_limits is not None else Limits.from_settings()


def private_dir(name: str) -> Path:
    """``$JARING_HOME/<name>``, created owner-only."""
    folder = Path(settings.JARING_HOME) / name
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ENVIRONMENT}
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join([package_root, *filter(None, [os.environ.get("PYTHONPATH", "")])])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def memory_message(limits: Limits) -> str:
    return _("Berkas ini butuh lebih banyak memori daripada batas pembacaan (%(mb)s MB), atau isinya tidak "
             "wajar; pembacaan dihentikan. Periksa berkas, atau pecah menjadi beberapa berkas yang lebih "
             "kecil.") % {"mb": limits.memory_mb}


def run_isolated(target: str, *args: Any, limits: Limits | None = None, check: Callable[[], None] | None = None,
                 preflight: tuple[Path, str | None] | None = None, **kwargs: Any) -> Any:
    """``target(*args, **kwargs)`` (``"package.module:function"``) in a worker process with
    ``limits``; returns its result (a ``FrameResult`` when it returned one). ``check`` is called
    while the worker runs and may raise to stop it (the worker is killed, the exception goes on).
    ``preflight=(path, sheet)`` has the worker check an XLSX file's container before ``target``
    opens it (``tables.inspect_workbook``; ``sheet="*"`` checks every sheet)."""
    limits = limits or Limits.from_settings()
    work = Path(tempfile.mkdtemp(prefix="sandbox-", dir=private_dir("tmp")))
    try:
        from django.utils import translation

        request = {"target": target, "args": args, "kwargs": kwargs, "limits": dataclasses.asdict(limits),
                   "language": translation.get_language() or settings.LANGUAGE_CODE,
                   "locale_paths": [str(p) for p in settings.LOCALE_PATHS], "parent": os.getpid(),
                   "preflight": preflight}
        _write_private(work / "request.pickle", pickle.dumps(request))
        fd = os.open(work / "stderr.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as stderr:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
                [sys.executable, "-m", "jaring.core.sandbox", str(work)], cwd=work, env=_environment(),
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, close_fds=True)
        try:
            (work / "child.pid").write_text(str(process.pid))
            deadline = time.monotonic() + limits.seconds
            while True:
                try:
                    process.wait(timeout=POLL_SECONDS)
                    break
                except subprocess.TimeoutExpired:
                    pass
                if check is not None:
                    check()
                if time.monotonic() > deadline:
                    raise ValidationFailed(_("Membaca berkas melebihi batas waktu %(seconds)s detik; pembacaan "
                                             "dihentikan. Pecah berkas menjadi beberapa berkas yang lebih kecil.")
                                           % {"seconds": limits.seconds}, code="read_timeout")
        finally:
            if process.returncode is None:
                process.kill()
                process.wait()
        return _outcome(work, process.returncode, limits, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _outcome(work: Path, code: int, limits: Limits, target: str) -> Any:
    stderr = (work / "stderr.txt").read_bytes()[-4000:].decode("utf-8", "replace")
    error = work / "error.json"
    if error.is_file():
        data = json.loads(error.read_text(encoding="utf-8"))
        if data.get("kind") == "memory":
            raise ValidationFailed(memory_message(limits), code="read_memory")
        if data.get("kind") == "crash":
            log.warning("reading worker %s: %s: %s", target, data.get("type"), data.get("detail"))
            raise ValidationFailed(_("Berkas tidak bisa dibaca: %(err)s") % {"err": data.get("detail") or "?"},
                                   code="unreadable")
        raise ValidationFailed(data["message"], code=data.get("code") or None, fields=data.get("fields") or None)
    result = work / "result.json"
    if code == 0 and result.is_file():
        data = json.loads(result.read_text(encoding="utf-8"))
        if data["kind"] == "frame":
            import polars as pl

            arrow = work / "result.arrow"
            frame = pl.read_ipc(arrow) if arrow.is_file() else None
            return FrameResult(frame=frame, meta=data.get("meta") or {})
        return pickle.loads((work / "result.pickle").read_bytes())  # noqa: S301 - written by our own child
    log.warning("reading worker %s ended with %s: %s", target, code, stderr[-500:])
    out_of_memory = ("memory allocation of" in stderr or "MemoryError" in stderr
                     or "Cannot allocate memory" in stderr or "failed to map segment" in stderr)
    if out_of_memory or code in (-signal.SIGKILL, -signal.SIGABRT, -signal.SIGSEGV, -signal.SIGBUS):
        raise ValidationFailed(memory_message(limits), code="read_memory")
    if code in (-signal.SIGALRM, -signal.SIGXCPU):
        raise ValidationFailed(_("Membaca berkas melebihi batas waktu %(seconds)s detik; pembacaan "
                                 "dihentikan. Pecah berkas menjadi beberapa berkas yang lebih kecil.")
                               % {"seconds": limits.seconds}, code="read_timeout")
    raise ValidationFailed(_("Pembaca berkas berhenti tanpa hasil (kode %(code)s); berkas mungkin rusak.")
                           % {"code": code}, code="unreadable")


# --- The child --------------------------------------------------------------------------------

def _harden(limits: Limits, parent: int) -> None:
    os.umask(0o077)
    with contextlib.suppress(OSError, AttributeError):  # Linux: die with the thread that started us
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(70)
    memory = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (memory, memory))
    signal.alarm(limits.seconds + 5)  # default action: the kernel ends us, even inside native code


def _configure_django(language: str, locale_paths: list[str]) -> None:
    """Only what translated messages need: no apps, no database, no secrets."""
    import django
    from django.conf import settings as child_settings

    if not child_settings.configured:
        child_settings.configure(USE_I18N=True, LANGUAGE_CODE=language, LOCALE_PATHS=locale_paths,
                                 INSTALLED_APPS=[], USE_TZ=True)
        django.setup()
    from django.utils import translation

    translation.activate(language)


def resolve(dotted: str) -> Callable[..., Any]:
    module, _sep, name = dotted.partition(":")
    found: Any = importlib.import_module(module)
    for part in name.split("."):
        found = getattr(found, part)
    return found  # type: ignore[no-any-return]


def _write_json(path: Path, data: dict[str, Any]) -> None:
    _write_private(path, json.dumps(data).encode())


def _child(work: Path) -> int:
    global _child_limits
    request = pickle.loads((work / "request.pickle").read_bytes())  # noqa: S301 - written by our parent
    limits = Limits(**request["limits"])
    _harden(limits, request["parent"])
    _child_limits = limits
    try:
        _configure_django(request["language"], request["locale_paths"])
        if request.get("preflight"):
            from jaring.core.tables import inspect_workbook

            path, sheet = request["preflight"]
            inspect_workbook(Path(path), limits, sheet=sheet)
        result = resolve(request["target"])(*request["args"], **request["kwargs"])
        if isinstance(result, FrameResult):
            if result.frame is not None:
                result.frame.write_ipc(work / "result.arrow", compression="lz4")  # a tenth of the disk
            _write_json(work / "result.json", {"kind": "frame", "meta": result.meta})
        else:
            _write_private(work / "result.pickle", pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
            _write_json(work / "result.json", {"kind": "pickle"})
    except JaringError as exc:
        fields = {str(k)[:80]: [str(m)[:200] for m in v][:10] for k, v in list(exc.fields.items())[:20]}
        _write_json(work / "error.json", {"kind": "refused", "message": str(exc.message)[:2000],
                                          "code": exc.code, "fields": fields})
    except MemoryError:
        _write_json(work / "error.json", {"kind": "memory"})
    except Exception as exc:  # the parent turns it into a reason; the type tells the log what broke
        from jaring.core.tables import quote

        _write_json(work / "error.json", {"kind": "crash", "type": type(exc).__name__,
                                          "detail": quote(str(exc), 200)})
    return 0


if __name__ == "__main__":
    from jaring.core import sandbox as _module  # the real module, not this __main__ copy

    sys.exit(_module._child(Path(sys.argv[1])))
