"""The one pattern for consequential actions (approve a round, end a membership, reactivate a cohort,
record a payer's transfer, merge): the first POST (or a GET) shows what will happen, with figures,
and a "Komentar (opsional)" box; only a POST carrying ``confirmed=1`` performs the action, and the
service keeps the comment in its audit event (``after["comment"]``).

The page is ``templates/confirm/confirm_page.html`` (or the partial ``confirm/_confirm.html`` inside a
page of one's own); the figures come from the owning app's selectors."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

COMMENT_MAX = 500
CONFIRM_FIELD = "confirmed"


def clean_comment(raw: Any) -> str:
    """A free comment as the audit keeps it: control characters (NUL, which PostgreSQL refuses in
    JSON, escapes, line breaks) become spaces, runs of spaces one, trimmed, at most ``COMMENT_MAX``
    characters. Never raises: anything that is not text gives an empty comment."""
    if not isinstance(raw, str):
        return ""
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") else ch for ch in raw[:COMMENT_MAX * 4])
    return " ".join(text.split())[:COMMENT_MAX].rstrip()


def with_comment(after: dict[str, Any], comment: str) -> dict[str, Any]:
    """``after`` with ``comment`` (cleaned) when there is one: an empty comment adds no key."""
    text = clean_comment(comment)
    return {**after, "comment": text} if text else after


def is_confirmed(request: Any) -> bool:
    """Whether this request performs the action: a POST with ``confirmed=1``. Anything else only shows."""
    return request.method == "POST" and request.POST.get(CONFIRM_FIELD) == "1"


def posted_comment(request: Any) -> str:
    return clean_comment(request.POST.get("comment", "")) if request.method == "POST" else ""


@dataclass(frozen=True)
class Figure:
    """One line of "what will happen": a label and its value already formatted (rupiah, count)."""

    label: str
    value: str
    strong: bool = False
    warning: bool = False


@dataclass
class Confirmation:
    """What the confirmation partial needs. ``hidden``: the values the action's form posts again
    (name, value); ``blockers``: reasons the action cannot run now (the button is not shown)."""

    title: str
    action_url: str
    submit_label: str
    cancel_url: str
    figures: list[Figure] = field(default_factory=list)
    intro: str = ""
    hidden: list[tuple[str, str]] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    comment: str = ""


def last_comment(*, action: str, object_type: str, object_id: Any) -> str:
    """The comment of the latest ``action`` event on an object (for its page), or ``""``. One query."""
    from jaring.core.models import AuditEvent

    after = (AuditEvent.objects.filter(action=action, object_type=object_type, object_id=str(object_id))
             .order_by("-id").values_list("after", flat=True).first())
    comment = after.get("comment") if isinstance(after, dict) else None
    return comment if isinstance(comment, str) else ""


def comment_field() -> Any:
    """The optional comment as a form field, for an action whose confirmation is a form of its own:
    never refused (a NUL or a 10 KB text is cleaned by ``clean_comment``, not an error)."""
    from django import forms
    from django.utils.translation import gettext_lazy

    class CommentField(forms.CharField):
        default_validators: list[Any] = []

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.validators = []  # Django's "no NUL" validator: the cleaning below removes them instead

        def clean(self, value: Any) -> str:
            return clean_comment(value)

    return CommentField(
        label=gettext_lazy("Komentar (opsional)"), required=False, strip=False,
        help_text=gettext_lazy("Paling banyak 500 karakter; disimpan di riwayat (audit) bersama tindakan ini."),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": COMMENT_MAX}))
