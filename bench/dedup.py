"""Fuzzy dedup at scale: ``size`` persons with a known set of planted duplicates, scanned end to end.

The registry is built set-based (bulk insert of prepared rows, as ``registry_search`` and
``billing`` do). Families live in households (KK) across the kelurahan, with Papuan clan names,
Javanese, Bugis, Butonese, Ambonese, Manadonese and Torajan naming, and 3 % of birth dates heaped
on 1 January, as in old records. Every person has a real-format NIK, encrypted and blind-indexed as
the registry stores it: the region where it was issued (the home kecamatan under the old province
code 92.71, the new 96.71 for children registered since 2023, the place of origin for a share of
migrant adults, another kecamatan of the city for some), the birth date (day + 40 for women) and a
serial counted per region and date (twins' NIKs differ in the last digit). Every family card has a
real-format KK number. About 55 % have a mobile number; families often give the head's for all.

Planted, with ground truth kept:

* duplicates (1 % of the persons): a second record of someone, registered later under another
  NIK (``NIK_VARIANTS``: 55 % one keystroke of the first NIK, 15 % a new serial, 15 % an old NIK
  from another region with the same date part, 15 % an unrelated number — the KK number typed as
  NIK, or made up; the phone kept half the time), with one or two realistic changes to the
  name — old spelling (Suharto → Soeharto, Joko → Djoko, Yohanes → Johanes), a title (Ibu, Ny.,
  Bapak, H., Hj., Sdr.), a doubled letter, family name written first, a typo, a middle name left
  out, all capitals — and usually the same birth date, sometimes day and month swapped, one digit
  of the day, month or year mistyped, or 1 January written for a birthday not known; in the same
  KK or none, mostly in the same kelurahan;
* near misses that are *not* duplicates: twins of different sex with matching names (Yohanes /
  Yohana), twins of the same sex with other names (their NIKs differ in the serial's last
  digit), and a father or mother whose child carries the very same name (another birth year,
  same KK).

The scan runs as ``jaring dedup scan --json`` in its own process (the service end to end,
candidates written to the database), so its peak RSS is its own. Precision and recall are taken
against the planted duplicates; false positives are split into planted near misses, pairs that
are identical by data (same normalised name, birth date and sex — no matcher can tell them apart)
and others. How crowded the names are (distinct names, the commonest, how many people share a
name with 100 or more others) is printed with the build, since precision depends on it.

Splink beside it (``bench/dedup_splink.py``, the optional extra ``bench``): the same persons, read
back from the database after the build, linked by Splink on DuckDB in its own process, scored
against the same truth (``dedup.splink``), with a side-by-side summary on stderr.

Baseline beside it: the naive way — every pair within each kelurahan scored the same way, no
birth-date or sound-key blocking — timed on a slice of one kelurahan and scaled by pair count.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass

from bench.dedup_splink import compare
from bench.harness import django_home, emit, progress

DUP_RATE = 0.01
NEAR_MISS_RATE = 0.002  # per household, for each kind of near miss
BASELINE_SLICE = 3_000
TODAY = dt.date(2026, 6, 1)

# --- Names --------------------------------------------------------------------------------------
PAPUAN_MEN = ["Yohanes", "Markus", "Yakobus", "Yulianus", "Frans", "Daniel", "Petrus", "Agustinus",
              "Yosias", "Herman", "Obet", "Simon", "Paulus", "Stefanus", "Arnold", "Elias", "Natan",
              "Otniel", "Yance", "Melkias", "Demianus", "Isak", "Lukas", "Musa", "Zakeus", "Hans",
              "Benny", "Roberth", "Alfons", "Yoel", "Yusuf", "Klemens", "Nikolas", "Hendrik", "Welem",
              "Salmon", "Frederik", "Yakob", "Adolf", "Filipus", "Kornelis", "Marthen", "Septinus",
              "Oktovianus", "Novianus", "Titus", "Timotius", "Barnabas", "Gerson", "Efraim"]
PAPUAN_WOMEN = ["Maria", "Elisabeth", "Agustina", "Ruth", "Naomi", "Yosina", "Martha", "Selfina",
                "Yuliana", "Debora", "Ester", "Ribka", "Hana", "Lince", "Orpa", "Mince", "Dorkas",
                "Yakomina", "Sarlota", "Adolfina", "Frederika", "Yohana", "Magdalena", "Dina", "Tabita",
                "Rahel", "Salomina", "Welmina", "Paulina", "Fransina", "Antonela", "Yulita", "Kristina",
                "Margaretha", "Susana", "Lidia", "Priska", "Betsy", "Ance", "Oktaviana", "Novita",
                "Septina", "Helena", "Regina", "Veronika", "Klara", "Anita", "Yance", "Marice", "Sofia"]
PAPUAN_SURNAMES = ["Kalami", "Malak", "Osok", "Mobalen", "Kambu", "Sapisa", "Ulim", "Klaibin", "Fatie",
                   "Isir", "Kocu", "Howay", "Momot", "Sremere", "Wamafma", "Rumbiak", "Rumaropen", "Wanma",
                   "Mansawan", "Yoku", "Kareth", "Rumbewas", "Sawaki", "Korwa", "Mambrasar", "Ansaka",
                   "Kaisiepo", "Krey", "Ayomi", "Faidiban", "Mayor", "Baransano", "Gisim", "Do", "Sorontou",
                   "Werfete", "Kondjol", "Hindom", "Mandacan", "Sraun", "Bonsapia", "Idie", "Saflembolo",
                   "Ullo", "Kamesrar", "Sede", "Fle", "Kladit", "Salosa", "Mirino", "Arwam", "Rumadas",
                   "Msen", "Kapisa", "Woisiri", "Ayamiseba", "Rumfabe", "Warikar", "Wompere", "Yable",
                   "Sosir", "Kemesfle", "Kambuaya", "Segetmena", "Way", "Kinggo", "Semunya", "Bleskadit",
                   "Tigtigweria", "Kaliele", "Sagrim", "Yesnath", "Momao", "Nauw", "Kareni", "Saa",
                   "Duwith", "Ayello", "Fatem", "Sesa", "Tamunete", "Sroyer", "Rumere", "Mofu",
                   "Worembay", "Numberi", "Awom", "Kafiar", "Msiren", "Rumansara", "Burdam", "Wanggai"]
# Twins of different sex whose names differ by an ending: the classic near miss.
TWIN_NAMES = [("Yohanes", "Yohana"), ("Fransiskus", "Fransiska"), ("Paulus", "Paulina"),
              ("Agustinus", "Agustina"), ("Yulianus", "Yuliana"), ("Daniel", "Daniela"),
              ("Frederik", "Frederika"), ("Welem", "Welmina"), ("Salmon", "Salomina"), ("Adolf", "Adolfina"),
              ("Septinus", "Septina"), ("Oktovianus", "Oktaviana"), ("Kristian", "Kristina"),
              ("Antonius", "Antonia"), ("Markus", "Marta"), ("Novianus", "Novita")]


@dataclass(frozen=True)
class Origin:
    weight: float
    men: list[str]
    men_second: list[str] | None
    women: list[str]
    women_second: list[str] | None
    surnames: list[str] | None
    middle: float  # chance of a middle name (a second given name, or a third word)
    single: float  # chance of a one-word name (families without a surname)


ORIGINS = {
    "papua": Origin(0.60, PAPUAN_MEN, None, PAPUAN_WOMEN, None, PAPUAN_SURNAMES, 0.5, 0.0),
    "java": Origin(0.10, ["Agus", "Budi", "Eko", "Joko", "Bambang", "Slamet", "Dwi", "Tri", "Heru", "Hadi",
                          "Sugeng", "Teguh", "Wahyu", "Yudi", "Rudi", "Dedi", "Hendra", "Iwan", "Didik",
                          "Bayu", "Catur", "Sukarno", "Suharto", "Purwanto", "Ahmad", "Arif", "Bagus", "Dimas",
                          "Edi", "Fajar", "Gatot", "Hari", "Imam", "Joni", "Kukuh", "Lilik", "Mulyono", "Nanang",
                          "Pujo", "Rahmat", "Sigit", "Tomo", "Untung", "Wawan", "Yoyok"],
                   ["Santoso", "Susilo", "Prasetyo", "Priyanto", "Wibowo", "Setiawan", "Purnomo", "Hartono",
                    "Susanto", "Saputro", "Nugroho", "Kurniawan", "Gunawan", "Hidayat", "Pranoto", "Wijaya",
                    "Sutrisno", "Suharto", "Sujono", "Suparman", "Cahyono", "Sulistyo", "Raharjo", "Utomo",
                    "Supriyadi", "Yulianto", "Subagyo", "Sucipto", "Wahyudi", "Haryanto", "Purwadi", "Sumarno",
                    "Widodo", "Sugiarto", "Riyadi", "Darmawan", "Hermawan", "Kuncoro", "Pambudi", "Rianto",
                    "Santosa", "Setyawan", "Sukirno", "Triyono", "Waluyo", "Winarno", "Yuwono", "Hadiwijaya",
                    "Prabowo", "Budiman"],
                   ["Sri", "Dewi", "Siti", "Rina", "Tri", "Dwi", "Endang", "Puji", "Nur", "Yuni", "Ani",
                    "Ratna", "Indah", "Sumarni", "Juwariyah", "Suyati", "Eka", "Fitri", "Heni", "Ika", "Lina",
                    "Mega", "Nining", "Ninik", "Retno", "Sari", "Tutik", "Umi", "Wiwik", "Yanti", "Dian", "Erna"],
                   ["Wahyuni", "Lestari", "Rahayu", "Handayani", "Astuti", "Marlina", "Suryani", "Kurniasih",
                    "Susanti", "Purwanti", "Rahmawati", "Setyowati", "Khotimah", "Fitriani", "Utami",
                    "Yulianti", "Mulyani", "Sulastri", "Cahyani", "Sukmawati", "Wulandari", "Anggraini",
                    "Puspitasari", "Kusumawati", "Hartini", "Sumiati", "Suprapti", "Widyastuti", "Winarsih",
                    "Yuliani", "Maryati", "Ningsih", "Pratiwi", "Safitri", "Septiani", "Sundari", "Triana",
                    "Wijayanti", "Rukmini", "Sunarti"], None, 0.15, 0.12),
    "bugis": Origin(0.10, ["Muhammad", "Andi", "Abdul", "Ahmad", "Syamsul", "Hasan", "Baso", "Amir", "Arif",
                           "Haji", "Ismail", "Mustafa", "Sahrul", "Zainal"],
                    ["Rizal", "Baso", "Rahman", "Syamsuddin", "Ridwan", "Hasanuddin", "Irfan", "Akbar", "Fadli",
                     "Jumardi", "Rahmat", "Arifin", "Amiruddin", "Syahrir", "Basri", "Nasrullah", "Yusuf",
                     "Halim", "Kadir", "Mansur", "Jufri", "Saleh", "Husain", "Anwar", "Khaeruddin", "Asri",
                     "Bahtiar", "Darwis", "Faisal", "Gunawan", "Hamka", "Ilyas", "Jamaluddin", "Kamaruddin",
                     "Lukman", "Mahmud", "Nurdin", "Palallo", "Qadri", "Rusdi", "Sainal", "Tamrin", "Usman",
                     "Wahab", "Yunus", "Zulkifli", "Alimuddin", "Burhanuddin", "Fahruddin", "Haeruddin"],
                    ["Siti", "Andi", "Nur", "Sitti", "Hj. Siti", "St.", "Hasna", "Rahma", "Fitri", "Hajrah"],
                    ["Aisyah", "Hayati", "Hasnawati", "Nurul", "Rosmiati", "Hadijah", "Hardianti", "Jannah",
                     "Fatmawati", "Kasmawati", "Ramlah", "Halimah", "Rukmini", "Zainab", "Maryam", "Syamsiah",
                     "Nurhaedah", "Sakinah", "Rahmatia", "Marwah", "Asmawati", "Bungawali", "Darmawati",
                     "Erniwati", "Fatimah", "Hamsiah", "Haslinda", "Irmawati", "Jumiati", "Kartini", "Lisnawati",
                     "Marhani", "Nuraeni", "Rahmawati", "Samsinar", "Sumarni", "Syamsinar", "Wahidah",
                     "Yusriani", "Zulaeha"], None, 0.3, 0.0),
    "buton": Origin(0.07, ["La Ode", "La"],
                    ["Hamid", "Saleh", "Udu", "Ane", "Rusman", "Hasan", "Muhammad Ali", "Sudirman", "Midi",
                     "Karim", "Ahmadi", "Jaya", "Safiudin", "Bahari", "Ruslan", "Tahir", "Umar", "Kasim",
                     "Sirajudin", "Baharudin", "Abdullah", "Bolu", "Daali", "Ege", "Gafur", "Hadini", "Ilu",
                     "Jufri", "Kamaludin", "Laeru", "Mane", "Nuru", "Ode Amir", "Pili", "Rahimu", "Sabaru",
                     "Taani", "Unga", "Wadi", "Yamu", "Zaini", "Arifin", "Basri", "Dirman", "Hamsin", "Idrus",
                     "Jamali", "Kaimu", "Mbeli", "Naba", "Ramadan", "Sarifu", "Tamrin", "Usman", "Wolio"],
                    ["Wa Ode", "Wa"],
                    ["Nurmala", "Sitti", "Ani", "Nia", "Ramlah", "Hasna", "Zahra", "Fatima", "Salmia", "Rosna",
                     "Marni", "Halia", "Asni", "Wati", "Sarina", "Jusna", "Aisa", "Bau", "Dahlia", "Ema",
                     "Fitra", "Hadia", "Ilo", "Juhria", "Kalsum", "Lambu", "Mina", "Nuhu", "Ramina", "Sanaria",
                     "Tina", "Ule", "Wana", "Yati", "Zubaeda", "Asma", "Biha", "Deli", "Hamida", "Jamia",
                     "Kartina", "Mariana", "Nurhayati", "Rasia", "Sumarti", "Waode Nuri"],
                    None, 0.15, 0.0),
    "ambon": Origin(0.06, ["Johanis", "Ronald", "Hengky", "Abdul", "Ismail", "Frits", "Semuel", "Jopie",
                           "Max", "Nus", "Ongky", "Richard", "Chris", "Yopi", "Melky"], None,
                    ["Jolanda", "Netty", "Hasna", "Mariam", "Femmy", "Ona", "Christina", "Nona", "Ika", "Lien",
                     "Sandra", "Merry", "Yuli", "Deasy"], None,
                    ["Latumahina", "Tanamal", "Pattinama", "Sahetapy", "Rahanra", "Sangadji", "Rumagesan",
                     "Hehanussa", "Sopacua", "Rahawarin", "Latuconsina", "Pattimura", "Tuhumury", "Leiwakabessy",
                     "Matulessy", "Huwae", "Manuhutu", "Ohorella", "Tutuarima", "Wattimena"], 0.35, 0.0),
    "manado": Origin(0.04, ["Stevi", "Ferry", "Jemmy", "Hendra", "Rocky", "Johny", "Fransiskus", "Alfrets",
                            "Denny", "Meiky"], None,
                     ["Vivi", "Meyske", "Novi", "Grace", "Olivia", "Stella", "Feybe", "Jeanette", "Sisca"], None,
                     ["Lumempouw", "Rumengan", "Sondakh", "Wowor", "Pangemanan", "Tumbelaka", "Mandagi",
                      "Rondonuwu", "Kaunang", "Lumintang", "Worang", "Tambuwun", "Karamoy", "Sumampouw"], 0.3, 0.0),
    "toraja": Origin(0.03, ["Yohanis", "Simon", "Daud", "Markus", "Ishak", "Matius", "Yusuf", "Paulus", "Daniel"],
                     None, ["Marlina", "Yuliana", "Herlina", "Ruth", "Serly", "Damaris", "Naomi", "Lince"], None,
                     ["Pasolo", "Tandirerung", "Palimbong", "Rante", "Sampe", "Tangdilintin", "Pakiding",
                      "Tandiari", "Sambara", "Pongrekun", "Toding", "Lebang", "Parinding"], 0.3, 0.0),
}
ORIGIN_NAMES = list(ORIGINS)
ORIGIN_WEIGHTS = [ORIGINS[o].weight for o in ORIGIN_NAMES]

TITLES_M = ["Bapak", "Bpk.", "Pak", "H.", "Sdr.", "Tn."]
TITLES_F = ["Ibu", "Ny.", "Hj.", "Sdri.", "Mama", "Bu"]
# Modern → old (pre-1972) spellings; applied backwards they are what an old KTP or P3KE row says.
OLD_SPELLINGS = [("u", "oe"), ("j", "dj"), ("c", "tj"), ("y", "j"), ("ny", "nj"), ("sy", "sj"), ("kh", "ch")]
KEYBOARD = "qwertyuiopasdfghjklzxcvbnm"


# --- Generation ---------------------------------------------------------------------------------
@dataclass
class Family:
    origin: Origin
    surname: str | None


def _given(rng: random.Random, origin: Origin, sex: str) -> str:
    first = rng.choice(origin.men if sex == "M" else origin.women)
    second = origin.men_second if sex == "M" else origin.women_second
    if second is not None:
        if origin.single and rng.random() < origin.single:
            return first
        if rng.random() < origin.middle:  # a third word: "Andi Muhammad Rizal", "Siti Nur Aisyah"
            return f"{first} {rng.choice(second)} {rng.choice(second)}"
        return f"{first} {rng.choice(second)}"
    if rng.random() < origin.middle:
        return f"{first} {rng.choice(origin.men if sex == 'M' else origin.women)}"
    return first


def _name(rng: random.Random, family: Family, sex: str, *, own_clan: bool = False) -> str:
    given = _given(rng, family.origin, sex)
    surname = family.surname
    if own_clan and family.origin.surnames:
        surname = rng.choice(family.origin.surnames)
    return f"{given} {surname}" if surname else given


def _birth(rng: random.Random, low: int, high: int) -> dt.date:
    born = TODAY - dt.timedelta(days=rng.randrange(low * 365, high * 365 + 364))
    if rng.random() < 0.03:  # "unknown day": registered on 1 January
        born = dt.date(born.year, 1, 1)
    return born


def _household(rng: random.Random) -> tuple[str, list[tuple[str, str, dt.date, str]]]:
    """The origin of one generated family, and (name, sex, birth date, relationship) of its members."""
    origin_name = rng.choices(ORIGIN_NAMES, weights=ORIGIN_WEIGHTS)[0]
    origin = ORIGINS[origin_name]
    family = Family(origin, rng.choice(origin.surnames) if origin.surnames else None)
    head_sex = "F" if rng.random() < 0.2 else "M"
    head_birth = _birth(rng, 22, 70)
    members = [(_name(rng, family, head_sex), head_sex, head_birth, "head")]
    head_age = (TODAY - head_birth).days // 365
    if rng.random() < 0.8:
        sex = "F" if head_sex == "M" else "M"
        age = max(18, head_age + rng.randint(-8, 3))
        members.append((_name(rng, family, sex, own_clan=rng.random() < 0.5), sex, _birth(rng, age, age),
                        "spouse"))
    for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 4])):
        if head_age < 20:
            break
        sex = rng.choice("MF")
        age = rng.randint(0, min(35, head_age - 18))
        members.append((_name(rng, family, sex), sex, _birth(rng, age, age), "child"))
    return origin_name, members


def _near_misses(rng: random.Random, members: list[tuple[str, str, dt.date, str]],
                 surname: str) -> tuple[list[tuple[str, str, dt.date, str]], str | None]:
    """Maybe add a near miss to a household: returns the extra members and its kind."""
    head_name, head_sex, head_birth, _rel = members[0]
    head_age = (TODAY - head_birth).days // 365
    roll = rng.random()
    if roll < NEAR_MISS_RATE and head_age >= 20:
        # Twins of different sex, names differing by an ending.
        boy, girl = rng.choice(TWIN_NAMES)
        born = _birth(rng, 0, min(30, head_age - 18))
        return [(f"{boy} {surname}", "M", born, "child"), (f"{girl} {surname}", "F", born, "child")], "twins_mixed"
    if roll < 2 * NEAR_MISS_RATE and head_age >= 20:
        # Twins of the same sex with different names.
        sex = rng.choice("MF")
        pool = PAPUAN_MEN if sex == "M" else PAPUAN_WOMEN
        first, second = rng.sample(pool, 2)
        born = _birth(rng, 0, min(30, head_age - 18))
        return [(f"{first} {surname}", sex, born, "child"), (f"{second} {surname}", sex, born, "child")], "twins_same"
    if roll < 3 * NEAR_MISS_RATE and head_age >= 38:
        # A child named after the parent: same name, same KK, another birth year.
        age = rng.randint(0, head_age - 20)
        return [(head_name, head_sex, _birth(rng, age, age), "child")], "namesake"
    return [], None


def _alter_name(rng: random.Random, name: str, sex: str) -> tuple[str, list[str]]:
    """One or two realistic changes to a name, as a second registration writes it."""
    kinds = ["old_spelling", "title", "double_letter", "swap_order", "typo", "drop_middle", "capitals"]
    wanted = 1 if rng.random() < 0.6 else 2
    applied: list[str] = []
    words = name.split(" ")
    title = ""
    upper = False
    for kind in rng.sample(kinds, len(kinds)):
        if len(applied) == wanted:
            break
        if kind == "old_spelling":
            lower = " ".join(words).lower()
            rules = [(new, old) for new, old in OLD_SPELLINGS if new in lower]
            if not rules:
                continue
            new, old = rng.choice(rules)
            words = [w.lower().replace(new, old).capitalize() if new in w.lower() else w for w in words]
        elif kind == "title":
            title = rng.choice(TITLES_M if sex == "M" else TITLES_F)
        elif kind == "double_letter":
            i = rng.randrange(len(words))
            spots = [k for k, ch in enumerate(words[i]) if k > 0 and ch.lower() in "lnmrstkp"]
            if not spots:
                continue
            k = rng.choice(spots)
            words[i] = words[i][:k] + words[i][k] + words[i][k:]
        elif kind == "swap_order":
            if len(words) < 2:
                continue
            words = [words[-1], *words[:-1]]
        elif kind == "typo":
            i = max(range(len(words)), key=lambda j: len(words[j]) + rng.random())
            w = words[i]
            if len(w) < 4:
                continue
            k = rng.randrange(1, len(w) - 1)
            op = rng.choice(["sub", "del", "swap", "ins"])
            if op == "sub":
                w = w[:k] + rng.choice(KEYBOARD) + w[k + 1:]
            elif op == "del":
                w = w[:k] + w[k + 1:]
            elif op == "swap":
                w = w[:k] + w[k + 1] + w[k] + w[k + 2:]
            else:
                w = w[:k] + rng.choice(KEYBOARD) + w[k:]
            words[i] = w
        elif kind == "drop_middle":
            if len(words) < 3 or words[0] in ("La", "Wa"):
                continue
            words = [words[0], *words[2:]]
        elif kind == "capitals":
            upper = True
        applied.append(kind)
    text = " ".join([title, *words]).strip() if title else " ".join(words)
    return (text.upper() if upper else text), applied


def _keystroke(value: int, digits: int, rng: random.Random) -> int:
    """``value`` with one digit changed or two neighbouring digits swapped, as a clerk mistypes it."""
    text = list(f"{value:0{digits}d}")
    k = rng.randrange(digits)
    if rng.random() < 0.3 and k < digits - 1 and text[k] != text[k + 1]:
        text[k], text[k + 1] = text[k + 1], text[k]
    else:
        text[k] = rng.choice([d for d in "0123456789" if d != text[k]])
    return int("".join(text))


def _alter_birth(rng: random.Random, born: dt.date) -> tuple[dt.date, str]:
    roll = rng.random()
    if roll < 0.06 and born.day <= 12 and born.day != born.month:
        return dt.date(born.year, born.day, born.month), "birth_day_month_swapped"
    if roll < 0.17:
        kind = "birth_year_mistyped" if roll >= 0.14 else rng.choice(["birth_day_mistyped", "birth_month_mistyped"])
        for _ in range(50):
            year, month, day = born.year, born.month, born.day
            if kind == "birth_year_mistyped":
                year = _keystroke(year, 4, rng)
            elif kind == "birth_month_mistyped":
                month = _keystroke(month, 2, rng)
            else:
                day = _keystroke(day, 2, rng)
            try:
                changed = dt.date(year, month, day)
            except ValueError:
                continue
            if 1940 <= year <= TODAY.year and changed != born:
                return changed, kind
        return born, "birth_same"
    if roll < 0.20:
        # One registration knew the birthday, the other wrote "1 January" for unknown.
        return dt.date(born.year, 1, 1), "birth_unknown_day"
    return born, "birth_same"


# --- Identifiers --------------------------------------------------------------------------------
# A NIK is 16 digits: the region where it was issued (1–6: province, kabupaten/kota, kecamatan), the
# birth date DDMMYY (7–12, the day + 40 for women) and a serial (13–16) counted per region and date,
# so twins get consecutive serials. It is for life: who was registered elsewhere keeps that region.
# Kota Sorong was 92.71 (Papua Barat) until Papua Barat Daya (96) was created; residents keep 9271…
# NIKs, and children registered since NEW_PROVINCE_FROM get 9671…. A KK number has the same shape,
# with the card's issue date in 7–12.
NEW_PROVINCE_FROM = dt.date(2023, 1, 1)
# Kecamatan codes of where the families' elders were first registered (plausible, province ≥ 11).
PAPUA_BARAT = ["920101", "920103", "920204", "920302", "920501", "920601", "920901", "921001", "921203"]
ORIGIN_REGIONS = {
    "papua": [*PAPUA_BARAT, "910301", "917101", "940104"],
    "java": ["357805", "337404", "330210", "350716", "347103", "320412", "317405", "331306"],
    "bugis": ["737104", "731301", "730807", "737301", "731102", "730504"],
    "buton": ["740101", "747201", "740402", "741202", "747105"],
    "ambon": ["817102", "810103", "817101", "810601", "817201"],
    "manado": ["717104", "710206", "717201", "710501", "717305"],
    "toraja": ["731802", "732607", "731805", "732601"],
}
# Share of adults (head, spouse) whose NIK was issued where they came from; among the others, the
# share whose NIK is from another kecamatan of the city (they moved within Sorong).
MIGRANT_NIK = {"papua": 0.25, "java": 0.45, "bugis": 0.45, "buton": 0.45, "ambon": 0.45, "manado": 0.45,
               "toraja": 0.45}
MOVED_WITHIN_CITY = 0.15
# Phones: about 55 % of persons have one. The head usually has a mobile; others have their own, or
# the head's (one phone for the family), or none; children only ever the head's.
PHONE_HEAD, PHONE_OWN_ADULT, PHONE_HEADS_ADULT, PHONE_HEADS_CHILD = 0.75, 0.45, 0.3, 0.3
MOBILE_PREFIXES = ["0811", "0812", "0813", "0821", "0822", "0823", "0851", "0852", "0853", "0814", "0815",
                   "0816", "0855", "0856", "0857", "0858", "0817", "0818", "0819", "0859", "0877", "0878",
                   "0895", "0896", "0897", "0898", "0899", "0881", "0882", "0887", "0888"]
PHONE_LENGTHS, PHONE_LENGTH_WEIGHTS = [10, 11, 12, 13], [0.1, 0.25, 0.5, 0.15]
# How the second registration's NIK relates to the first (the NIK index is unique, so it is always
# another number): one keystroke of the NIK (a digit mistyped or two neighbours swapped), a new serial
# (same region and date: issued twice), an old NIK from another region (same date: registered where
# they lived before, or a 9671… number for a 9271… resident), or an unrelated number (the family
# card's number typed as NIK, or made up). The duplicate keeps the phone half the time.
NIK_VARIANTS = [("keystroke", 0.55), ("new_serial", 0.15), ("other_region", 0.15), ("unrelated", 0.15)]
DUP_PHONE_SAME, DUP_PHONE_NEW = 0.5, 0.3  # else none; an original without a phone: a new one 30 %


def nik_date_part(born: dt.date, sex: str) -> str:
    return f"{born.day + (40 if sex == 'F' else 0):02d}{born.month:02d}{born.year % 100:02d}"


def _mobile(rng: random.Random) -> str:
    length = rng.choices(PHONE_LENGTHS, weights=PHONE_LENGTH_WEIGHTS)[0]
    return rng.choice(MOBILE_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(length - 4))


class Identifiers:
    """NIKs and KK numbers as issued: serials counted per region and date, every NIK unique (the NIK
    index is); mutated or made-up NIKs must pass the registry's NIK rules, as they did to be saved."""

    def __init__(self, rng: random.Random, city: list[str], city_new: dict[str, str]) -> None:
        self.rng = rng
        self.city = city  # the city's kecamatan codes as in older NIKs (9271..)
        self.city_new = city_new  # old kecamatan code → the new province's (9671..)
        self.serials: Counter[str] = Counter()
        self.kk_serials: Counter[str] = Counter()
        self.used: set[int] = set()

    def issue(self, region: str, part: str) -> str:
        prefix = region + part
        while True:
            self.serials[prefix] += 1
            nik = f"{prefix}{self.serials[prefix]:04d}"
            if int(nik) not in self.used:
                self.used.add(int(nik))
                return nik

    def kk(self, region: str) -> str:
        issued = TODAY - dt.timedelta(days=self.rng.randrange(20 * 365))
        prefix = f"{region}{issued:%d%m%y}"
        self.kk_serials[prefix] += 1
        return f"{prefix}{self.kk_serials[prefix]:04d}"

    def person_region(self, origin: str, rel: str, born: dt.date, home: str) -> str:
        """Digits 1–6 of a person's NIK: the home kecamatan, unless registered elsewhere first."""
        if born >= NEW_PROVINCE_FROM:
            return self.city_new[home]
        if rel in ("head", "spouse"):
            if self.rng.random() < MIGRANT_NIK[origin]:
                return self.rng.choice(ORIGIN_REGIONS[origin])
            if self.rng.random() < MOVED_WITHIN_CITY:
                return self.rng.choice(self.city)
        return home

    def take(self, nik: str) -> bool:
        """Claim a NIK made up or mistyped, if it is free and passes the NIK rules."""
        from jaring.registry.identity import nik_findings

        if len(nik) != 16 or int(nik) in self.used or any(f.is_error for f in nik_findings(nik)):
            return False
        self.used.add(int(nik))
        return True

    def second(self, nik: str, origin: str, kk: str | None) -> tuple[str, str]:
        """The NIK of a second registration of the holder of ``nik``, and its variant."""
        rng = self.rng
        region, part = nik[:6], nik[6:12]
        kind = rng.choices([k for k, _ in NIK_VARIANTS], weights=[w for _, w in NIK_VARIANTS])[0]
        for _ in range(100):
            if kind == "keystroke":
                typed = f"{_keystroke(int(nik), 16, rng):016d}"
                at = next(k for k in range(16) if typed[k] != nik[k])
                if self.take(typed):
                    return typed, "nik_keystroke_" + ("region" if at < 6 else "date" if at < 12 else "serial")
            elif kind == "new_serial":
                return self.issue(region, part), "nik_new_serial"
            elif kind == "other_region":
                pool = [r for r in (*ORIGIN_REGIONS[origin], *PAPUA_BARAT, *self.city) if r != region]
                new = self.city_new.get(region) if rng.random() < 0.3 else None
                return self.issue(new or rng.choice(pool), part), "nik_other_region"
            elif kk is not None and rng.random() < 0.5:
                if self.take(kk):
                    return kk, "nik_kk_number"
                kk = None
            else:
                pool = [r for regions in ORIGIN_REGIONS.values() for r in regions] + self.city
                made = rng.choice(pool) + nik_date_part(_birth(rng, 0, 80), rng.choice("MF")) + \
                    f"{rng.randrange(1, 10_000):04d}"
                if self.take(made):
                    return made, "nik_made_up"
        return self.issue(region, part), "nik_new_serial"  # nothing else was free: never in practice


