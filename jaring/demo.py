"""The demo city: Kota Sorong with a believable population, payers-to-be and one login per role.

Deterministic (same seed, same city). Written set-based: households and persons go in with
``bulk_create`` in large batches, NIKs encrypted on the way, one audit event for the whole load.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from jaring.accounts.models import Role, User
from jaring.accounts.services import system_user, user_create
from jaring.core.audit import audit_log
from jaring.core.crypto import cipher
from jaring.regions.models import Region
from jaring.registry.demo_data import DemoKelurahan, facilitator_names, generate_city
from jaring.registry.models import Household, Occupation, Person
from jaring.registry.name_words import name_words_fill
from jaring.registry.names import last_word_first, person_name_key

DEMO_PASSWORD = "pekerja-rentan-sorong"  # noqa: S105 - printed for the demo; never used in production
BATCH = 2_000

STAFF = [
    ("admin", "Yohana Kambu", Role.ADMIN, ["96.71"]),
    ("operator", "Rudi Latumahina", Role.OPERATOR, ["96.71"]),
    ("bpjstk", "Andi Pasolo", Role.LIAISON, ["96.71"]),
    ("auditor", "Frans Rumbiak", Role.AUDITOR, ["96.71"]),
]


@dataclass(frozen=True)
class SeedResult:
    created: bool
    persons: int
    households: int
    users: list[tuple[str, str, str]]  # username, role, area names


def demo_kelurahan() -> list[DemoKelurahan]:
    rows = Region.objects.filter(level=Region.Level.KELURAHAN, code__startswith="96.71.").select_related(
        "parent").order_by("code")
    out = []
    for r in rows:
        district = r.parent
        assert district is not None  # a kelurahan always sits in a distrik
        out.append(DemoKelurahan(code=r.code, legacy_code=r.legacy_code, district_code=district.code,
                                 name=r.name, district_name=district.name))
    return out


def _facilitator_areas() -> list[list[Region]]:
    """Three facilitators per distrik, the distrik's kelurahan shared out among them."""
    areas: list[list[Region]] = []
    for district in Region.objects.filter(level=Region.Level.DISTRICT, code__startswith="96.71.").order_by(
            "code"):
        kelurahan = list(district.children.order_by("code"))
        groups: list[list[Region]] = [[], [], []]
        for i, k in enumerate(kelurahan):
            groups[i % 3].append(k)
        areas.extend(g for g in groups if g)
    return areas


def _slug(name: str) -> str:
    return "".join(c for c in name.lower() if c.isalnum())


def _create_users(seed: int) -> list[tuple[str, str, str]]:
    logins: list[tuple[str, str, str]] = []
    for username, name, role, areas in STAFF:
        if not User.objects.filter(username=username).exists():
            user_create(actor=None, username=username, name=name, role=role, password=DEMO_PASSWORD,
                        areas=areas, validate=False)
        logins.append((username, role, "Kota Sorong"))
    facilitator_areas = _facilitator_areas()
    names = facilitator_names(seed=seed, count=len(facilitator_areas))
    for name, regions in zip(names, facilitator_areas, strict=True):
        username = f"pendamping.{_slug(regions[0].name)}"
        if not User.objects.filter(username=username).exists():
            user_create(actor=None, username=username, name=name, role=Role.FACILITATOR,
                        password=DEMO_PASSWORD, areas=[r.code for r in regions], validate=False)
        logins.append((username, Role.FACILITATOR, ", ".join(r.name for r in regions)))
    return logins


@transaction.atomic
def seed_demo(*, persons: int = 25_000, seed: int = 2026, today: dt.date | None = None,
              with_money: bool = True) -> SeedResult:
    today = today or timezone.localdate()
    logins = _create_users(seed)
    if Person.objects.exists():
        return SeedResult(created=False, persons=Person.objects.count(),
                          households=Household.objects.count(), users=logins)
    city = generate_city(seed=seed, persons=persons, kelurahan=demo_kelurahan(), today=today)
    actor = system_user()
    rows, people = _insert_city(city, actor)
    name_words_fill()
    money = seed_money(seed=seed, today=today) if with_money else {}
    if with_money:
        from jaring.claims.demo import seed_demo_claims
        from jaring.reports.services import snapshot_refresh

        money |= seed_demo_claims(seed=seed, today=today)
        snapshot_refresh(actor=actor, months=24, today=today, trigger="demo")
    from jaring.targeting.demo import seed_demo_targeting

    seed_demo_targeting(actor=actor)
    from jaring.fieldwork.demo import seed_demo_fieldwork

    money |= seed_demo_fieldwork(seed=seed, today=today)
    from jaring.registry.services import dedup_scan

    money["duplicate_candidates"] = dedup_scan(actor=actor)["candidates"]  # the planted second registrations
    audit_log(actor=actor, action="demo.seed", object_type="registry.person",
              after={"persons": len(people), "households": len(rows), "seed": seed, **money})
    return SeedResult(created=True, persons=len(people), households=len(rows), users=logins)


