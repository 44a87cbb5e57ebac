import datetime as dt

from jaring.accounts.models import Role, User
from jaring.demo import seed_demo
from jaring.registry.identity import nik_findings
from jaring.registry.models import Household, Person
from jaring.registry.selectors import person_list


def test_demo_city_seeds_once_with_valid_people_and_one_login_per_role(db):
    result = seed_demo(persons=600, seed=5, today=dt.date(2026, 11, 24))
    assert result.created and result.persons >= 600
    assert Person.objects.count() == result.persons + 30  # the facilitators are in the registry too
    assert Household.objects.count() == result.households
    assert 150 <= result.households <= 250  # about 3 persons a household
    roles = dict(User.objects.exclude(username="system").values_list("username", "role"))
    assert roles["admin"] == Role.ADMIN and roles["bpjstk"] == Role.LIAISON
    facilitators = User.objects.filter(role=Role.FACILITATOR)
    assert facilitators.count() == 30
    # Every kelurahan of the city belongs to exactly one facilitator.
    codes = [c for f in facilitators for c in f.areas.values_list("region__code", flat=True)]
    assert len(codes) == len(set(codes)) == 41
    for person in Person.objects.all()[:200]:
        assert not nik_findings(person.nik, birth_date=person.birth_date, sex=person.sex)
    from jaring.contributions.models import Due
    from jaring.membership.models import Membership

    payers = set(Membership.objects.values_list("payer__code", flat=True))
    assert payers == {"MANDIRI", "APBD-KOTA", "APBD-PROV"}
    assert Membership.objects.filter(payer__code="APBD-KOTA", person__full_name__in=facilitators.values_list(
        "name", flat=True)).count() == 30
    assert Due.objects.filter(status="paid").exists() and Due.objects.filter(status="open").exists()
    again = seed_demo(persons=600, seed=5)
    assert not again.created and Person.objects.count() == result.persons + 30


def test_facilitator_sees_only_their_kelurahan(db):
    seed_demo(persons=600, seed=5, today=dt.date(2026, 11, 24))
    remu = User.objects.get(username="pendamping.remuutara")
    areas = set(remu.areas.values_list("region__code", flat=True))
    visible = {p.kelurahan.code for p in person_list(actor=remu)}
    assert visible and visible <= areas
    assert person_list(actor=remu).count() < Person.objects.count()

