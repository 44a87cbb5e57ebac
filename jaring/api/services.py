"""Writes of the api app's own table: the ``Idempotency-Key`` cache (``api.idempotency``).

A cache of responses, not a business record: no audit event (the request it answers audits itself).
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from jaring.accounts.models import User
from jaring.api.models import IdempotencyRecord

IN_PROGRESS = 0  # the status code of a record whose first request is still running


def idempotency_claim(*, actor: User, key: str, method: str, path: str,
                      request_hash: str) -> tuple[IdempotencyRecord, bool]:
    """Claim ``key`` for a request of ``actor``: returns the new record (in progress) and True, or the
    record an earlier request with the same key left and False."""
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                user=actor, key=key, method=method, path=path[:200], request_hash=request_hash,
                status_code=IN_PROGRESS, response_body={})
    except IntegrityError:
        return IdempotencyRecord.objects.get(user=actor, key=key), False
    return record, True


def idempotency_store(*, actor: User, record: IdempotencyRecord, status_code: int, response_body: Any) -> None:
    """Keep the answer of the claimed request: a retry with the same key gets it again."""
    IdempotencyRecord.objects.filter(pk=record.pk, user=actor).update(
        status_code=status_code, response_body=response_body)


def idempotency_release(*, actor: User, record: IdempotencyRecord) -> None:
    """Forget a claim whose request failed on the server's side: a retry runs again."""
    IdempotencyRecord.objects.filter(pk=record.pk, user=actor).delete()
