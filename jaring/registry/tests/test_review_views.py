"""The duplicate review queue, per persona: who sees which pairs, who may decide, and bad input."""

import datetime as dt

import pytest
from django.urls import reverse

from conftest import KLAWASI, REMU
from jaring.core.models import AuditEvent, Job
from jaring.registry.evidence import is_structured
from jaring.registry.models import DuplicateCandidate, Person
from jaring.registry.services import dedup_scan

OPEN, MERGED, DISMISSED = "open", "merged", "dismissed"


@pytest.fixture
def login(client, personas):  # type: ignore[no-untyped-def]
    def as_(username: str):  # type: ignore[no-untyped-def]
        client.force_login(personas[username])
        return client
    return as_


@pytest.fixture
def pairs(register_person, personas):  # type: ignore[no-untyped-def]
    """Three likely duplicates: both in Remu, both in Klawasi, and one across the two kelurahan."""
    def twins(first: str, second: str, born: dt.date, sex: str, where: tuple[str, str]):  # type: ignore[no-untyped-def]
        a = register_person(full_name=first, sex=sex, birth_date=born, kelurahan=where[0], phone="")
        b = register_person(full_name=second, sex=sex, birth_date=born, kelurahan=where[1], phone="081298765432")
        return a, b

    people = {
        "remu": twins("Soekarni Wanma", "Ibu Sukarni Wanma", dt.date(1979, 5, 4), "F", (REMU, REMU)),
        "klawasi": twins("Yohanes Kalami", "Yohanis Kalami", dt.date(1982, 7, 12), "M", (KLAWASI, KLAWASI)),
        "across": twins("Markus Osok", "Marcus Osok", dt.date(1990, 1, 20), "M", (REMU, KLAWASI)),
    }
    dedup_scan(actor=personas["operator_sorong"])
    found = {(c.person_a_id, c.person_b_id): c for c in DuplicateCandidate.objects.all()}
    result = {}
    for key, (a, b) in people.items():
        result[key] = found[(min(a.pk, b.pk), max(a.pk, b.pk))]
    assert len(found) == 3
    return result


def _url(name: str, candidate: DuplicateCandidate | None = None) -> str:
    return reverse(f"registry:{name}", args=[candidate.pk] if candidate else [])


def _status(candidate: DuplicateCandidate) -> str:
    candidate.refresh_from_db()
    return candidate.status


def test_every_reason_the_scorer_writes_has_a_label():
    from jaring.registry import dedup
    from jaring.registry.review_views import REASON_LABELS, reason_labels

    written = [value for name, value in vars(dedup).items() if name.startswith("R_") and isinstance(value, str)]
    assert set(written) <= set(REASON_LABELS)
    assert reason_labels(["nama mirip 92%", "KK sama", "nama umum (1234 orang)", "sesuatu yang baru"]) == [
        "nama mirip 92%", "nomor KK sama", "nama umum (1.234 orang)", "sesuatu yang baru"]


def test_pages_need_login(client, db):
    response = client.get(_url("duplicate_list"))
    assert response.status_code == 302 and "/masuk/" in response["Location"]


def test_operator_sees_every_pair_side_by_side(login, pairs):
    client = login("operator_sorong")
    listing = client.get(_url("duplicate_list"))
    page = listing.content.decode()
    assert listing.status_code == 200 and listing.context["nav"] == "duplicates"
    remu = pairs["remu"]
    for candidate in pairs.values():
        assert candidate.person_a.full_name in page and candidate.person_b.full_name in page
        assert candidate.person_a.nik_masked in page and candidate.person_a.nik not in page
    if is_structured(remu.reasons):  # the evidence model: its strongest reasons
        assert "Tanggal lahir: sama" in page
    else:
        assert "tanggal lahir sama" in page and "nama mirip" in page
    assert f"{remu.score:.0f}%" in page
    assert "Pindai ulang" in page
    scores = [c.score for c, _reasons in listing.context["rows"]]
    assert scores == sorted(scores, reverse=True)

    detail = client.get(_url("duplicate_detail", remu))
    html = detail.content.decode()
    assert detail.status_code == 200 and detail.context["nav"] == "duplicates"
    assert "Lanjut: periksa yang akan dipindah" in html and "Bukan duplikat" in html
    assert remu.person_a.nik not in html and remu.person_b.nik not in html
    differs = {row.label: row.differs for row in detail.context["rows"]}
    assert differs["Nama"] and differs["Nomor HP"] and differs["NIK"]
    assert not differs["Tanggal lahir"] and not differs["Kelurahan"] and not differs["Jenis kelamin"]
    assert 'class="differs"' in html


