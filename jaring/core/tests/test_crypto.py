"""Identifier encryption at rest (AES-GCM + HMAC blind index) and masking on display."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from cryptography.exceptions import InvalidTag
from django.conf import settings as django_settings
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from jaring.core.crypto import IdentifierCipher, cipher
from jaring.registry.identity import mask_identifier

KEY_A = base64.b64encode(bytes(range(32))).decode()
KEY_B = base64.b64encode(bytes(range(1, 33))).decode()
NIK = "9271011403850001"
KK = "9271010203150007"


@pytest.fixture
def box() -> IdentifierCipher:
    return IdentifierCipher(KEY_A)


def test_round_trip(box):
    blob = box.encrypt(NIK, kind="nik")
    assert isinstance(blob, bytes)
    assert box.decrypt(blob, kind="nik") == NIK
    assert box.decrypt(memoryview(blob), kind="nik") == NIK  # as a database driver may return it


def test_ciphertext_hides_the_value(box):
    blob = box.encrypt(NIK, kind="nik")
    assert NIK.encode() not in blob
    assert NIK[-8:].encode() not in blob and NIK[:8].encode() not in blob
    assert len(blob) == 1 + 12 + len(NIK) + 16  # version, nonce, body, tag


def test_ciphertext_differs_per_call(box):
    blobs = {box.encrypt(NIK, kind="nik") for _ in range(20)}
    assert len(blobs) == 20
    assert len({blob[1:13] for blob in blobs}) == 20  # a fresh nonce each time
    assert all(box.decrypt(blob, kind="nik") == NIK for blob in blobs)


def test_blind_index_is_stable_and_keyed_by_kind(box):
    index = box.blind_index(NIK, kind="nik")
    assert index == box.blind_index(NIK, kind="nik") == IdentifierCipher(KEY_A).blind_index(NIK, kind="nik")
    assert len(index) == 64 and int(index, 16) >= 0
    assert index != box.blind_index(NIK, kind="kk")
    assert index != box.blind_index(KK, kind="nik")
    assert NIK not in index


def test_blind_index_depends_on_the_key_and_is_not_a_plain_hash(box):
    index = box.blind_index(NIK, kind="nik")
    assert index != IdentifierCipher(KEY_B).blind_index(NIK, kind="nik")
    assert index != hashlib.sha256(NIK.encode()).hexdigest()
    assert index != hashlib.sha256(f"nik:{NIK}".encode()).hexdigest()
    # The master key itself never indexes: the index key is derived from it.
    master = base64.b64decode(KEY_A)
    assert index != hmac.new(master, f"nik:{NIK}".encode(), hashlib.sha256).hexdigest()


def test_tampered_ciphertext_is_refused(box):
    blob = bytearray(box.encrypt(NIK, kind="nik"))
    for position in (1, 13, len(blob) - 1):  # nonce, body, tag
        tampered = bytearray(blob)
        tampered[position] ^= 0x01
        with pytest.raises(InvalidTag):
            box.decrypt(bytes(tampered), kind="nik")
    with pytest.raises(InvalidTag):
        box.decrypt(bytes(blob[:-1]), kind="nik")  # truncated


def test_unknown_version_is_refused(box):
    blob = bytearray(box.encrypt(NIK, kind="nik"))
    blob[0] = 0x02
    with pytest.raises(ValueError, match="version"):
        box.decrypt(bytes(blob), kind="nik")
    with pytest.raises(ValueError):
        box.decrypt(b"", kind="nik")


def test_a_different_key_cannot_decrypt(box):
    blob = box.encrypt(NIK, kind="nik")
    with pytest.raises(InvalidTag):
        IdentifierCipher(KEY_B).decrypt(blob, kind="nik")


def test_a_nik_ciphertext_cannot_pass_as_a_kk(box):
    blob = box.encrypt(NIK, kind="nik")
    with pytest.raises(InvalidTag):
        box.decrypt(blob, kind="kk")


def test_cipher_uses_the_configured_data_key():
    configured = cipher()
    blob = configured.encrypt(NIK, kind="nik")
    assert configured.decrypt(blob, kind="nik") == NIK
    assert configured.blind_index(NIK, kind="nik") == IdentifierCipher(
        django_settings.JARING_DATA_KEY).blind_index(NIK, kind="nik")
    with override_settings(JARING_DATA_KEY=KEY_B):
        other = cipher()
        assert other.blind_index(NIK, kind="nik") == IdentifierCipher(KEY_B).blind_index(NIK, kind="nik")
        assert other.blind_index(NIK, kind="nik") != configured.blind_index(NIK, kind="nik")
        with pytest.raises(InvalidTag):
            other.decrypt(blob, kind="nik")


@settings(max_examples=100, deadline=None)
@given(value=st.text(max_size=40), kind=st.sampled_from(["nik", "kk"]))
def test_round_trip_any_text(value, kind):
    box = IdentifierCipher(KEY_A)
    assert box.decrypt(box.encrypt(value, kind=kind), kind=kind) == value


@settings(max_examples=100, deadline=None)
@given(a=st.text(alphabet="0123456789", min_size=16, max_size=16),
       b=st.text(alphabet="0123456789", min_size=16, max_size=16))
def test_blind_index_separates_different_values(a, b):
    box = IdentifierCipher(KEY_A)
    assert (box.blind_index(a, kind="nik") == box.blind_index(b, kind="nik")) == (a == b)


# --- Masking --------------------------------------------------------------------------------------


def test_mask_format():
    assert mask_identifier(NIK) == "9271********0001"
    assert mask_identifier("9271014501900001") == "9271********0001"
    assert mask_identifier(KK) == "9271********0007"


def test_mask_of_short_values_hides_everything():
    assert mask_identifier("1234567") == "*******"
    assert mask_identifier("") == ""


@settings(max_examples=100, deadline=None)
@given(value=st.text(alphabet="0123456789", min_size=16, max_size=16))
def test_mask_keeps_only_the_first_and_last_four(value):
    masked = mask_identifier(value)
    assert len(masked) == 16
    assert masked[:4] == value[:4] and masked[-4:] == value[-4:]
    assert masked[4:12] == "*" * 8