@dataclass
class Truth:
    duplicates: set[tuple[int, int]]
    variants: dict[tuple[int, int], list[str]]
    near_misses: dict[tuple[int, int], str]
    persons: int
    name_counts: Counter[str]
    with_phone: int = 0


PERSON_COLUMNS = ["id", "nik_encrypted", "nik_index", "full_name", "name_key", "name_key_last", "birth_place",
                  "birth_date", "sex", "household_id", "relationship", "kelurahan_id", "phone", "transport_sector",
                  "disability", "consent_basis", "data_source", "confirmed_warnings", "created_at", "updated_at"]
HOUSEHOLD_COLUMNS = ["id", "kk_encrypted", "kk_index", "address", "kelurahan_id", "pkh_beneficiary", "data_source",
                     "decile_source", "created_at", "updated_at"]


def build(size: int, seed: int = 17) -> Truth:
    """Insert ``size`` persons with planted duplicates and near misses; return the ground truth."""
    from django.db import connection
    from django.utils import timezone

    from jaring.core.bulk import bulk_insert
    from jaring.core.crypto import cipher
    from jaring.regions.models import Region
    from jaring.registry.names import last_word_first, person_name_key

    rng = random.Random(seed)
    # Identifiers and phones draw from their own stream: names, dates and duplicates stay as they were.
    id_rng = random.Random(seed * 1_000 + 1)
    regions = list(Region.objects.filter(level__in=("district", "kelurahan")).values_list("id", "level", "code",
                                                                                           "legacy_code"))

    def digits(code: str) -> str:
        return code.replace(".", "")[:6]

    districts = {digits(legacy or code): digits(code) for _, level, code, legacy in regions if level == "district"}
    home = {pk: digits(legacy or code) for pk, level, code, legacy in regions if level == "kelurahan"}
    kelurahan = sorted(home)
    ids = Identifiers(id_rng, sorted(districts), districts)
    kel_weights = [rng.uniform(0.4, 2.0) for _ in kelurahan]
    now = timezone.now()
    truth = Truth(set(), {}, {}, 0, Counter())
    # (original id, name, sex, birth, household, kelurahan, relationship, NIK, origin, KK, phone)
    copies: list[tuple[int, str, str, dt.date, int | None, int, str, str, str, str, str]] = []
    persons: list[tuple] = []
    households: list[tuple] = []
    next_id = 1
    household_id = 0
    started = time.perf_counter()
    encrypt, blind_index = cipher().encrypt, cipher().blind_index

    def person_row(pid: int, name: str, born: dt.date, sex: str, hh: int | None, rel: str, kel: int, nik: str,
                   phone: str) -> tuple:
        key = person_name_key(name)
        truth.name_counts[key] += 1
        truth.with_phone += bool(phone)
        return (pid, nik, None, name, key, last_word_first(key), "Sorong", born, sex, hh, rel, kel,
                phone, False, "none", "public_task", "P3KE", "[]", now, now)

    def flush() -> None:
        # Encrypted and indexed in one pass per batch, as the import does (the NIK sits in column 1).
        households[:] = [(h[0], encrypt(h[1], kind="kk"), blind_index(h[1], kind="kk"), *h[2:]) for h in households]
        persons[:] = [(p[0], encrypt(p[1], kind="nik"), blind_index(p[1], kind="nik"), *p[3:]) for p in persons]
        bulk_insert("registry_household", HOUSEHOLD_COLUMNS, households)
        bulk_insert("registry_person", PERSON_COLUMNS, persons)
        households.clear()
        persons.clear()

    budget = size
    while next_id - 1 + len(copies) < budget:
        household_id += 1
        kel = rng.choices(kelurahan, weights=kel_weights)[0]
        kk = ids.kk(home[kel])
        households.append((household_id, kk, "Jl. Bench", kel, False, "P3KE", "", now, now))
        origin, members = _household(rng)
        surname = rng.choice(PAPUAN_SURNAMES)
        extra, kind = _near_misses(rng, members, surname)
        start_id = next_id
        head_phone = _mobile(id_rng) if id_rng.random() < PHONE_HEAD else ""
        for name, sex, born, rel in [*members, *extra]:
            if next_id - 1 + len(copies) >= budget:
                break
            nik = ids.issue(ids.person_region(origin, rel, born, home[kel]), nik_date_part(born, sex))
            roll = id_rng.random()
            if rel == "head":
                phone = head_phone
            elif (TODAY - born).days >= 17 * 365:
                phone = (_mobile(id_rng) if roll < PHONE_OWN_ADULT else
                         head_phone if roll < PHONE_OWN_ADULT + PHONE_HEADS_ADULT else "")
            else:
                phone = head_phone if roll < PHONE_HEADS_CHILD else ""
            persons.append(person_row(next_id, name, born, sex, household_id, rel, kel, nik, phone))
            if rng.random() < DUP_RATE and next_id - 1 + len(copies) + 1 < budget:
                copies.append((next_id, name, sex, born, household_id, kel, rel, nik, origin, kk, phone))
            next_id += 1
        if kind and next_id - start_id == len(members) + len(extra):
            if kind == "namesake":
                truth.near_misses[(start_id, next_id - 1)] = kind
            else:
                truth.near_misses[(next_id - 2, next_id - 1)] = kind
        if len(persons) >= 50_000:
            flush()
            progress(f"persons: {next_id - 1:,} ({time.perf_counter() - started:.0f} s)")
    # The second registrations come later, under new NIKs, with the changes a clerk makes.
    for original, name, sex, born, hh, kel, rel, nik, origin, kk, phone in copies:
        new_name, changes = _alter_name(rng, name, sex)
        new_birth, birth_change = _alter_birth(rng, born)
        new_kel = kel if rng.random() < 0.9 else rng.choice(kelurahan)
        new_hh = hh if rng.random() < 0.6 and new_kel == kel else None
        new_nik, nik_change = ids.second(nik, origin, kk)
        roll = id_rng.random()
        if phone:
            new_phone = phone if roll < DUP_PHONE_SAME else _mobile(id_rng) if roll < DUP_PHONE_SAME + DUP_PHONE_NEW \
                else ""
        else:
            new_phone = _mobile(id_rng) if roll < DUP_PHONE_NEW else ""
        phone_change = ("phone_same" if new_phone and new_phone == phone else "phone_other" if new_phone and phone
                        else "phone_new" if new_phone else "phone_dropped" if phone else "phone_none")
        persons.append(person_row(next_id, new_name, new_birth, sex, new_hh, rel, new_kel, new_nik, new_phone))
        pair = (original, next_id)
        truth.duplicates.add(pair)
        truth.variants[pair] = [*changes, birth_change, "same_kk" if new_hh else "no_kk",
                                "moved" if new_kel != kel else "same_kelurahan", nik_change, phone_change]
        next_id += 1
        if len(persons) >= 50_000:
            flush()
    flush()
    truth.persons = next_id - 1
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in ("registry_person", "registry_household"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT MAX(id) FROM {table}))")
        cursor.execute("ANALYZE")
    return truth


