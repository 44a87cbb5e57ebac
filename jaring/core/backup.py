"""Encrypted backups of the whole database (``jaring backup``) and their restore (``jaring restore``).

SQLite: a consistent snapshot through SQLite's online backup API (the server may keep running).
PostgreSQL: ``pg_dump --format=custom``, streamed straight into the encryption (no clear dump on
disk); restored with ``pg_restore``. Either way the file is encrypted with a key derived from
``JARING_DATA_KEY``, so a backup is no easier to read than the database it came from.

File format (version 1), all integers big-endian::

    header   magic "JARINGBK" | version u8 | engine u8 (1 sqlite, 2 postgresql) | chunk size u32
             | created (unix seconds) i64 | salt 32 bytes | key id 16 bytes
    records  kind u8 (0 data, 1 end) | length u32 | AES-256-GCM ciphertext with its 16-byte tag

The file key is HKDF-SHA256(data key, salt, "jaring:backup:encrypt:v1"): a fresh salt per file, so
the nonce can be the record's number (u64) plus the end flag. The whole header is the associated
data of every record: changing any header byte, reordering, dropping or appending a record makes
decryption fail. The end record holds the SHA-256 and length of the clear content, checked after
the last byte. The key id (HMAC of the salt under a second HKDF subkey) tells "another data key"
apart from "damaged file" before any decryption. Memory use is one chunk (1 MiB), whatever the size.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import os
import shutil
import sqlite3
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jaring.core.audit import audit_log
from jaring.core.errors import Conflict, JaringError, ValidationFailed

MAGIC = b"JARINGBK"
FORMAT_VERSION = 1
CHUNK_BYTES = 1 << 20
ENGINES = {"sqlite": 1, "postgresql": 2}
_ENGINE_NAMES = {v: k for k, v in ENGINES.items()}
_HEADER = struct.Struct(">8sBBIq32s16s")
_RECORD = struct.Struct(">BI")
_DATA, _END = 0, 1
_TAG_BYTES = 16
_TRAILER = struct.Struct(">32sQ")
SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(JaringError):
    code = "backup_invalid"
    exit_code = 7


class WrongKey(BackupError):
    code = "backup_wrong_key"


class BackupUnavailable(JaringError):
    """A tool the backup needs (``pg_dump``, ``pg_restore``) is missing: the message says what to run."""

    code = "backup_tool_missing"
    exit_code = 8


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    engine: str
    size: int  # bytes of the encrypted file
    sha256: str  # of the encrypted file, as `sha256sum` prints it
    content_bytes: int
    created: dt.datetime


# --- Keys and the stream format ---------------------------------------------------------------------

def _hkdf(master: bytes, *, salt: bytes | None, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(master)


def _file_keys(data_key_b64: str, salt: bytes) -> tuple[AESGCM, bytes]:
    master = base64.b64decode(data_key_b64)
    aead = AESGCM(_hkdf(master, salt=salt, info=b"jaring:backup:encrypt:v1"))
    key_id = hmac.new(_hkdf(master, salt=None, info=b"jaring:backup:key-id:v1"), salt, hashlib.sha256)
    return aead, key_id.digest()[:16]


def _nonce(index: int, kind: int) -> bytes:
    return struct.pack(">Q3xB", index, kind)


def encrypt_stream(source: IO[bytes], out: IO[bytes], *, data_key: str, engine: str,
                   created: dt.datetime | None = None) -> int:
    """Encrypt everything ``source`` yields into ``out``; returns the clear length."""
    salt = os.urandom(32)
    aead, key_id = _file_keys(data_key, salt)
    when = int((created or timezone.now()).timestamp())
    header = _HEADER.pack(MAGIC, FORMAT_VERSION, ENGINES[engine], CHUNK_BYTES, when, salt, key_id)
    out.write(header)
    digest, total, index = hashlib.sha256(), 0, 0
    while chunk := source.read(CHUNK_BYTES):
        digest.update(chunk)
        total += len(chunk)
        sealed = aead.encrypt(_nonce(index, _DATA), chunk, header)
        out.write(_RECORD.pack(_DATA, len(sealed)) + sealed)
        index += 1
    sealed = aead.encrypt(_nonce(index, _END), _TRAILER.pack(digest.digest(), total), header)
    out.write(_RECORD.pack(_END, len(sealed)) + sealed)
    return total


@dataclass(frozen=True)
class _Header:
    raw: bytes
    engine: str
    chunk: int
    created: dt.datetime
    salt: bytes
    key_id: bytes


def read_header(source: IO[bytes]) -> _Header:
    raw = source.read(_HEADER.size)
    if len(raw) < len(MAGIC) or raw[: len(MAGIC)] != MAGIC:
        raise BackupError(_("Berkas ini bukan cadangan Jaring."))
    if raw[len(MAGIC)] != FORMAT_VERSION:
        raise BackupError(_("Format cadangan versi %(v)s tidak dikenal oleh versi Jaring ini.")
                          % {"v": raw[len(MAGIC)]})
    if len(raw) < _HEADER.size:
        raise BackupError(_("Cadangan rusak atau terpotong."))
    _magic, _version, engine, chunk, created, salt, key_id = _HEADER.unpack(raw)
    if engine not in _ENGINE_NAMES or not 0 < chunk <= 64 * CHUNK_BYTES:
        raise BackupError(_("Cadangan rusak atau terpotong."))
    return _Header(raw=raw, engine=_ENGINE_NAMES[engine], chunk=chunk,
                   created=dt.datetime.fromtimestamp(created, tz=dt.UTC), salt=salt, key_id=key_id)


def decrypt_stream(source: IO[bytes], out: IO[bytes], *, data_key: str) -> _Header:
    """Decrypt ``source`` into ``out``, checking every record, their order, the end record and the
    content's SHA-256. Raises ``WrongKey`` or ``BackupError``; ``out`` is then incomplete."""
    header = read_header(source)
    aead, key_id = _file_keys(data_key, header.salt)
    if not hmac.compare_digest(key_id, header.key_id):
        raise WrongKey(_("Cadangan ini dienkripsi dengan kunci data lain: JARING_DATA_KEY server ini "
                         "bukan kunci yang dipakai saat cadangan dibuat (atau kepala berkas rusak)."))
    damaged = _("Cadangan rusak atau telah diubah: pemeriksaan keaslian gagal. Tidak ada yang dipulihkan.")
    digest, total, index = hashlib.sha256(), 0, 0
    while True:
        prefix = source.read(_RECORD.size)
        if len(prefix) < _RECORD.size:
            raise BackupError(_("Cadangan terpotong: akhir berkas tidak ditemukan."))
        kind, length = _RECORD.unpack(prefix)
        if kind not in (_DATA, _END) or length > header.chunk + _TAG_BYTES:
            raise BackupError(damaged)
        sealed = source.read(length)
        if len(sealed) < length:
            raise BackupError(_("Cadangan terpotong: akhir berkas tidak ditemukan."))
        try:
            clear = aead.decrypt(_nonce(index, kind), sealed, header.raw)
        except InvalidTag:
            raise BackupError(damaged) from None
        if kind == _END:
            expected, expected_total = _TRAILER.unpack(clear)
            if source.read(1) or total != expected_total or not hmac.compare_digest(expected, digest.digest()):
                raise BackupError(damaged)
            return header
        digest.update(clear)
        total += len(clear)
        out.write(clear)
        index += 1


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


