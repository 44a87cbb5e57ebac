"""The confirmation pattern's comment: whatever is typed or posted, a clean line of at most 500
characters, never an error (issue 14, point 3)."""

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from jaring.core.confirm import COMMENT_MAX, clean_comment, comment_field, with_comment


@given(st.text(max_size=3000))
def test_a_comment_is_always_clean(raw: str) -> None:
    text = clean_comment(raw)
    assert len(text) <= COMMENT_MAX
    assert text == text.strip() and "  " not in text
    assert not any(unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") for ch in text)


def test_examples() -> None:
    assert clean_comment("  Sesuai\tDPA\r\n2027 \x00 ") == "Sesuai DPA 2027"
    assert clean_comment("<b>x</b>") == "<b>x</b>"  # kept as typed; templates escape it
    assert clean_comment(None) == "" and clean_comment(12) == "" and clean_comment(["a"]) == ""
    assert len(clean_comment("a" * 10_000)) == COMMENT_MAX
    assert with_comment({"a": 1}, "  ") == {"a": 1}
    assert with_comment({"a": 1}, " ok ") == {"a": 1, "comment": "ok"}


def test_the_form_field_never_refuses() -> None:
    field = comment_field()
    assert field.clean("x\x00y" + "z" * 10_000).startswith("x y")
    assert field.clean("") == "" and field.clean(None) == ""