def test_facilitator_sees_only_pairs_inside_their_area(login, pairs):
    client = login("facilitator_remu")
    page = client.get(_url("duplicate_list")).content.decode()
    assert "Soekarni Wanma" in page
    assert "Kalami" not in page and "Osok" not in page  # Klawasi, and a pair half outside the area
    assert "Pindai ulang" not in page
    assert client.get(_url("duplicate_detail", pairs["remu"])).status_code == 200
    for key in ("klawasi", "across"):
        candidate = pairs[key]
        assert client.get(_url("duplicate_detail", candidate)).status_code == 404
        keep = candidate.person_a_id
        assert client.post(_url("duplicate_merge", candidate), {"keep": keep}).status_code == 404
        assert client.post(_url("duplicate_dismiss", candidate)).status_code == 404
        assert _status(candidate) == OPEN
    assert client.post(_url("duplicate_scan")).status_code == 403
    other = login("facilitator_klawasi").get(_url("duplicate_list")).content.decode()
    assert "Kalami" in other and "Wanma" not in other and "Osok" not in other


def test_facilitator_may_decide_inside_their_area(login, pairs):
    client = login("facilitator_remu")
    response = client.post(_url("duplicate_dismiss", pairs["remu"]))
    assert response.status_code == 302 and _status(pairs["remu"]) == DISMISSED


def test_liaison_is_refused(login, pairs):
    client = login("liaison")
    remu = pairs["remu"]
    assert client.get(_url("duplicate_list")).status_code == 403
    assert client.get(_url("duplicate_detail", remu)).status_code == 403
    assert client.post(_url("duplicate_merge", remu), {"keep": remu.person_a_id}).status_code == 403
    assert client.post(_url("duplicate_dismiss", remu)).status_code == 403
    assert client.post(_url("duplicate_scan")).status_code == 403
    assert _status(remu) == OPEN


def test_auditor_reads_without_buttons_and_every_read_is_logged(login, pairs):
    client = login("auditor")
    remu = pairs["remu"]
    page = client.get(_url("duplicate_list")).content.decode()
    assert "Soekarni Wanma" in page and "Pindai ulang" not in page
    html = client.get(_url("duplicate_detail", remu)).content.decode()
    assert "Gabungkan" not in html and "Bukan duplikat</button>" not in html and 'name="keep"' not in html
    assert client.post(_url("duplicate_merge", remu), {"keep": remu.person_a_id}).status_code == 403
    assert client.post(_url("duplicate_dismiss", remu)).status_code == 403
    assert client.post(_url("duplicate_scan")).status_code == 403
    assert _status(remu) == OPEN
    reads = AuditEvent.objects.filter(actor__username="auditor")
    assert reads.filter(action="duplicate.list").count() == 1
    assert reads.filter(action="duplicate.view", object_id=str(remu.pk)).count() == 1