# --- Files ------------------------------------------------------------------------------------------

def _private_create(path: Path) -> IO[bytes]:
    """A new file, 0600 from its first byte; refuses to replace an existing one."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(fd, "wb")


@contextlib.contextmanager
def _scratch(folder: Path, suffix: str) -> Iterator[Path]:
    """A private temporary file in ``folder`` (0600), removed whatever happens."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".jaring-", suffix=suffix, dir=folder)
    os.close(fd)
    path = Path(name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def default_output(now: dt.datetime | None = None) -> Path:
    stamp = (now or timezone.now()).astimezone(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return Path(settings.JARING_HOME) / "backups" / f"jaring-{stamp}.backup"


def engine() -> str:
    vendor = connections["default"].vendor
    if vendor not in ENGINES:
        raise BackupUnavailable(_("Pencadangan belum mendukung basis data %(v)s.") % {"v": vendor})
    return vendor


# --- PostgreSQL tools -------------------------------------------------------------------------------

def _pg_env() -> dict[str, str]:
    """libpq's variables for the configured database: the password never goes on a command line."""
    db: dict[str, Any] = dict(settings.DATABASES["default"])
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD"),
                     ("NAME", "PGDATABASE")):
        if db.get(key):
            env[var] = str(db[key])
    options = db.get("OPTIONS") or {}
    for key, var in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT")):
        if options.get(key):
            env[var] = str(options[key])
    return env


def _pg_target() -> str:
    db: dict[str, Any] = dict(settings.DATABASES["default"])
    return " ".join(f"{flag} {db[key]}" for flag, key in (("-h", "HOST"), ("-p", "PORT"), ("-U", "USER"),
                                                          ("-d", "NAME")) if db.get(key))


def _tool(name: str) -> str | None:
    return shutil.which(os.environ.get(f"JARING_{name.upper()}", name))


# --- Backup -----------------------------------------------------------------------------------------

def _write_backup(output: Path, produce: Any, *, kind: str) -> tuple[int, dt.datetime]:
    """Encrypt what ``produce(sink)`` feeds into ``output`` via a private ``.partial`` file renamed
    at the end, so a crash never leaves a half file under the final name."""
    output.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if output.exists():
        raise Conflict(_("Berkas %(f)s sudah ada; pilih nama lain.") % {"f": output})
    partial = output.with_name(output.name + ".partial")
    partial.unlink(missing_ok=True)
    created = timezone.now()
    try:
        with _private_create(partial) as out:
            total = produce(lambda source: encrypt_stream(source, out, data_key=settings.JARING_DATA_KEY,
                                                          engine=kind, created=created))
            out.flush()
            os.fsync(out.fileno())
        partial.replace(output)
        _fsync_dir(output.parent)
    finally:
        partial.unlink(missing_ok=True)
    return total, created


def _sqlite_snapshot(target: Path) -> None:
    """A consistent copy of the live database through SQLite's online backup API."""
    source_path = Path(settings.DATABASES["default"]["NAME"])
    if not source_path.exists():
        raise ValidationFailed(_("Basis data %(f)s belum ada; tidak ada yang dicadangkan.") % {"f": source_path})
    source = sqlite3.connect(source_path, timeout=float(settings.DATABASES["default"].get("OPTIONS", {})
                                                        .get("timeout", 20)))
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)  # one step: a snapshot at one point in time; writers are not blocked (WAL)
        destination.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside it
    finally:
        destination.close()
        source.close()