def _insert_city(city: Any, actor: User) -> tuple[list[Household], list[Person]]:
    """The generated households and persons of a city, set-based, NIKs encrypted on the way."""
    regions = {r.code: r.pk for r in Region.objects.filter(level=Region.Level.KELURAHAN)}
    occupations = {o.code: o.pk for o in Occupation.objects.all()}
    c = cipher()
    household_ids: dict[int, int] = {}
    rows = [Household(kk_encrypted=c.encrypt(h.kk_number, kind="kk"),
                      kk_index=c.blind_index(h.kk_number, kind="kk"), address=h.address,
                      kelurahan_id=regions[h.kelurahan_code], welfare_decile=h.welfare_decile,
                      decile_source=h.decile_source, decile_date=h.decile_date,
                      pkh_beneficiary=h.pkh_beneficiary, data_source=h.data_source)
            for h in city.households]
    created = Household.objects.bulk_create(rows, batch_size=BATCH)
    for demo_household, row in zip(city.households, created, strict=True):
        household_ids[demo_household.key] = row.pk

    people = []
    for p in city.persons:
        key = person_name_key(p.full_name)
        people.append(Person(
            nik_encrypted=c.encrypt(p.nik, kind="nik"), nik_index=c.blind_index(p.nik, kind="nik"),
            full_name=p.full_name, name_key=key, name_key_last=last_word_first(key),
            birth_place=p.birth_place, birth_date=p.birth_date, sex=p.sex,
            household_id=household_ids[p.household_key], relationship=p.relationship,
            kelurahan_id=regions[p.kelurahan_code], phone=p.phone,
            occupation_id=occupations.get(p.occupation) if p.occupation else None,
            transport_sector=p.transport_sector, declared_income_idr=p.declared_income_idr,
            disability=p.disability, consent_basis=p.consent_basis, consent_date=p.consent_date,
            data_source=p.data_source, created_by=actor))
    Person.objects.bulk_create(people, batch_size=BATCH)
    return rows, people


def describe_logins(result: SeedResult, *, port: Any) -> str:
    lines = [f"Jaring demo: http://127.0.0.1:{port}/  —  password for every login: {DEMO_PASSWORD}",
             f"  {result.persons:,} persons in {result.households:,} households".replace(",", "."),
             "  logins:"]
    facilitators = [u for u in result.users if u[1] == Role.FACILITATOR]
    for username, role, area in [u for u in result.users if u[1] != Role.FACILITATOR]:
        lines.append(f"    {username:<28} {role:<12} {area}")
    for username, role, area in facilitators[:3]:
        lines.append(f"    {username:<28} {role:<12} {area}")
    if len(facilitators) > 3:
        lines.append(f"    … and {len(facilitators) - 3} more facilitators (pendamping.<kelurahan>), "
                     "listed by `jaring seed-demo --list-users`")
    return "\n".join(lines)


# --- The money loop of the demo city ---------------------------------------------------------

SELF_MEMBERS = 6_000
CITY_MEMBERS = 1_000
PROVINCE_MEMBERS = 1_000
HISTORY_MONTHS = 24


def _months_back(today: dt.date, n: int) -> dt.date:
    from jaring.core.money import add_months, month_start

    return add_months(month_start(today), -n)