def test_merge_moves_the_other_record_to_the_kept_one(login, pairs):
    client = login("operator_sorong")
    remu = pairs["remu"]
    kept, other = remu.person_a, remu.person_b
    response = client.post(_url("duplicate_merge", remu), {"keep": kept.pk, "confirmed": "1"}, follow=True)
    assert response.redirect_chain[-1][0] == _url("duplicate_list")
    assert "digabung ke" in response.content.decode()
    other.refresh_from_db()
    kept.refresh_from_db()
    assert other.merged_into_id == kept.pk
    assert kept.phone == "081298765432"  # an empty field filled from the merged record
    assert _status(remu) == MERGED
    event = AuditEvent.objects.get(action="person.merge", object_id=str(kept.pk))
    assert event.actor.username == "operator_sorong" and event.after["merged"] == other.pk
    assert other.nik not in str(event.after)
    assert remu.pk not in [c.pk for c, _reasons in response.context["rows"]]  # the pair left the queue
    detail = client.get(_url("duplicate_detail", remu)).content.decode()
    assert "Sudah diputuskan" in detail and 'name="keep"' not in detail


def test_dismissed_pair_stays_dismissed_after_a_rescan(login, pairs, django_capture_on_commit_callbacks):
    client = login("operator_sorong")
    remu = pairs["remu"]
    response = client.post(_url("duplicate_dismiss", remu), follow=True)
    assert "bukan duplikat" in response.content.decode()
    assert _status(remu) == DISMISSED
    assert AuditEvent.objects.filter(action="dedup.dismiss", object_id=str(remu.pk)).exists()
    with django_capture_on_commit_callbacks(execute=True):  # the scan runs as a job after the request
        scanned = client.post(_url("duplicate_scan"), follow=True)
    assert "latar belakang" in scanned.content.decode()
    scanned = client.get(_url("duplicate_list"))
    assert "Pemindaian terakhir" in scanned.content.decode()
    job = Job.objects.get(kind="dedup.scan")
    assert job.status == "succeeded" and job.result["candidates"] == 2
    assert "Soekarni Wanma" not in scanned.content.decode()
    pair = DuplicateCandidate.objects.filter(person_a=remu.person_a_id, person_b=remu.person_b_id)
    assert list(pair.values_list("status", flat=True)) == [DISMISSED]
    assert DuplicateCandidate.objects.filter(status=OPEN).count() == 2  # the other pairs, recomputed


def test_get_on_a_post_endpoint_changes_nothing(login, pairs):
    client = login("operator_sorong")
    remu = pairs["remu"]
    events = AuditEvent.objects.count()
    for name in ("duplicate_merge", "duplicate_dismiss"):
        response = client.get(_url(name, remu), {"keep": remu.person_a_id}, follow=True)
        assert response.redirect_chain[-1][0] == _url("duplicate_detail", remu)
        assert "tidak ada yang diubah" in response.content.decode()
    before = set(DuplicateCandidate.objects.values_list("pk", flat=True))
    response = client.get(_url("duplicate_scan"), follow=True)
    assert "tidak ada yang diubah" in response.content.decode()
    assert set(DuplicateCandidate.objects.values_list("pk", flat=True)) == before
    assert _status(remu) == OPEN and not Person.objects.filter(merged_into__isnull=False).exists()
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("keep", ["", "abc", "-1", "999999", "stranger"])
def test_keep_must_be_one_of_the_pair(login, pairs, keep):
    client = login("operator_sorong")
    remu = pairs["remu"]
    if keep == "stranger":  # a real person, in the area, but not in this pair
        keep = str(pairs["across"].person_a_id)
    response = client.post(_url("duplicate_merge", remu), {"keep": keep}, follow=True)
    assert response.redirect_chain[-1][0] == _url("duplicate_detail", remu)
    assert "Pilih data yang dipertahankan" in response.content.decode()
    assert _status(remu) == OPEN and not Person.objects.filter(merged_into__isnull=False).exists()