def backup_create(*, actor: Any, output: Path | None = None, from_dump: Path | None = None) -> BackupInfo:
    """Write an encrypted backup of the database to ``output`` and audit it (``backup.created``).
    ``from_dump`` encrypts a ``pg_dump --format=custom`` file made elsewhere instead of running pg_dump."""
    kind = engine()
    output = Path(output or default_output())
    if from_dump is not None:
        if kind != "postgresql":
            raise ValidationFailed(_("--from-dump hanya untuk PostgreSQL (DATABASE_URL postgres://…)."))
        with Path(from_dump).open("rb") as probe:
            if probe.read(5) != b"PGDMP":
                raise ValidationFailed(_("%(f)s bukan hasil pg_dump --format=custom.") % {"f": from_dump})

        def produce(encrypt: Any) -> int:
            with Path(from_dump).open("rb") as source:
                return encrypt(source)
        total, created = _write_backup(output, produce, kind=kind)
    elif kind == "sqlite":
        with _scratch(Path(settings.JARING_HOME), ".sqlite3") as snapshot:
            _sqlite_snapshot(snapshot)

            def produce(encrypt: Any) -> int:
                with snapshot.open("rb") as source:
                    return encrypt(source)
            total, created = _write_backup(output, produce, kind=kind)
    else:
        pg_dump = _tool("pg_dump")
        if pg_dump is None:
            raise BackupUnavailable(
                _("pg_dump tidak ditemukan. Jalankan di mesin yang memilikinya (versi sama dengan server): "
                  "%(dump)s lalu enkripsi hasilnya: %(enc)s")
                % {"dump": f"pg_dump --format=custom {_pg_target()} --file jaring.dump",
                   "enc": "jaring backup --from-dump jaring.dump && shred -u jaring.dump"})

        def produce(encrypt: Any) -> int:
            with tempfile.TemporaryFile() as errors:
                process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                    [pg_dump, "--format=custom", "--no-password"], stdout=subprocess.PIPE, stderr=errors,
                    env=_pg_env())
                assert process.stdout is not None
                try:
                    written = encrypt(process.stdout)
                finally:
                    process.stdout.close()
                    code = process.wait()
                if code != 0:
                    errors.seek(0)
                    raise BackupError(_("pg_dump gagal: %(e)s")
                                      % {"e": errors.read().decode(errors="replace").strip()[-1000:]})
                return written
        total, created = _write_backup(output, produce, kind=kind)
    info = BackupInfo(path=output, engine=kind, size=output.stat().st_size, sha256=file_sha256(output),
                      content_bytes=total, created=created)
    checksum = output.with_name(output.name + ".sha256")
    checksum.unlink(missing_ok=True)
    with _private_create(checksum) as handle:
        handle.write(f"{info.sha256}  {output.name}\n".encode())
    with transaction.atomic():
        audit_log(actor=actor, action="backup.created", object_type="backup", object_id=info.sha256,
                  after={"file": str(output), "engine": kind, "bytes": info.size})
    return info


