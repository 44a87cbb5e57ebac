"""Shared fixtures: the shipped parameters, and helpers that write extra parameter files."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from jaring.rules import Parameters, default_parameters, load_parameters

# A made-up bracket table loaded as an extra file, as a deployment would load the verified
# Lampiran II table (the shipped one has unverified steps between its two agreed ends).
TEST_BRACKETS = [1_000_000, 1_500_000, 2_000_000, 2_750_000, 5_000_000, 10_000_000, 20_700_000]

BRACKETS_TOML = f"""
id = "test-brackets"
family = "income_brackets"
title = "Test bracket table"
effective_from = 2015-07-01
replaces = ["income-brackets-bpu-2015"]

[values.brackets_idr]
value = {TEST_BRACKETS}
citation = "test data"
"""

WriteToml = Callable[[str, str], Path]


@pytest.fixture
def params() -> Parameters:
    return default_parameters()


@pytest.fixture
def write_toml(tmp_path: Path) -> WriteToml:
    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def bracket_params(write_toml: WriteToml) -> Parameters:
    return load_parameters([write_toml("brackets.toml", BRACKETS_TOML)])