def seed_money(*, seed: int, today: dt.date) -> dict[str, int]:
    """Payers, ~8,000 memberships and 24 months of dues, payments and invoices, set-based."""
    import random

    from django.db import connection

    from jaring.contributions.models import Due
    from jaring.contributions.services import billing_close, billing_run, invoice_issue, invoice_pay
    from jaring.core.money import add_months
    from jaring.membership.models import FundingSource, Membership, Payer
    from jaring.membership.services import budget_line_add, payer_create

    rng = random.Random(seed + 99)
    actor = system_user()
    payers = {
        "self": payer_create(actor=actor, code="MANDIRI", name="Peserta mandiri", kind=Payer.Kind.SELF,
                             funding_source=FundingSource.SELF),
        "city": payer_create(actor=actor, code="APBD-KOTA", name="APBD Kota Sorong", kind=Payer.Kind.GOVERNMENT_CITY,
                             funding_source=FundingSource.APBD_CITY, wadah_code="SG", region_code="96.71"),
        "province": payer_create(actor=actor, code="APBD-PROV", name="APBD Provinsi Papua Barat Daya",
                                 kind=Payer.Kind.GOVERNMENT_PROVINCE, funding_source=FundingSource.APBD_PROVINCE,
                                 wadah_code="SG", region_code="96"),
    }
    for year in (today.year - 1, today.year, today.year + 1):
        budget_line_add(actor=actor, payer=payers["city"], fiscal_year=year, amount_idr=2_200_000_000,
                        source_document=f"DPA Dinas Sosial Kota Sorong {year}")
        budget_line_add(actor=actor, payer=payers["province"], fiscal_year=year, amount_idr=1_500_000_000,
                        source_document=f"DPA Dinas Sosial Provinsi Papua Barat Daya {year}")
    oldest = _months_back(today, HISTORY_MONTHS - 1)
    young, old = today.replace(year=today.year - 18), today.replace(year=today.year - 63)
    workers = list(Person.objects.filter(occupation__isnull=False, birth_date__lte=young, birth_date__gt=old)
                   .values_list("id", "transport_sector"))
    rng.shuffle(workers)
    # ~6,000 self-paid and ~2,000 government-paid in the full demo; proportionally fewer in a small one.
    n_self = min(SELF_MEMBERS, len(workers) * 55 // 100)
    n_city = min(CITY_MEMBERS, len(workers) * 12 // 100)
    n_province = min(PROVINCE_MEMBERS, len(workers) * 12 // 100)
    plan = ([("self", w) for w in workers[:n_self]]
            + [("city", w) for w in workers[n_self:n_self + n_city]]
            + [("province", w) for w in workers[n_self + n_city:n_self + n_city + n_province]])
    province_start = add_months(oldest, 6)
    province_start = add_months(province_start, -(province_start.month - 1) % 3)  # a quarter's first month
    # The 30 facilitators are in the registry too, and the city pays for them (field work is risky).
    facilitators = _facilitator_persons(rng, today)
    plan += [("city", (p.pk, False)) for p in facilitators]
    memberships = []
    kpjs: dict[int, str] = {}  # person id → KPJ: 11 digits (YYMM of the start + a 7-digit serial), one per person
    for i, (kind, (person_id, transport)) in enumerate(plan, start=1):
        if kind == "self":
            start = add_months(oldest, rng.randrange(0, HISTORY_MONTHS - 2)).replace(day=rng.randrange(1, 28))
        elif kind == "city":
            start = oldest
        else:
            start = province_start
        kpjs[person_id] = f"{start:%y%m}{i:07d}"
        memberships.append(Membership(
            person_id=person_id, payer=payers[kind], has_jht=kind == "self" and rng.random() < 0.08,
            declared_income_idr=1_000_000, sector="transport" if transport else "other",
            status=Membership.Status.ACTIVE, start_date=start, created_by=actor))
    Person.objects.bulk_update([Person(pk=pk, kpj=kpj) for pk, kpj in kpjs.items()], ["kpj"], batch_size=BATCH)
    Membership.objects.bulk_create(memberships, batch_size=BATCH)
    periods = [add_months(oldest, i) for i in range(HISTORY_MONTHS)]
    for period in periods:
        billing_run(actor=actor, period=period)
    _pay_self(rng, today)
    for period in periods:
        # The city pays each month a few days either side of the due date; the province is billed a
        # quarter at once (a block invoice) and pays it ahead, on the 10th of the quarter's first month.
        city_paid_on = period.replace(day=rng.choice([12, 14, 20, 25]))
        if city_paid_on <= today:
            invoice_pay(actor=actor, payer=payers["city"], period=period, paid_on=city_paid_on,
                        reference=f"SP2D/KOTA/{period:%Y%m}")
        quarter_paid_on = period.replace(day=10)
        if period >= province_start and (period.month - 1) % 3 == 0 and quarter_paid_on <= today:
            invoice_issue(actor=actor, payer=payers["province"], period=period, months=3)
            invoice_pay(actor=actor, payer=payers["province"], period=period, paid_on=quarter_paid_on,
                        reference=f"SP2D/PROV/{period:%Y%m}")
    closed = billing_close(actor=actor, as_of=today)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "sqlite" else "ANALYZE contributions_due")
    return {"memberships": len(memberships), "dues": Due.objects.count(), "ended": closed.ended}


def _facilitator_persons(rng: Any, today: dt.date) -> list[Person]:
    from jaring.registry.testing import make_nik

    people = []
    c = cipher()
    occupation = Occupation.objects.get(code="honorary_staff")
    for n, user in enumerate(User.objects.filter(role=Role.FACILITATOR).order_by("username"), start=1):
        area = user.areas.select_related("region").first()
        if area is None:  # a facilitator without an area has no kelurahan to be registered in
            continue
        born = dt.date(1975 + rng.randrange(0, 25), rng.randrange(1, 13), rng.randrange(1, 28))
        sex = "F" if rng.random() < 0.5 else "M"
        nik = make_nik(region=area.region.legacy_code.replace(".", "")[:6], birth_date=born, sex=sex,
                       serial=9000 + n)
        key = person_name_key(user.name)
        people.append(Person(nik_encrypted=c.encrypt(nik, kind="nik"), nik_index=c.blind_index(nik, kind="nik"),
                             full_name=user.name, name_key=key, name_key_last=last_word_first(key),
                             birth_place="Sorong", birth_date=born, sex=sex, kelurahan=area.region,
                             phone=user.phone, occupation=occupation, declared_income_idr=1_000_000,
                             consent_basis=Person.ConsentBasis.CONSENT, consent_date=today,
                             data_source="field_survey"))
    created = Person.objects.bulk_create(people)
    name_words_fill()
    return created


def _pay_self(rng: Any, today: dt.date) -> None:
    """Self-payers: most pay on time, some a month or two late, some stop and lapse."""
    from django.db import connection

    from jaring.contributions.models import Due

    dues: dict[int, list[tuple[int, dt.date, dt.date]]] = {}
    for due_id, membership_id, period, due_date in (Due.objects.filter(payer__kind="self")
                                                    .order_by("period").values_list("id", "membership_id",
                                                                                    "period", "due_date")):
        dues.setdefault(membership_id, []).append((due_id, period, due_date))
    updates = []
    for months in dues.values():
        habit = rng.random()
        stop_after = len(months) if habit < 0.8 else rng.randrange(1, max(2, len(months)))
        for index, (due_id, _period, due_date) in enumerate(months):
            if index >= stop_after:
                break
            if habit < 0.6:
                paid_on = due_date - dt.timedelta(days=rng.randrange(0, 12))
            else:
                paid_on = due_date + dt.timedelta(days=rng.randrange(3, 50))
            if paid_on > today:
                if due_date < today:
                    break
                continue
            updates.append((paid_on, due_id))
    with connection.cursor() as cursor:
        cursor.executemany("UPDATE contributions_due SET status = 'paid', paid_on = %s WHERE id = %s", updates)


# --- The province demo (decision 0048): Papua Barat Daya with Kota Sorong and a synthetic regency ---

# Only Kota Sorong's region list is real (regions_kota_sorong.csv). The second regency is SYNTHETIC:
# code 96.99 is not a Kemendagri code and every name says "(demo)", so it is never taken for a real
# place. Its NIKs and KKs carry the same made-up prefix 969901…
DEMO_REGENCY = "96.99"
DEMO_REGENCY_NAME = "Kabupaten Contoh (demo)"
DEMO_REGENCY_ROWS = [
    {"code": DEMO_REGENCY, "legacy_code": "", "level": "city", "name": DEMO_REGENCY_NAME, "parent_code": "96"},
    {"code": "96.99.01", "legacy_code": "", "level": "district", "name": "Distrik Contoh Satu (demo)",
     "parent_code": DEMO_REGENCY},
    {"code": "96.99.02", "legacy_code": "", "level": "district", "name": "Distrik Contoh Dua (demo)",
     "parent_code": DEMO_REGENCY},
    *({"code": f"96.99.0{d}.100{k}", "legacy_code": "", "level": "kelurahan",
       "name": f"Kampung Contoh {d}-{k} (demo)", "parent_code": f"96.99.0{d}"} for d in (1, 2) for k in (1, 2, 3)),
]
PROVINCE_STAFF = [
    ("admin.provinsi", "Agustinus Malak", Role.ADMIN, ["96"]),
    ("operator.provinsi", "Elisabeth Kareth", Role.OPERATOR, ["96"]),
    ("admin.contoh", "Daniel Sapisa", Role.ADMIN, [DEMO_REGENCY]),
]
REGENCY_MEMBERS = 300


def seed_demo_province(*, persons: int = 2_500, seed: int = 2026, today: dt.date | None = None) -> dict[str, Any]:
    """The province on top of the Kota Sorong demo: the synthetic regency's regions, people and
    payer (``APBD-CONTOH``, a few hundred members billed and paid for six months), a province admin
    and operator (area 96) and the regency's admin (area 96.99). Run after ``seed_demo``; the
    deployment's root should then be the province (``JARING_TENANT_REGION=96``). Idempotent: a
    second run finds the regency's people and adds nothing."""
    from jaring.contributions.services import billing_run, invoice_pay
    from jaring.core.money import add_months, month_start
    from jaring.membership.models import FundingSource, Membership, Payer
    from jaring.membership.services import budget_line_add, payer_create
    from jaring.regions.services import regions_load
    from jaring.reports.services import snapshot_refresh

    today = today or timezone.localdate()
    actor = system_user()
    with transaction.atomic():
        regions_load(rows=DEMO_REGENCY_ROWS, actor=actor, source="demo: synthetic regency")
        for username, name, role, areas in PROVINCE_STAFF:
            if not User.objects.filter(username=username).exists():
                user_create(actor=None, username=username, name=name, role=role, password=DEMO_PASSWORD,
                            areas=areas, validate=False)
        if Person.objects.filter(kelurahan__code__startswith=DEMO_REGENCY + ".").exists():
            return {"created": False}
        kelurahan = [DemoKelurahan(code=r.code, legacy_code=r.code, district_code=r.parent.code, name=r.name,
                                   district_name=r.parent.name)
                     for r in Region.objects.filter(level=Region.Level.KELURAHAN,
                                                    code__startswith=DEMO_REGENCY + ".").select_related("parent")
                     if r.parent is not None]
        city = generate_city(seed=seed + 7, persons=persons, kelurahan=kelurahan, today=today)
        rows, people = _insert_city(city, actor)
        name_words_fill()
        payer = (Payer.objects.filter(code="APBD-CONTOH").first()
                 or payer_create(actor=actor, code="APBD-CONTOH", name=DEMO_REGENCY_NAME.replace("Kabupaten", "APBD"),
                                 kind=Payer.Kind.GOVERNMENT_CITY, funding_source=FundingSource.APBD_CITY,
                                 wadah_code="SG", region_code=DEMO_REGENCY))
        budget_line_add(actor=actor, payer=payer, fiscal_year=today.year, amount_idr=400_000_000,
                        source_document=f"DPA {DEMO_REGENCY_NAME} {today.year}")
        young, old = today.replace(year=today.year - 18), today.replace(year=today.year - 63)
        workers = list(Person.objects.filter(kelurahan__code__startswith=DEMO_REGENCY + ".", occupation__isnull=False,
                                             birth_date__lte=young, birth_date__gt=old, kpj__isnull=True)
                       .order_by("pk").values_list("pk", flat=True)[:REGENCY_MEMBERS])
        first = add_months(month_start(today), -5)
        memberships = [Membership(person_id=pk, payer=payer, declared_income_idr=1_000_000, sector="other",
                                  status=Membership.Status.ACTIVE, start_date=first, created_by=actor)
                       for pk in workers]
        Membership.objects.bulk_create(memberships, batch_size=BATCH)
        Person.objects.bulk_update([Person(pk=pk, kpj=f"99{first:%y%m}{n:05d}") for n, pk in enumerate(workers, 1)],
                                   ["kpj"], batch_size=BATCH)
        for i in range(6):
            period = add_months(first, i)
            billing_run(actor=actor, period=period, payer=payer)
            paid_on = period.replace(day=12)
            if paid_on <= today:
                invoice_pay(actor=actor, payer=payer, period=period, paid_on=paid_on,
                            reference=f"SP2D/CONTOH/{period:%Y%m}")
        audit_log(actor=actor, action="demo.seed_province", object_type="registry.person",
                  after={"regency": DEMO_REGENCY, "synthetic": True, "persons": len(people),
                         "households": len(rows), "memberships": len(memberships)})
    snapshot_refresh(actor=actor, months=6, today=today, trigger="demo")
    return {"created": True, "persons": len(people), "households": len(rows), "memberships": len(memberships)}


def describe_province(result: dict[str, Any]) -> str:
    lines = [f"  province: Papua Barat Daya (96) with Kota Sorong (96.71) and {DEMO_REGENCY_NAME} "
             f"({DEMO_REGENCY}) — the regency is SYNTHETIC (invented code and names), for the demo only"]
    if result.get("created"):
        lines.append(f"  {result['persons']:,} persons in the regency, {result['memberships']:,} paid by "
                     "APBD-CONTOH".replace(",", "."))
    lines += [f"    {username:<28} {role:<12} {', '.join(areas)}" for username, _n, role, areas in PROVINCE_STAFF]
    lines.append("  run the server with JARING_TENANT_REGION=96 so that area-less office users see the province")
    return "\n".join(lines)
