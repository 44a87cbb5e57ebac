"""A deterministic, believable population for the demo city (Kota Sorong). Pure Python.

Families of Papuan origin (Moi, Maybrat, Tehit, Biak, Serui …) live beside migrant families from
Sulawesi, Maluku and Java, as in Sorong. NIKs follow DOMAIN §3 (region of first registration,
DDMMYY with +40 for women, a serial that is never 0000) and are unique; so are KK numbers.
Same seed and arguments → the same city; ``today`` is passed in, the clock is never read.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from jaring.core.money import age_on

# --- Enumerations shared with the models ------------------------------------------------------
TRANSPORT = frozenset({"ojek_driver", "online_ojek_driver", "driver", "courier", "speedboat_operator"})


@dataclass(frozen=True)
class DemoKelurahan:
    code: str
    legacy_code: str
    district_code: str
    name: str
    district_name: str


@dataclass(frozen=True)
class DemoHousehold:
    key: int
    kk_number: str
    kelurahan_code: str
    address: str
    welfare_decile: int | None
    decile_source: str
    decile_date: dt.date
    pkh_beneficiary: bool
    data_source: str


@dataclass(frozen=True)
class DemoPerson:
    key: int
    household_key: int
    nik: str
    full_name: str
    birth_place: str
    birth_date: dt.date
    sex: str
    relationship: str
    phone: str
    occupation: str | None
    transport_sector: bool
    declared_income_idr: int | None
    disability: str
    consent_basis: str
    consent_date: dt.date
    data_source: str
    kelurahan_code: str


@dataclass(frozen=True)
class DemoCity:
    households: list[DemoHousehold]
    persons: list[DemoPerson]


# --- Names ----------------------------------------------------------------------------------
PAPUAN_SURNAMES = [
    "Kalami", "Malak", "Osok", "Mobalen", "Kambu", "Sapisa", "Ulim", "Klaibin", "Fatie", "Isir",
    "Kocu", "Howay", "Momot", "Sremere", "Wamafma", "Rumbiak", "Rumaropen", "Wanma", "Mansawan",
    "Yoku", "Kareth", "Rumbewas", "Sawaki", "Korwa", "Mambrasar", "Ansaka", "Kaisiepo", "Krey",
    "Ayomi", "Faidiban", "Mayor", "Baransano", "Gisim", "Do", "Sorontou", "Werfete", "Kondjol",
    "Hindom", "Mandacan", "Sraun", "Bonsapia", "Idie", "Saflembolo", "Ullo", "Kamesrar", "Sede",
    "Fle", "Kladit", "Salosa", "Mirino", "Arwam", "Rumadas", "Msen", "Kapisa", "Woisiri",
]
PAPUAN_MEN = [
    "Yohanes", "Markus", "Yakobus", "Yulianus", "Frans", "Daniel", "Petrus", "Agustinus", "Yosias",
    "Herman", "Obet", "Simon", "Paulus", "Stefanus", "Arnold", "Elias", "Natan", "Otniel", "Yance",
    "Melkias", "Demianus", "Isak", "Lukas", "Musa", "Zakeus", "Hans", "Benny", "Roberth", "Alfons",
]
PAPUAN_WOMEN = [
    "Maria", "Elisabeth", "Agustina", "Ruth", "Naomi", "Yosina", "Martha", "Selfina", "Yuliana",
    "Debora", "Ester", "Ribka", "Hana", "Lince", "Orpa", "Mince", "Dorkas", "Yakomina", "Sarlota",
    "Adolfina", "Frederika", "Yohana", "Magdalena", "Dina", "Tabita", "Rahel", "Salomina", "Welmina",
]
# Migrant families: (origin, surname pool or None when children take no family name,
#                    men, women, NIK region prefixes, birth places)
MIGRANTS = [
    ("bugis", None, ["Muhammad Rizal", "Andi Baso", "Abdul Rahman", "Syamsuddin", "Ridwan",
                     "Hasanuddin", "Irfan", "Akbar", "Fadli", "Jumardi", "Rahmat"],
     ["Siti Aisyah", "Nurhayati", "Hasnawati", "Andi Nurul", "Rosmiati", "Sitti Hadijah",
      "Hardianti", "Nurjannah", "Fatmawati", "Kasmawati"], ["737101", "737102", "731101"],
     ["Makassar", "Pare-Pare", "Bone"]),
    ("buton", None, ["La Ode Hamid", "La Ode Saleh", "La Udu", "La Ane", "La Ode Rusman", "La Hasan"],
     ["Wa Ode Nurmala", "Wa Ode Sitti", "Wa Ani", "Wa Nia", "Wa Ode Ramlah"], ["747201", "740401"],
     ["Baubau", "Raha"]),
    ("java", None, ["Sutrisno", "Budi Santoso", "Slamet", "Agus Priyanto", "Joko Susilo", "Wahyudi",
                    "Suparman", "Eko Prasetyo", "Bambang"],
     ["Sri Wahyuni", "Dewi Lestari", "Siti Khotimah", "Sulastri", "Endang", "Rina Marlina",
      "Puji Astuti", "Wahyuningsih"], ["357801", "357802", "337401"], ["Surabaya", "Semarang", "Malang"]),
    ("toraja", ["Pasolo", "Tandirerung", "Palimbong", "Rante", "Sampe", "Tangdilintin", "Pakiding"],
     ["Yohanis", "Simon", "Daud", "Markus", "Ishak", "Matius"],
     ["Marlina", "Yuliana", "Herlina", "Ruth", "Serly"], ["731801", "731802"], ["Makale", "Rantepao"]),
    ("ambon", ["Latumahina", "Tanamal", "Pattinama", "Sahetapy", "Rahanra", "Sangadji", "Rumagesan",
               "Hehanussa", "Sopacua", "Rahawarin"],
     ["Johanis", "Ronald", "Hengky", "Abdul", "Ismail", "Frits", "Semuel"],
     ["Jolanda", "Netty", "Hasna", "Mariam", "Femmy", "Ona"], ["817101", "817102", "810201"],
     ["Ambon", "Tual", "Masohi"]),
    ("manado", ["Lumempouw", "Rumengan", "Sondakh", "Wowor", "Pangemanan", "Tumbelaka"],
     ["Stevi", "Ferry", "Jemmy", "Hendra", "Rocky"], ["Vivi", "Meyske", "Novi", "Grace", "Olivia"],
     ["717101", "717102"], ["Manado", "Bitung"]),
]
PAPUAN_PREFIXES = [("9271", 0.78), ("920101", 0.06), ("920501", 0.03), ("910501", 0.04),
                   ("910601", 0.05), ("917101", 0.04)]
PAPUAN_BIRTH_PLACES = ["Sorong"] * 8 + ["Teminabuan", "Ayamaru", "Biak", "Serui", "Manokwari",
                                         "Fakfak", "Kaimana", "Waisai", "Jayapura", "Aimas"]
STREETS = [
    "Jl. Ahmad Yani", "Jl. Jend. Sudirman", "Jl. Basuki Rahmat", "Jl. Selat Makassar",
    "Jl. Kelapa Dua", "Jl. Victory", "Jl. Bandeng", "Jl. Pramuka", "Jl. Sungai Maruni",
    "Jl. Frans Kaisiepo", "Jl. Malibela", "Jl. Trikora", "Jl. Yos Sudarso", "Jl. Arfak",
    "Jl. Danau Maninjau", "Jl. Kurana", "Jl. Sam Ratulangi", "Jl. Ade Irma Suryani",
    "Jl. Gunung Gamalama", "Jl. Pendidikan", "Jl. Cenderawasih", "Jl. Sungai Kamundan",
]
ISLAND_KELURAHAN = {"Dum Barat", "Dum Timur", "Soop", "Raam"}
COASTAL_KELURAHAN = ISLAND_KELURAHAN | {"Tanjung Kasuari", "Saoka", "Tampa Garam", "Kampung Baru",
                                         "Suprau", "Klasuat"}
PHONE_PREFIXES = ["0812", "0813", "0821", "0822", "0852", "0853", "0811", "0857", "0878"]

# Occupations for adults, weighted; the coast adds fishers and speedboat operators.
MEN_JOBS = [("ojek_driver", 14), ("online_ojek_driver", 4), ("driver", 5), ("day_labourer", 12),
            ("port_labourer", 5), ("construction_worker", 8), ("fisher", 5), ("farmer", 6),
            ("parking_attendant", 3), ("market_trader", 5), ("honorary_staff", 4),
            ("religious_worker", 2), ("courier", 2), ("craftsperson", 2), ("other", 3)]
WOMEN_JOBS = [("market_trader", 10), ("vegetable_seller", 8), ("betel_nut_seller", 7),
              ("household_worker", 4), ("honorary_staff", 4), ("craftsperson", 3), ("farmer", 4),
              ("religious_worker", 2), ("day_labourer", 2), ("other", 2)]


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p for p, _w in pairs], weights=[w for _p, w in pairs])[0]


class _Identities:
    """Unique NIK and KK numbers: serials counted per 12-digit stem, in generation order."""

    def __init__(self) -> None:
        self.serials: dict[str, int] = {}

    def _next(self, stem: str) -> str:
        serial = self.serials.get(stem, 0) + 1
        if serial > 9999:
            raise ValueError(f"more than 9999 identifiers for {stem}")
        self.serials[stem] = serial
        return f"{stem}{serial:04d}"

    def nik(self, region6: str, birth: dt.date, sex: str) -> str:
        day = birth.day + (40 if sex == "F" else 0)
        return self._next(f"{region6}{day:02d}{birth.month:02d}{birth.year % 100:02d}")

    def kk(self, region6: str, issued: dt.date) -> str:
        return self._next(f"{region6}{issued.day:02d}{issued.month:02d}{issued.year % 100:02d}")


@dataclass
class _Family:
    origin: str
    surname: str | None
    men: list[str]
    women: list[str]
    prefixes: list[str]
    places: list[str]


class _CityBuilder:
    def __init__(self, seed: int, kelurahan: list[DemoKelurahan], today: dt.date):
        self.rng = random.Random(seed)
        self.kelurahan = kelurahan
        self.today = today
        self.ids = _Identities()
        # Some kelurahan are bigger than others.
        self.weights = [self.rng.uniform(0.5, 1.8) for _ in kelurahan]
        self.households: list[DemoHousehold] = []
        self.persons: list[DemoPerson] = []

    def _family(self) -> _Family:
        rng = self.rng
        if rng.random() < 0.62:
            return _Family("papua", rng.choice(PAPUAN_SURNAMES), PAPUAN_MEN, PAPUAN_WOMEN,
                           [_papuan_prefix(rng)], PAPUAN_BIRTH_PLACES)
        origin, surnames, men, women, prefixes, places = rng.choice(MIGRANTS)
        return _Family(origin, rng.choice(surnames) if surnames else None, men, women, prefixes,
                       places)

    def _name(self, family: _Family, sex: str) -> str:
        given = self.rng.choice(family.men if sex == "M" else family.women)
        return f"{given} {family.surname}" if family.surname else given

    def _birth(self, low: int, high: int) -> dt.date:
        age_days = self.rng.randrange(low * 365, high * 365 + 364)
        return self.today - dt.timedelta(days=age_days)

    def household(self, target: int) -> None:
        rng = self.rng
        kel = rng.choices(self.kelurahan, weights=self.weights)[0]
        family = self._family()
        region6 = family.prefixes[0] if family.prefixes[0] != "9271" else kel.legacy_code.replace(
            ".", "")[:6]
        kk_region = kel.legacy_code.replace(".", "")[:6]
        decile = None if rng.random() < 0.05 else min(10, 1 + int(rng.expovariate(0.42)))
        source = rng.choice(["P3KE", "DTKS", "DTSEN"])
        issued = dt.date(rng.randrange(2005, 2026), rng.randrange(1, 13), rng.randrange(1, 29))
        key = len(self.households) + 1
        if kel.name in ISLAND_KELURAHAN:
            address = f"Kampung {kel.name}, RT {rng.randrange(1, 8):03d}/RW {rng.randrange(1, 4):03d}"
        else:
            address = (f"{rng.choice(STREETS)} No. {rng.randrange(1, 180)}, "
                       f"RT {rng.randrange(1, 12):03d}/RW {rng.randrange(1, 6):03d}")
        self.households.append(DemoHousehold(
            key=key, kk_number=self.ids.kk(kk_region, issued), kelurahan_code=kel.code,
            address=address, welfare_decile=decile, decile_source=source,
            decile_date=self.today - dt.timedelta(days=rng.randrange(30, 700)),
            pkh_beneficiary=decile is not None and decile <= 4 and rng.random() < 0.6,
            data_source=source))
        head_sex = "F" if rng.random() < 0.2 else "M"
        head_birth = self._birth(22, 70)
        members = [("head", head_sex, head_birth)]
        if (head_sex == "M" and rng.random() < 0.85) or (head_sex == "F" and rng.random() < 0.15):
            spouse_age = max(18, age_on(head_birth, self.today) + rng.randint(-8, 3))
            members.append(("spouse", "F" if head_sex == "M" else "M", self._birth(spouse_age, spouse_age)))
        head_age = age_on(head_birth, self.today)
        for _ in range(max(0, min(target - len(members), 6))):
            if head_age < 20:
                break
            child_age = rng.randint(0, min(35, head_age - 18))
            members.append(("child", rng.choice("MF"), self._birth(child_age, child_age)))
        if head_age < 45 and rng.random() < 0.12:
            parent_age = head_age + rng.randint(20, 30)
            members.append(("parent", rng.choice("MF"), self._birth(parent_age, parent_age)))
        if head_age > 50 and rng.random() < 0.15:
            members.append(("grandchild", rng.choice("MF"), self._birth(0, 8)))
        for relationship, sex, birth in members:
            self._person(key, kel, family, region6, relationship, sex, birth)

    def _person(self, household_key: int, kel: DemoKelurahan, family: _Family, region6: str,
                relationship: str, sex: str, birth: dt.date) -> None:
        rng = self.rng
        age = age_on(birth, self.today)
        if relationship == "spouse" and family.origin == "papua" and rng.random() < 0.5:
            surname = rng.choice(PAPUAN_SURNAMES)  # a wife keeps her own clan name
            name = f"{rng.choice(family.women if sex == 'F' else family.men)} {surname}"
        else:
            name = self._name(family, sex)
        prefix = region6
        if family.origin == "papua" and region6.startswith("9271"):
            prefix = kel.legacy_code.replace(".", "")[:6]
            if birth.year >= 2025 and rng.random() < 0.3:
                prefix = kel.code.replace(".", "")[:6]  # the new 96.71 codes
        elif family.origin != "papua" and age < 25 and rng.random() < 0.7:
            prefix = kel.legacy_code.replace(".", "")[:6]  # born in Sorong
        occupation = None
        if 18 <= age <= 64 and rng.random() < (0.9 if sex == "M" else 0.6):
            pool = MEN_JOBS if sex == "M" else WOMEN_JOBS
            if kel.name in COASTAL_KELURAHAN and sex == "M" and rng.random() < 0.35:
                occupation = rng.choice(["fisher", "fisher", "speedboat_operator", "port_labourer"])
            elif family.origin == "papua" and sex == "F" and rng.random() < 0.35:
                occupation = "mama_papua_trader"
            else:
                occupation = _weighted(rng, pool)
        place = rng.choice(PAPUAN_BIRTH_PLACES[:8] if prefix.startswith(("9271", "9671")) else family.places)
        self.persons.append(DemoPerson(
            key=len(self.persons) + 1, household_key=household_key, nik=self.ids.nik(prefix, birth, sex),
            full_name=name, birth_place=place, birth_date=birth, sex=sex, relationship=relationship,
            phone=(rng.choice(PHONE_PREFIXES) + str(rng.randrange(10**6, 10**8)))
            if age >= 17 and rng.random() < 0.7 else "",
            occupation=occupation, transport_sector=occupation in TRANSPORT,
            declared_income_idr=1_000_000 if occupation else None,
            disability=rng.choices(["none", "physical", "sensory", "intellectual", "mental", "multiple"],
                                   weights=[975, 10, 7, 3, 3, 2])[0],
            consent_basis=rng.choices(["consent", "public_task", "legal_obligation"], weights=[6, 3, 1])[0],
            consent_date=self.today - dt.timedelta(days=rng.randrange(0, 700)),
            data_source=self.households[-1].data_source, kelurahan_code=kel.code))


def _papuan_prefix(rng: random.Random) -> str:
    return rng.choices([p for p, _w in PAPUAN_PREFIXES], weights=[w for _p, w in PAPUAN_PREFIXES])[0]


def generate_city(*, seed: int, persons: int, kelurahan: list[DemoKelurahan], today: dt.date) -> DemoCity:
    if not kelurahan:
        raise ValueError("no kelurahan to place people in")
    builder = _CityBuilder(seed, kelurahan, today)
    while len(builder.persons) < persons:
        builder.household(target=builder.rng.choice([1, 2, 2, 3, 3, 3, 4, 4, 5]))
    _second_registrations(builder, random.Random(seed + 1), max(3, persons // 500))
    return DemoCity(households=builder.households, persons=builder.persons)


TITLES = {"M": ["Bapak", "Bpk.", "Sdr.", "Pak"], "F": ["Ibu", "Ny.", "Mama", "Sdri."]}
OLD_SPELLINGS = [("u", "oe"), ("j", "dj"), ("y", "j"), ("c", "tj")]


def _second_registrations(builder: _CityBuilder, rng: random.Random, count: int) -> None:
    """Some adults registered twice, as offices get them: by another facilitator or from another
    list, under a title, an old spelling or capitals, the NIK copied with one digit wrong or taken
    from a newer card, now and then the day and month swapped; half on the same family card, the
    rest on a card of their own. What the duplicate review is for (the demo's queue is not empty)."""
    adults = [p for p in builder.persons if age_on(p.birth_date, builder.today) >= 18]
    taken = {p.nik for p in builder.persons}
    for original in rng.sample(adults, min(count, len(adults))):
        name = original.full_name
        change = rng.choice(["title", "old_spelling", "capitals", "typo"])
        if change == "title":
            name = f"{rng.choice(TITLES[original.sex])} {name}"
        elif change == "old_spelling":
            for modern, old in rng.sample(OLD_SPELLINGS, len(OLD_SPELLINGS)):
                if modern in name.lower():
                    name = name.replace(modern, old).replace(modern.upper(), old.capitalize())
                    break
        elif change == "capitals":
            name = name.upper()
        else:
            at = rng.randrange(1, max(2, len(name) - 1))
            name = name[:at] + name[at] + name[at:]  # a doubled letter
        birth = original.birth_date
        if rng.random() < 0.15 and birth.day <= 12 and birth.day != birth.month:
            birth = dt.date(birth.year, birth.day, birth.month)
        nik = original.nik
        for _ in range(20):  # one digit of the serial or the region mistyped, never another's NIK
            at = rng.choice([3, 4, 5, 13, 14, 15])
            nik = original.nik[:at] + str((int(original.nik[at]) + rng.randrange(1, 10)) % 10) + original.nik[at + 1:]
            if nik not in taken:
                break
        if nik in taken:
            continue
        taken.add(nik)
        household_key = original.household_key
        if rng.random() < 0.5:  # registered on a card of their own, in the same kelurahan
            first = next(h for h in builder.households if h.key == original.household_key)
            household_key = len(builder.households) + 1
            issued = dt.date(rng.randrange(2015, 2026), rng.randrange(1, 13), rng.randrange(1, 29))
            builder.households.append(DemoHousehold(
                key=household_key, kk_number=builder.ids.kk(first.kk_number[:6], issued),
                kelurahan_code=first.kelurahan_code, address=first.address, welfare_decile=first.welfare_decile,
                decile_source=first.decile_source, decile_date=first.decile_date, pkh_beneficiary=False,
                data_source=first.data_source))
        builder.persons.append(DemoPerson(
            key=len(builder.persons) + 1, household_key=household_key, nik=nik, full_name=name,
            birth_place=original.birth_place, birth_date=birth, sex=original.sex,
            relationship="head" if household_key != original.household_key else original.relationship,
            phone=original.phone if rng.random() < 0.5 else "", occupation=original.occupation,
            transport_sector=original.transport_sector, declared_income_idr=original.declared_income_idr,
            disability=original.disability, consent_basis=original.consent_basis,
            consent_date=original.consent_date, data_source=original.data_source,
            kelurahan_code=original.kelurahan_code))


def facilitator_names(*, seed: int, count: int) -> list[str]:
    """Believable names for PKH facilitators (pendamping), distinct."""
    rng = random.Random(seed * 7 + 1)
    pool = [f"{g} {s}" for g in PAPUAN_MEN[:12] + PAPUAN_WOMEN[:12] for s in PAPUAN_SURNAMES[:20]]
    pool += [g for _o, _s, men, women, _p, _pl in MIGRANTS for g in men + women]
    rng.shuffle(pool)
    seen: list[str] = []
    for name in pool:
        if name not in seen:
            seen.append(name)
        if len(seen) == count:
            break
    return seen
