"""The demo city's dashboard on the 1st of a month (decision 0034)."""

import datetime as dt

from jaring.demo import seed_demo


def test_demo_on_the_first_of_the_month_shows_who_is_protected(db):
    """On the 1st nobody has paid the running month yet (it is due on the 15th): members with nothing
    in arrears are protected all the same (decision 0034)."""
    from django.db.models import Sum

    from jaring.reports.models import CoverageSnapshot

    first = dt.date(2026, 12, 1)
    seed_demo(persons=600, seed=5, today=first)
    month = CoverageSnapshot.objects.filter(period=first).aggregate(
        members=Sum("members"), protected=Sum("protected"), at_risk=Sum("at_risk"))
    assert month["members"] > 100
    assert month["protected"] >= month["members"] // 2
    assert month["protected"] + month["at_risk"] <= month["members"]