# --- Restore ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RestoreResult:
    engine: str
    created: dt.datetime
    sha256: str
    migrated: bool


def database_has_data() -> bool:
    """True when the configured database holds users or audit events (a fresh ``migrate`` does not)."""
    from django.contrib.auth import get_user_model

    from jaring.core.models import AuditEvent

    connection = connections["default"]
    tables = set(connection.introspection.table_names())
    return any(model._meta.db_table in tables and model._default_manager.exists()
               for model in (AuditEvent, get_user_model()))


def _check_sqlite_file(path: Path) -> None:
    with path.open("rb") as handle:
        if handle.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise BackupError(_("Isi cadangan bukan basis data SQLite."))
    check = sqlite3.connect(path)
    try:
        result = check.execute("PRAGMA quick_check").fetchone()
        has_migrations = check.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='django_migrations'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(_("Isi cadangan bukan basis data SQLite yang utuh: %(e)s") % {"e": exc}) from None
    finally:
        check.close()
    if not result or result[0] != "ok" or not has_migrations:
        raise BackupError(_("Isi cadangan bukan basis data Jaring yang utuh."))


def _swap_sqlite(restored: Path, target: Path) -> None:
    """Put ``restored`` in place of ``target`` in one rename, after making sure nobody uses it."""
    connections.close_all()
    if target.exists():
        probe = sqlite3.connect(target, timeout=2)
        try:
            busy = probe.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.OperationalError:
            busy = (1,)
        finally:
            probe.close()
        if busy and busy[0]:
            raise Conflict(_("Basis data sedang dipakai. Hentikan server Jaring (dan tugas lain) "
                             "lalu ulangi pemulihan."))
    # The old database's -wal/-shm must not be replayed onto the restored one.
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(restored, target)
    os.chmod(target, 0o600)
    _fsync_dir(target.parent)