def test_a_decided_pair_cannot_be_decided_again(login, pairs):
    client = login("operator_sorong")
    remu = pairs["remu"]
    client.post(_url("duplicate_dismiss", remu))
    response = client.post(_url("duplicate_merge", remu), {"keep": remu.person_a_id}, follow=True)
    assert "sudah diputuskan" in response.content.decode()
    assert _status(remu) == DISMISSED and not Person.objects.filter(merged_into__isnull=False).exists()

    klawasi = pairs["klawasi"]
    client.post(_url("duplicate_merge", klawasi), {"keep": klawasi.person_b_id, "confirmed": "1"})
    for attempt in (client.post(_url("duplicate_merge", klawasi), {"keep": klawasi.person_a_id}, follow=True),
                    client.post(_url("duplicate_dismiss", klawasi), follow=True)):
        assert "sudah diputuskan" in attempt.content.decode()
    assert _status(klawasi) == MERGED
    assert AuditEvent.objects.filter(action="person.merge").count() == 1


def test_pair_whose_person_was_merged_elsewhere_is_stale(login, register_person, personas):
    born = dt.date(1979, 5, 4)
    a, b, c = (register_person(full_name=name, sex="F", birth_date=born, kelurahan=REMU)
               for name in ("Soekarni Wanma", "Sukarni Wanma", "Ny. Sukarni Wanma"))
    dedup_scan(actor=personas["operator_sorong"])
    assert DuplicateCandidate.objects.count() == 3
    client = login("operator_sorong")
    first = DuplicateCandidate.objects.get(person_a=a, person_b=b)
    client.post(_url("duplicate_merge", first), {"keep": a.pk, "confirmed": "1"})
    stale = DuplicateCandidate.objects.get(person_a=b, person_b=c)
    listed = [candidate.pk for candidate, _reasons in client.get(_url("duplicate_list")).context["rows"]]
    assert stale.pk not in listed and len(listed) == 1
    detail = client.get(_url("duplicate_detail", stale)).content.decode()
    assert "sudah digabung dengan data lain" in detail and 'name="keep"' not in detail
    response = client.post(_url("duplicate_merge", stale), {"keep": c.pk, "confirmed": "1"}, follow=True)
    assert "sudah digabung dengan data lain" in response.content.decode()
    c.refresh_from_db()
    assert c.merged_into_id is None and _status(stale) == OPEN


@pytest.mark.parametrize("username", ["operator_sorong", "facilitator_remu", "auditor"])
def test_list_query_count_is_bounded(login, register_person, personas, django_assert_max_num_queries, username):
    given = ("Agustina", "Maria", "Yosina", "Martha", "Selfina", "Yuliana", "Debora", "Ester", "Ribka", "Hana",
             "Lince", "Orpa")
    for day, name in enumerate(given, start=1):  # twelve pairs in Remu, each its own name and birth date
        born = dt.date(1980, 3, day)
        register_person(full_name=f"{name} Sawaki", sex="F", birth_date=born, kelurahan=REMU)
        register_person(full_name=f"{name} Sawaky", sex="F", birth_date=born, kelurahan=REMU)
    dedup_scan(actor=personas["operator_sorong"])
    assert DuplicateCandidate.objects.count() >= 12
    client = login(username)
    client.get(_url("duplicate_list"))  # warm the session
    with django_assert_max_num_queries(8):  # session, user, scope (3), count, page, audit
        response = client.get(_url("duplicate_list"))
    assert len(response.context["rows"]) >= 12


def test_a_running_scan_is_polled_and_never_started_twice(login, personas):
    from jaring.core.jobs import JobChannel
    from jaring.registry.services import dedup_scan_queue

    client = login("operator_sorong")
    job = dedup_scan_queue(actor=personas["operator_sorong"])
    Job.objects.filter(pk=job.pk).update(status="running")
    JobChannel(job.pk)("match", 3, 12)
    assert dedup_scan_queue(actor=personas["admin_sorong"]).pk == job.pk  # one scan at a time
    fragment = client.get(reverse("registry:duplicate_scan_status")).content.decode()
    assert 'hx-trigger="every 2s"' in fragment and "25%" in fragment
    client = login("facilitator_remu")
    assert client.get(reverse("registry:duplicate_scan_status")).status_code == 403
