"""Settings for the test suite: fixed keys, a separate home, fast password hashing."""

import os
from pathlib import Path

os.environ.setdefault("JARING_TESTING", "true")
os.environ.setdefault("JARING_HOME", str(Path(__file__).resolve().parent.parent / "var" / "test"))
os.environ.setdefault("SECRET_KEY", "jaring-test-secret-key-not-for-production-0123456789")
os.environ.setdefault("JARING_DATA_KEY", "dGVzdC1kYXRhLWtleS0zMi1ieXRlcy1sb25nLi4uLi4=")

from jaring.settings import *  # noqa: F403