def _pg_restore(dump: Path) -> None:
    pg_restore = _tool("pg_restore")
    if pg_restore is None:
        raise BackupUnavailable(
            _("pg_restore tidak ditemukan. Dekripsi cadangan dengan %(dec)s lalu jalankan di mesin yang "
              "memilikinya (sebagai pemilik basis data): %(restore)s")
            % {"dec": "jaring restore FILE --dump-to jaring.dump",
               "restore": f"pg_restore --clean --if-exists --no-owner --single-transaction --exit-on-error "
                          f"{_pg_target()} jaring.dump && shred -u jaring.dump"})
    connections.close_all()
    done = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
         "--no-password", "-d", str(settings.DATABASES["default"]["NAME"]), str(dump)],
        capture_output=True, env=_pg_env(), check=False)
    if done.returncode != 0:
        raise BackupError(_("pg_restore gagal (tidak ada yang berubah): %(e)s")
                          % {"e": done.stderr.decode(errors="replace").strip()[-1000:]})


def _migrate_if_needed() -> bool:
    from django.core.management import call_command
    from django.db.migrations.executor import MigrationExecutor

    connections.close_all()
    executor = MigrationExecutor(connections["default"])
    if not executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return False
    call_command("migrate", interactive=False, verbosity=0)
    return True


def backup_decrypt(*, path: Path, output: Path) -> _Header:
    """Decrypt a backup into ``output`` (0600, must not exist) after checking it completely."""
    output = Path(output)
    with _scratch(output.parent, ".partial") as partial:
        with Path(path).open("rb") as source, partial.open("wb") as out:
            header = decrypt_stream(source, out, data_key=settings.JARING_DATA_KEY)
        if output.exists():
            raise Conflict(_("Berkas %(f)s sudah ada; pilih nama lain.") % {"f": output})
        os.replace(partial, output)
    return header


def backup_restore(*, path: Path, force: bool = False) -> RestoreResult:
    """Replace the configured database by the backup at ``path``: decrypted and verified in full
    first (nothing is touched if any check fails), refused over a database with data unless
    ``force``; then ``migrate`` if this version of Jaring has newer migrations. The server must be
    stopped. Writes no audit event: the caller audits in the restored database (``restore_audit``)."""
    path = Path(path)
    if not path.is_file():
        raise ValidationFailed(_("Berkas %(f)s tidak ada.") % {"f": path})
    kind = engine()
    with path.open("rb") as source:
        header = read_header(source)
    if header.engine != kind:
        raise ValidationFailed(_("Cadangan ini dari %(b)s, sedangkan server ini memakai %(s)s.")
                               % {"b": header.engine, "s": kind})
    target = Path(settings.DATABASES["default"]["NAME"]) if kind == "sqlite" else None
    folder = target.parent if target is not None else Path(settings.JARING_HOME)
    with _scratch(folder, ".restore") as clear:
        with path.open("rb") as source, clear.open("wb") as out:
            decrypt_stream(source, out, data_key=settings.JARING_DATA_KEY)
        if target is not None:
            _check_sqlite_file(clear)
        if not force and (target is None or target.exists()) and database_has_data():
            raise Conflict(_("Basis data tujuan sudah berisi data. Tambahkan --force untuk menimpanya "
                             "(buat cadangannya dulu)."))
        if target is not None:
            _swap_sqlite(clear, target)
        else:
            _pg_restore(clear)
    migrated = _migrate_if_needed()
    return RestoreResult(engine=kind, created=header.created, sha256=file_sha256(path), migrated=migrated)


def restore_audit(*, actor: Any, result: RestoreResult, path: Path) -> None:
    """The restored database's first new event says where it came from."""
    with transaction.atomic():
        audit_log(actor=actor, action="backup.restored", object_type="backup", object_id=result.sha256,
                  after={"file": str(path), "engine": result.engine, "backup_created": result.created.isoformat(),
                         "migrated": result.migrated})
