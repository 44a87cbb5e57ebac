"""The regulation parameters in force for this deployment: the shipped files plus any extra
files named by ``JARING_RULES_EXTRA`` (e.g. a confirmed full bracket table or a new discount)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.conf import settings

from jaring.rules import Parameters, default_parameters, load_parameters


@lru_cache(maxsize=1)
def _load(extra: tuple[str, ...]) -> Parameters:
    return load_parameters([Path(p) for p in extra]) if extra else default_parameters()


def current_parameters() -> Parameters:
    return _load(tuple(settings.JARING_RULES_EXTRA))
