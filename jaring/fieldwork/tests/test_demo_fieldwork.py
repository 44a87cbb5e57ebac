"""The demo city's field work: facilitators linked to their own (city-paid) person records, a week of
visits that moves people to "visited", and four outreach events whose attendees count as brought in."""

from __future__ import annotations

import datetime as dt

import pytest

from jaring.accounts.models import Role, User
from jaring.core.models import AuditEvent
from jaring.demo import seed_demo
from jaring.fieldwork.models import FieldProfile, OutreachEvent, Visit
from jaring.fieldwork.selectors import WorkFilter, field_summary, outreach_report, worklist

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 24)


def test_the_demo_seeds_field_work():
    seed_demo(persons=600, seed=5, today=TODAY)
    counts = AuditEvent.objects.get(action="demo.seed").after
    facilitators = User.objects.filter(role=Role.FACILITATOR)
    assert counts["facilitators_linked"] == FieldProfile.objects.count() == facilitators.count() == 30
    assert counts["visits"] == Visit.objects.count() > 0
    assert counts["outreach_events"] == OutreachEvent.objects.count() == 4
    visited = [u for u in facilitators if worklist(actor=u, today=TODAY, where=WorkFilter(tab="visited")).rows]
    assert visited  # some facilitators' people are in "visited" this week
    summary = field_summary(user=visited[0], today=TODAY)
    assert summary.person is not None and summary.protection is not None
    report = outreach_report(actor=User.objects.get(username="operator"), today=TODAY, end=TODAY)
    assert report.totals.events == 4 and report.totals.registered > 0 and report.by_district