# --- Baseline -----------------------------------------------------------------------------------
def naive_baseline(slice_size: int) -> tuple[float, str]:
    """Every pair within each kelurahan scored as the scan scores them, with no birth-date or
    sound-key blocking: timed on a slice of the largest kelurahan, scaled by pair count."""
    from jaring.registry.dedup import find_all_pairs
    from jaring.registry.models import Person

    sizes = Counter(Person.objects.values_list("kelurahan_id", flat=True).iterator(chunk_size=50_000))
    biggest = max(sizes, key=sizes.__getitem__)
    rows = list(Person.objects.filter(kelurahan_id=biggest).order_by("id").values_list(
        "id", "full_name", "birth_date", "sex", "household_id")[:slice_size])
    ids, names, births, sexes, households = (list(c) for c in zip(*rows, strict=True))
    started = time.perf_counter()
    find_all_pairs(ids=ids, names=names, births=births, sexes=sexes, households=households)
    seconds = time.perf_counter() - started
    n = len(rows)
    all_pairs = sum(k * (k - 1) // 2 for k in sizes.values())
    scaled = seconds * all_pairs / max(1, n * (n - 1) // 2)
    return scaled, (f"naive all-pairs within each kelurahan (no birth-date/sound-key blocking; same vectorised "
                    f"tests and scoring): "
                    f"{n:,}-person slice of the largest kelurahan timed ({seconds:.2f} s), scaled by pair "
                    f"count ({all_pairs:,} pairs)")


# The scan in its own process, through the CLI; it reports its own high-water mark (VmHWM: the
# child's ru_maxrss would include the parent's pages at fork).
SCAN = """
import json, sys
from jaring.cli import main
main(["dedup", "scan", "--json"])
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
sys.stdout.write("\\n" + json.dumps({"vm_hwm_mb": round(int(hwm.split()[1]) / 1024, 1)}) + "\\n")
"""


def run_scan(env: dict[str, str]) -> tuple[str, str, int, float]:
    """Run SCAN; return stdout, stderr, exit code and the largest anonymous RSS seen."""
    out, err, code, anon_mb, _ = run_measured([sys.executable, "-c", SCAN], env)
    return out, err, code, anon_mb


def run_measured(command: list[str], env: dict[str, str],
                 timeout: float | None = None) -> tuple[str, str, int, float, bool]:
    """Run ``command``; return stdout, stderr, exit code, the largest anonymous RSS seen (sampled
    every 0.1 s: VmHWM also counts file-backed pages, such as SQLite's mmap of the database file)
    and whether it was stopped at ``timeout`` seconds. Output goes through files, so a chatty
    child never blocks on a full pipe."""
    with tempfile.TemporaryFile("w+") as out_file, tempfile.TemporaryFile("w+") as err_file:
        process = subprocess.Popen(command, env=env, stdout=out_file, stderr=err_file, text=True)
        status = f"/proc/{process.pid}/status"
        anon_kb = 0
        started = time.perf_counter()
        timed_out = False
        while process.poll() is None:
            try:
                with open(status) as handle:
                    for line in handle:
                        if line.startswith("RssAnon"):
                            anon_kb = max(anon_kb, int(line.split()[1]))
            except OSError:
                pass
            if timeout is not None and time.perf_counter() - started > timeout:
                process.kill()  # our own child, by its handle
                process.wait()
                timed_out = True
                break
            time.sleep(0.1)
        out_file.seek(0)
        err_file.seek(0)
        return out_file.read(), err_file.read(), process.returncode, round(anon_kb / 1024, 1), timed_out


# --- Run ----------------------------------------------------------------------------------------
def run(*, size: int, database_url: str | None = None) -> None:
    with django_home(database_url):
        from django.db import connection, transaction

        from jaring.registry.dedup import normalise
        from jaring.registry.models import DuplicateCandidate, Person

        started = time.perf_counter()
        with transaction.atomic():
            truth = build(size)
        vendor = connection.vendor
        counts = truth.name_counts.values()
        emit("dedup.build", truth.persons, time.perf_counter() - started, rows=truth.persons, database=vendor,
             planted_duplicates=len(truth.duplicates), planted_near_misses=len(truth.near_misses),
             distinct_names=len(truth.name_counts), most_common_name=truth.name_counts.most_common(1)[0],
             persons_sharing_name_with_100_plus=sum(c for c in counts if c >= 100),
             persons_with_unique_name=sum(1 for c in counts if c == 1),
             persons_with_phone=round(truth.with_phone / max(1, truth.persons), 3),
             planted_nik_variants=dict(sorted(Counter(v for vs in truth.variants.values() for v in vs
                                                      if v.startswith("nik_")).items())))
        del truth.name_counts
        baseline_seconds, baseline = naive_baseline(BASELINE_SLICE)
        connection.close()

        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "jaring.settings"}
        started = time.perf_counter()
        out, err, code, anon_mb = run_scan(env)
        seconds = time.perf_counter() - started
        if code != 0:
            raise SystemExit(err[-3000:])
        lines = [line for line in out.splitlines() if line.strip()]
        summary, memory = json.loads(lines[-2]), json.loads(lines[-1])

        scores = {(a, b): score for a, b, score in DuplicateCandidate.objects.values_list(
            "person_a_id", "person_b_id", "score").iterator(chunk_size=50_000)}
        found = set(scores)
        # The review queue is worked from the top: precision and recall had the threshold been higher.
        by_threshold = {}
        for cut in (90, 95, 100):
            above = {pair for pair, score in scores.items() if score >= cut}
            hits = len(above & truth.duplicates)
            by_threshold[str(cut)] = {"candidates": len(above),
                                      "precision": round(hits / len(above), 4) if above else None,
                                      "recall": round(hits / len(truth.duplicates), 4) if truth.duplicates else None}
        true_positive = found & truth.duplicates
        false_positive = found - truth.duplicates
        near_flagged = Counter(truth.near_misses[p] for p in false_positive if p in truth.near_misses)
        others = false_positive - truth.near_misses.keys()
        wanted = sorted({i for pair in others for i in pair})
        lookup = {pid: (normalise(name), born, sex) for at in range(0, len(wanted), 5_000)
                  for pid, name, born, sex in Person.objects.filter(id__in=wanted[at:at + 5_000])
                  .values_list("id", "full_name", "birth_date", "sex")}
        identical = sum(1 for a, b in others if lookup[a] == lookup[b])
        missed = Counter(v for pair in truth.duplicates - found for v in truth.variants[pair])
        planted_by_variant = Counter(v for pair in truth.duplicates for v in truth.variants[pair])
        recall_by_variant = {v: round(1 - missed[v] / n, 4) for v, n in sorted(planted_by_variant.items())}
        line = emit("dedup.scan", truth.persons, seconds, rows=truth.persons, baseline_seconds=baseline_seconds,
             database=vendor, baseline=baseline, scan_peak_rss_mb=memory["vm_hwm_mb"],
             scan_peak_anon_rss_mb=anon_mb,
             precision=round(len(true_positive) / len(found), 4) if found else None,
             recall=round(len(true_positive) / len(truth.duplicates), 4) if truth.duplicates else None,
             candidates=len(found), planted_duplicates=len(truth.duplicates), true_positives=len(true_positive),
             false_positives=len(false_positive), false_positives_identical_by_data=identical,
             near_misses_planted=dict(Counter(truth.near_misses.values())), near_misses_flagged=dict(near_flagged),
             recall_by_variant=recall_by_variant, at_higher_thresholds=by_threshold, summary=summary,
             timing="jaring dedup scan --json in its own process (Python and Django start-up included)")
        connection.close()
        compare(truth=truth, jaring=line, env=env)
