"""A web upload is checked before it is imported (decisions 0027 and 0044): the upload runs first as a
dry run (the check); its page shows the figures and, while the check is fresh, "Impor sekarang" queues
the real import of the same file, kept owner-only until then. The file goes when the import has run,
when the check is cancelled ("Batalkan"), or ``JARING_IMPORT_CONFIRM_HOURS`` after the upload
(``core.jobs.purge_expired_files``). The command line is unchanged (``--dry-run`` there is a choice)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from jaring.accounts.capabilities import can
from jaring.accounts.models import User
from jaring.core.audit import audit_log
from jaring.core.confirm import with_comment
from jaring.core.errors import PermissionDenied, ValidationFailed
from jaring.core.jobs import CHECK_KEY, confirm_deadline
from jaring.core.models import AuditEvent, Job
from jaring.registry.importing import IMPORT_JOB, import_job_create


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def import_check_create(*, actor: User, path: Path, sha256: str, **options: Any) -> Job:
    """The check of a web upload: a dry run whose file is kept for its confirmation."""
    return import_job_create(actor=actor, path=path, dry_run=True, extra_params={CHECK_KEY: sha256}, **options)


def is_check(job: Job) -> bool:
    return job.kind == IMPORT_JOB and bool(job.params.get(CHECK_KEY)) and bool(job.params.get("dry_run"))


def confirmed_import(check: Job) -> Job | None:
    """The import queued from this check, if it was confirmed."""
    return Job.objects.filter(kind=IMPORT_JOB, params__check_job=check.pk).order_by("pk").first()


def is_discarded(check: Job) -> bool:
    """Whether someone chose "Batalkan" for this check (its audit event; the file is gone)."""
    return AuditEvent.objects.filter(action="registry.import.discard", object_type="core.job",
                                     object_id=str(check.pk)).exists()


def may_confirm(actor: User, check: Job) -> bool:
    """Only who uploaded the file, or an admin, imports it (the import runs as the uploader, in their area)."""
    return actor.can_write_registry and (check.created_by_id == actor.pk or actor.is_superuser
                                         or can(actor, "imports.confirm_any"))


def check_blockers(check: Job, *, now: dt.datetime | None = None) -> list[str]:
    """Why this check cannot be confirmed now ([] when it can)."""
    if not is_check(check) or check.status != Job.Status.SUCCEEDED:
        return [_("Hanya pemeriksaan yang selesai yang bisa diimpor.")]
    if confirmed_import(check) is not None:
        return [_("Pemeriksaan ini sudah dikonfirmasi; impornya sudah dijalankan.")]
    if is_discarded(check):
        return [_("Pemeriksaan ini dibatalkan; berkasnya sudah dihapus.")]
    if (now or timezone.now()) >= confirm_deadline(check):
        return [_("Pemeriksaan ini sudah kedaluwarsa dan berkasnya dihapus. Unggah berkasnya lagi.")]
    path = Path(str(check.params.get("path", "")))
    try:
        same = path.is_file() and file_sha256(path) == check.params.get(CHECK_KEY)
    except OSError:
        same = False
    if not same:
        return [_("Berkas yang diperiksa sudah tidak ada atau berubah. Unggah berkasnya lagi.")]
    return []


def import_check_confirm(*, actor: User, check: Job, comment: str = "") -> Job:
    """Queue the real import of the checked file (the caller starts it). The import runs as the uploader;
    its events (queue, import) name the check, who confirmed and the comment."""
    if not may_confirm(actor, check):
        raise PermissionDenied(_("Hanya pengunggah berkas atau admin yang boleh mengimpornya."))
    blockers = check_blockers(check)
    if blockers:
        raise ValidationFailed(blockers[0])
    uploader = check.created_by
    assert uploader is not None  # may_confirm: the uploader or an admin; a check without one is refused below
    params = check.params
    extract = params.get("extract_date") or ""
    job = import_job_create(
        actor=uploader, path=Path(params["path"]), profile=params.get("profile", "auto"), dry_run=False,
        file_name=params.get("file", ""), sheet=params.get("sheet", ""), overwrite=bool(params.get("overwrite")),
        extract_date=dt.date.fromisoformat(extract) if extract else None,
        extra_params=with_comment({"check_job": check.pk, "confirmed_by": actor.pk}, comment))
    audit_log(actor=actor, action="registry.import.confirm", object_type="core.job", object_id=str(check.pk),
              after=with_comment({"file": params.get("file", ""), "import_job": job.pk,
                                  "rows": (check.result or {}).get("rows")}, comment))
    return job


def import_check_discard(*, actor: User, check: Job) -> bool:
    """"Batalkan": delete the checked file now. False when there is nothing left to cancel."""
    if not may_confirm(actor, check):
        raise PermissionDenied(_("Hanya pengunggah berkas atau admin yang boleh membatalkannya."))
    if not is_check(check) or confirmed_import(check) is not None or is_discarded(check):
        return False
    Path(str(check.params.get("path", ""))).unlink(missing_ok=True)
    audit_log(actor=actor, action="registry.import.discard", object_type="core.job", object_id=str(check.pk),
              after={"file": check.params.get("file", "")})
    return True
