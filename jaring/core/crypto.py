"""Encryption of personal identifiers (NIK, KK) at rest.

Each value is stored twice, neither in clear:
- ciphertext: AES-256-GCM with a random nonce, to show the value to those allowed to see it;
- blind index: HMAC-SHA256 of the normalised value, for exact lookup and uniqueness.
Both keys are derived from ``JARING_DATA_KEY`` with HKDF under different labels, so the index
key never encrypts and the encryption key never indexes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = b"\x01"
_NONCE_BYTES = 12


def _derive(master: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(master)


class IdentifierCipher:
    def __init__(self, data_key_b64: str) -> None:
        master = base64.b64decode(data_key_b64)
        self._aead = AESGCM(_derive(master, b"jaring:identifier:encrypt:v1"))
        self._index_key = _derive(master, b"jaring:identifier:index:v1")

    def encrypt(self, value: str, *, kind: str) -> bytes:
        # The kind is authenticated data: a NIK ciphertext cannot be passed off as a KK.
        return self.encrypt_bytes(value.encode(), kind=kind)

    def decrypt(self, blob: bytes | memoryview, *, kind: str) -> str:
        return self.decrypt_bytes(blob, kind=kind).decode()

    def encrypt_bytes(self, value: bytes, *, kind: str) -> bytes:
        """A file's bytes (a claim document's scan), under the same key and format as identifiers."""
        nonce = os.urandom(_NONCE_BYTES)
        return _VERSION + nonce + self._aead.encrypt(nonce, value, kind.encode())

    def decrypt_bytes(self, blob: bytes | memoryview, *, kind: str) -> bytes:
        blob = bytes(blob)  # PostgreSQL hands a BinaryField back as a memoryview
        if blob[:1] != _VERSION:
            raise ValueError("unknown identifier ciphertext version")
        nonce, body = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
        return self._aead.decrypt(nonce, body, kind.encode())

    def blind_index(self, value: str, *, kind: str) -> str:
        message = kind.encode() + b":" + value.encode()
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()


@lru_cache(maxsize=4)
def _cipher_for(key: str) -> IdentifierCipher:
    return IdentifierCipher(key)


def cipher() -> IdentifierCipher:
    from django.conf import settings

    return _cipher_for(settings.JARING_DATA_KEY)
