"""The demo city's claims (issue 11, point 9): a few dozen cases in every state, written through the
claims services as the people who would have written them (the kelurahan's facilitator for a case
reported from the field, the office's operator at the counter and for BPJSTK's answers, the system
for the nightly lapse run).

Every case is planned relative to ``today`` and given to a member whose payer and coverage on the
event date fit it (``contributions.selectors.protection``, read-only): the unprotected ones are
found among self-payers in arrears and workers who are no member at all. The first case is the one
about to miss its 2 × 24-hour report: its facilitator gets no other case, so it heads their list.
Deterministic: the same seed and day give the same cases to the same people.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count
from django.utils import timezone

from jaring.accounts.models import AreaAssignment, Role, User
from jaring.accounts.services import system_user
from jaring.claims.models import Claim, ClaimHeir
from jaring.claims.services import (
    claim_child_add,
    claim_document_received,
    claim_heir_add,
    claim_open,
    claim_outcome,
    claim_reject,
    claim_report_made,
    claim_settle,
    claim_submit,
    claims_lapse,
)
from jaring.contributions.selectors import protection
from jaring.core.money import age_on
from jaring.core.parameters import current_parameters
from jaring.membership.models import Membership
from jaring.registry.models import Person
from jaring.rules import RulesInputError
from jaring.rules.claims import claim_deadlines

SEED_OFFSET = 311
FIVE_YEARS = 5 * 365 + 2  # days: an event this long ago has lapsed (two leap days at most)
PAYER_KINDS = {"MANDIRI": "self", "APBD-KOTA": "city", "APBD-PROV": "province"}
MAX_TRIES = 400  # candidates looked at for one case (each costs a coverage check)

JKM_ITEMS = (("jkm_lump_sum", 20_000_000), ("jkm_periodic", 12_000_000), ("jkm_funeral", 10_000_000))
RSUD = "RSUD Sele be Solu"
TRAFFIC = ("laporan_polisi",)


@dataclass(frozen=True)
class Case:
    """One demo case. Days are counted back from ``today`` (0 = today); ``None``: not (yet) done."""

    key: str
    type: str
    status: str  # the status the case reaches
    jobs: tuple[str, ...]  # occupations that fit, the first preferred
    payer: str  # "self", "city", "province", or "none" (no membership at all)
    protected: bool
    event: int
    place: str
    chronology: str
    sex: str = "M"
    family: bool = False  # reported at the office counter by the family (else by the facilitator)
    stage1: int | None = None
    outcome: str = ""
    outcome_at: int | None = None
    stage2: int | None = None
    documents: tuple[str, ...] = ()  # received so far (a complete case: every required one, plus these)
    documents_at: int | None = None  # the day the last of them came in
    submitted: int | None = None
    paid: int | None = None
    items: tuple[tuple[str, int], ...] = ()
    reason: str = ""
    opened: int | None = None  # the day the case was opened, when not today (an old case)
    school_children: bool = False  # given to a parent of children at school (the scholarship's follow-ups)

    @property
    def needs_heirs(self) -> bool:
        return self.type == Claim.Type.JKM or self.outcome == Claim.Outcome.DEATH

    @property
    def names_children(self) -> bool:
        """A death or a total disability: the family names its children for the scholarship."""
        return self.needs_heirs or self.outcome == Claim.Outcome.TOTAL_DISABILITY


J, M = Claim.Type.JKK, Claim.Type.JKM
S = Claim.Status
Out = Claim.Outcome
OJEK = ("ojek_driver", "online_ojek_driver")
BUILDERS = ("construction_worker", "day_labourer", "port_labourer")
SELLERS = ("vegetable_seller", "mama_papua_trader", "betel_nut_seller", "market_trader")
CARD_KTP = ("kartu_peserta", "ktp")
CARD_KTP_DOCTOR = ("kartu_peserta", "ktp", "surat_dokter")

CASES: tuple[Case, ...] = (
    # --- About to miss the stage-I report: first on its facilitator's list (keep it first here).
    Case("about_to_miss", J, S.REPORTED, OJEK, "self", True, 1, "Jl. Basuki Rahmat, Km 10",
         "Sekitar pukul 19.30 WIT korban mengantar penumpang dari Pasar Remu ke arah Km 10. Di Jl. Basuki "
         "Rahmat motor korban diserempet mobil pikap yang mendahului dari kiri; korban terjatuh, lengan kiri "
         f"patah dan lutut kanan luka robek. Warga membawa korban ke IGD {RSUD}. Keluarga korban menelepon "
         "pendamping pagi ini; laporan tahap I ke BPJSTK belum dibuat."),
    # --- Reported: just in, some documents, a report made or missed, an outcome known.
    Case("fisher_today", J, S.REPORTED, ("fisher", "speedboat_operator"), "city", True, 0, "Pelabuhan Rakyat Sorong",
         "Pagi ini sekitar pukul 06.00 WIT, saat menurunkan hasil tangkapan di Pelabuhan Rakyat, tangan kanan "
         "korban terjepit antara perahu dan dermaga ketika ombak mengangkat perahu. Dua jari patah dan telapak "
         "tangan robek; korban dibawa ke RS TNI AL dr. R. Oetojo. Keluarga korban datang ke kantor Dinas "
         "Sosial siang ini.", family=True),
    Case("porter_pasar_remu", J, S.REPORTED, ("day_labourer", "port_labourer"), "self", True, 6, "Pasar Sentral Remu",
         "Korban bekerja sebagai buruh angkut (porter) di Pasar Remu. Sekitar pukul 05.30 WIT, saat memikul "
         "karung beras 50 kg menuruni tangga los ikan yang licin, korban terpeleset dan jatuh dari ketinggian "
         "±2 meter. Pergelangan kaki kanan patah dan punggung memar; korban dirawat di Puskesmas Remu lalu "
         f"dirujuk ke {RSUD}.", stage1=5, documents=CARD_KTP, documents_at=4),
    Case("scaffold_fall", J, S.REPORTED, ("construction_worker",), "province", True, 12,
         "Jl. Sungai Maruni, pembangunan ruko",
         "Korban, tukang bangunan harian, jatuh dari perancah bambu setinggi ±4 meter saat memasang rangka atap "
         f"ruko; salah satu tiang perancah lapuk dan patah. Tulang paha kiri patah; korban dioperasi di {RSUD} "
         "dan masih dirawat. Kuitansi rumah sakit belum keluar.", stage1=11, documents=CARD_KTP_DOCTOR,
         documents_at=8),
    Case("speedboat_fire", J, S.REPORTED, ("speedboat_operator", "fisher"), "self", True, 20,
         "Dermaga penyeberangan Pulau Dum",
         "Saat mengisi bensin mesin tempel di dermaga, bensin tumpah ke mesin yang masih panas dan menyambar api. "
         "Kedua tangan dan lengan korban luka bakar; korban dibawa ke Puskesmas Dum lalu dengan speedboat ke "
         f"{RSUD}. Kartu peserta BPJSTK ikut terbakar; pendamping membantu mengurus kartu pengganti.",
         stage1=19, documents=("ktp",), documents_at=16),
    Case("report_missed", J, S.REPORTED, SELLERS, "self", True, 5, "Jl. Ahmad Yani, dekat Pasar Boswesen",
         "Pukul 05.00 WIT korban dalam perjalanan membawa sayur dari kebun ke Pasar Boswesen dengan ojek. Di Jl. "
         "Ahmad Yani ojek yang ditumpangi ditabrak sepeda motor dari arah berlawanan; bahu kanan korban terkilir "
         "dan pelipis robek. Keluarga tidak tahu bahwa kecelakaan dalam perjalanan ke tempat kerja dijamin JKK "
         "dan baru datang ke kantor hari ini, sesudah batas laporan tahap I.", sex="F", family=True),
    Case("pinang_ladder", J, S.REPORTED, ("betel_nut_seller", "mama_papua_trader", "market_trader"), "province", True,
         3, "Pasar Boswesen",
         "Korban, mama penjual pinang, terjatuh dari bak mobil pikap saat menurunkan karung pinang di Pasar "
         "Boswesen. "
         "Pergelangan tangan kiri retak; dirawat jalan di Puskesmas Klasaman.", sex="F", stage1=2),
    Case("hot_water", J, S.REPORTED, ("household_worker", "other"), "self", True, 9, "Rumah majikan, Jl. Malibela",
         "Korban, pekerja rumah tangga, tersiram air mendidih dari panci yang terguling saat memasak di rumah "
         f"majikan. Punggung kaki kiri luka bakar derajat dua; dirawat jalan di {RSUD}.", sex="F", family=True,
         stage1=8, documents=CARD_KTP, documents_at=6),
    Case("snake_bite", J, S.REPORTED, ("farmer",), "city", True, 14, "Kebun di Malawei",
         "Korban digigit ular saat memanen kasbi di kebunnya. Keluarga membawa korban ke Puskesmas Malawei lalu "
         f"ke {RSUD}; korban dirawat enam hari dan kemarin dinyatakan sembuh.", stage1=13, outcome=Out.RECOVERED,
         outcome_at=1, stage2=0, documents=CARD_KTP_DOCTOR, documents_at=1),
    Case("stage2_due", J, S.REPORTED, ("online_ojek_driver", "courier", "ojek_driver"), "self", True, 40,
         "Jl. Sam Ratulangi",
         "Saat hujan deras, korban yang sedang mengantar pesanan makanan tergelincir di jalan menurun. Tulang "
         f"kering kanan patah dan dipasang pen di {RSUD}. Dokter menyatakan korban sembuh dan boleh bekerja lagi "
         "kemarin: laporan tahap II dibuat dalam 2 × 24 jam.", stage1=39, outcome=Out.RECOVERED, outcome_at=1,
         documents=CARD_KTP_DOCTOR, documents_at=30),
    Case("sawmill_finger", J, S.REPORTED, ("day_labourer", "craftsperson", "construction_worker"), "city", True, 70,
         "Usaha penggergajian kayu, Klablim",
         "Jari telunjuk kiri korban terpotong mata gergaji bundar saat mendorong papan merbau ke mesin. Rekan "
         f"kerja membawa korban ke {RSUD} dengan sepeda motor. Setelah perawatan, dokter menetapkan cacat "
         "sebagian tetap (kehilangan satu ruas jari telunjuk).", stage1=69, outcome=Out.PARTIAL_DISABILITY,
         outcome_at=4, stage2=3, documents=CARD_KTP_DOCTOR, documents_at=3),
    Case("stroke_reported", M, S.REPORTED, SELLERS, "city", True, 8, RSUD,
         "Sepulang berjualan di Pasar Rufei korban mengeluh pusing dan tangan kirinya lemas, lalu tidak sadarkan "
         f"diri. Keluarga membawanya ke IGD {RSUD}; korban meninggal dunia malam itu karena stroke. Keluarga "
         "sedang mengurus akta kematian di Dinas Kependudukan dan Pencatatan Sipil.", family=True, stage1=7,
         documents=("kartu_peserta", "ktp", "kk"), documents_at=5),
    Case("malaria_reported", M, S.REPORTED, ("fisher", "farmer", "day_labourer"), "province", True, 3,
         "Puskesmas Dum",
         "Korban demam menggigil selama seminggu dan tidak segera berobat. Setelah kejang, korban dibawa ke "
         "Puskesmas Dum dan meninggal dunia karena malaria berat sebelum sempat dirujuk.", stage1=2),
    # --- Unprotected on the event date: in arrears, or no member at all.
    Case("arrears_ojek", J, S.REPORTED, ("ojek_driver", "driver"), "self", False, 10, "Jl. Selat Makassar",
         "Motor korban masuk lubang jalan yang tergenang air dan terbalik saat membawa penumpang ke Pelabuhan "
         "Sorong. Bahu kiri korban patah. Iuran korban tertunggak beberapa bulan sebelum kejadian; pendamping "
         "menjelaskan kepada keluarga bahwa manfaat JKK bergantung pada iuran yang dibayar.", stage1=9,
         documents=("ktp", "surat_dokter"), documents_at=7),
    Case("not_a_member", J, S.REPORTED, BUILDERS, "none", False, 15, "Gudang bahan bangunan, Jl. Trikora",
         "Korban, buruh harian di gudang bahan bangunan, tertimpa tumpukan batako yang roboh saat menurunkan "
         "muatan dari truk; kaki kiri patah. Korban belum terdaftar sebagai peserta BPJS Ketenagakerjaan pada "
         "tanggal kejadian. Dinas Sosial memberitahukan kejadian ke BPJSTK dengan NIK korban (Permenaker 1/2025 "
         "pasal 48A) dan pendamping menawarkan pendaftaran.", stage1=14),
    # --- Documents complete, waiting to be handed to BPJSTK.
    Case("port_hand", J, S.DOCUMENTS_COMPLETE, ("port_labourer", "day_labourer"), "self", True, 35,
         "Pelabuhan Sorong, Jl. Yos Sudarso",
         "Saat bongkar muat semen dari kapal barang, tangan kanan korban terjepit antara dua palet yang "
         f"diturunkan derek. Tiga jari retak; korban dirawat jalan di {RSUD} selama tiga minggu dan dinyatakan "
         "sembuh.", stage1=34, outcome=Out.RECOVERED, outcome_at=12, stage2=11, documents_at=5),
    Case("courier_wrist", J, S.DOCUMENTS_COMPLETE, ("courier", "online_ojek_driver", "driver"), "city", True, 25,
         "Jl. Jend. Sudirman",
         "Korban mengantar paket dengan sepeda motor ketika sebuah mobil keluar dari gang tanpa melihat; korban "
         "terlempar dan pergelangan tangan kanan patah. Polisi lalu lintas membuat laporan kejadian. Korban masih "
         "menjalani fisioterapi.", family=True, stage1=24, documents=TRAFFIC, documents_at=3),
    Case("heart_complete", M, S.DOCUMENTS_COMPLETE, SELLERS, "city", True, 30, "Rumah korban",
         "Korban, pedagang ikan asar di Pasar Remu, mengeluh nyeri dada sepulang berjualan dan jatuh di ruang "
         f"tamu. Keluarga membawanya ke {RSUD}, tetapi korban dinyatakan meninggal dunia saat tiba karena "
         "serangan jantung.", family=True, stage1=29, documents_at=4),
    Case("parking_knee", J, S.DOCUMENTS_COMPLETE, ("parking_attendant", "day_labourer"), "province", True, 18,
         "Jl. Jend. Sudirman, depan pertokoan",
         "Korban, juru parkir, tertabrak mobil yang mundur saat mengatur parkir di depan pertokoan. Lutut kiri "
         f"retak; korban dirawat di {RSUD} dan sudah sembuh. Laporan polisi dilampirkan.", stage1=17,
         outcome=Out.RECOVERED, outcome_at=6, stage2=6, documents=TRAFFIC, documents_at=2),
    # --- Submitted to BPJSTK: recently, and one past its 7-working-day payment promise.
    Case("angkot_brakes", J, S.SUBMITTED, ("driver", "ojek_driver"), "self", True, 28,
         "Jl. Yos Sudarso (Tembok Berlin)",
         "Korban, sopir angkot trayek Km 10–Pasar Boswesen, menabrak tiang listrik setelah rem blong di jalan "
         "menurun. Dada dan dagu luka; dirawat tiga hari di RS TNI AL dr. R. Oetojo dan sudah sembuh.",
         stage1=27, outcome=Out.RECOVERED, outcome_at=9, stage2=8, documents=TRAFFIC, documents_at=5, submitted=2),
    Case("payment_overdue", J, S.SUBMITTED, ("farmer",), "self", True, 45, "Kebun sayur di Klamana",
         "Saat membuka lahan kebun sayur, parang korban terpeleset dari batang kayu dan melukai punggung kaki "
         f"kiri hingga tendon putus. Korban dioperasi di {RSUD} dan menjalani perawatan tiga minggu.",
         stage1=44, outcome=Out.RECOVERED, outcome_at=30, stage2=29, documents_at=24, submitted=20),
    Case("dengue_submitted", M, S.SUBMITTED, ("market_trader", "day_labourer", "vegetable_seller"), "province", True,
         22, RSUD,
         f"Korban demam tinggi empat hari dan dirawat di {RSUD} dengan diagnosis demam berdarah dengue; korban "
         "meninggal dunia setelah mengalami syok.", family=True, stage1=21, documents_at=9, submitted=6),
    Case("fisher_paralysed", J, S.SUBMITTED, ("fisher", "speedboat_operator"), "city", True, 95,
         "Perairan antara Pulau Dum dan Pulau Raam",
         "Perahu motor korban bertabrakan dengan speedboat saat pulang melaut menjelang malam. Korban terlempar "
         "ke laut dan tulang belakangnya cedera berat. Setelah perawatan dan rujukan ke Makassar, dokter "
         "menetapkan cacat total tetap: kedua kaki lumpuh.", stage1=94, outcome=Out.TOTAL_DISABILITY, outcome_at=20,
         stage2=19, documents_at=10, submitted=4),
    Case("fish_fin", J, S.SUBMITTED, ("port_labourer", "fisher", "day_labourer"), "self", True, 33,
         "TPI Jembatan Puri",
         "Saat mengangkat keranjang ikan kakap di tempat pelelangan ikan, telapak tangan kanan korban tertusuk "
         f"sirip ikan dan lukanya bernanah. Korban dirawat dan dibersihkan lukanya di {RSUD}; sembuh setelah dua "
         "minggu.", stage1=32, outcome=Out.RECOVERED, outcome_at=14, stage2=13, documents_at=4, submitted=1),
    # --- Paid by BPJSTK, with its items.
    Case("ojek_paid", J, S.PAID, OJEK, "self", True, 120, "Jl. Frans Kaisiepo",
         "Korban ditabrak mobil dari samping di persimpangan saat mengantar penumpang ke Bandara DEO. Tulang "
         f"selangka kanan patah; dirawat lima hari di {RSUD}, kontrol jalan, dan tidak bisa bekerja lima minggu. "
         "Dokter menyatakan sembuh.", stage1=119, outcome=Out.RECOVERED, outcome_at=80, stage2=79, documents=TRAFFIC,
         documents_at=70, submitted=65, paid=58,
         items=(("jkk_medical", 7_850_000), ("jkk_transport_land", 450_000), ("jkk_stmb", 1_200_000))),
    Case("heart_paid", M, S.PAID, SELLERS + BUILDERS, "city", True, 110, "Rumah korban",
         "Pagi hari sebelum berangkat kerja korban mengeluh nyeri dada hebat dan sesak napas, lalu jatuh pingsan "
         "di dapur. Tetangga membantu membawanya ke puskesmas, tetapi korban meninggal dunia dalam perjalanan "
         "karena serangan jantung.", family=True, stage1=109, documents_at=85, submitted=80, paid=72,
         items=JKM_ITEMS),
    Case("fisher_paid", J, S.PAID, ("fisher",), "province", True, 150, "Perairan sekitar Pulau Soop",
         "Saat menarik rawai di perairan sekitar Pulau Soop, mata kail tersangkut di telapak tangan korban dan "
         f"lukanya terinfeksi. Korban dibawa dengan perahu ke Sorong dan dirawat seminggu di {RSUD}.",
         stage1=149, outcome=Out.RECOVERED, outcome_at=120, stage2=119, documents_at=110, submitted=104, paid=95,
         items=(("jkk_medical", 3_200_000), ("jkk_transport_sea", 1_500_000), ("jkk_stmb", 1_000_000))),
    Case("mixer_paid", J, S.PAID, ("construction_worker",), "self", True, 200, "Proyek gedung sekolah, Jl. Pendidikan",
         "Tangan kanan korban tergilas mesin molen saat membersihkan sisa adukan tanpa mematikan mesin. Dua jari "
         "diamputasi; korban dirawat dan menjalani terapi selama empat bulan. Dokter menetapkan cacat sebagian "
         "tetap.", stage1=199, outcome=Out.PARTIAL_DISABILITY, outcome_at=120, stage2=119, documents_at=100,
         submitted=95, paid=85,
         items=(("jkk_medical", 12_400_000), ("jkk_partial_disability", 8_000_000), ("jkk_stmb", 4_000_000))),
    Case("kidney_paid", M, S.PAID, SELLERS + BUILDERS + ("farmer",), "self", True, 260, RSUD,
         "Korban menderita gagal ginjal dan menjalani cuci darah dua kali seminggu. Korban meninggal dunia di "
         f"ruang perawatan {RSUD}.", family=True, stage1=258, documents_at=230, submitted=225, paid=215,
         items=JKM_ITEMS),
    Case("fall_death_paid", J, S.PAID, BUILDERS, "city", True, 90, "Proyek gedung, Jl. Ahmad Yani",
         "Korban jatuh dari lantai tiga bangunan yang sedang dicor saat memasang bekisting, tanpa tali pengaman. "
         f"Korban dibawa ke {RSUD} dengan cedera kepala berat dan meninggal dunia keesokan harinya.", stage1=90,
         outcome=Out.DEATH, outcome_at=89, stage2=88, documents_at=60, submitted=55, paid=47, school_children=True,
         items=(("jkk_death", 48_000_000), ("jkk_funeral", 10_000_000), ("jkk_periodic", 12_000_000),
                ("jkk_medical", 6_300_000))),
    # --- Rejected by BPJSTK, with its reason.
    Case("holiday_rejected", J, S.REJECTED, (*OJEK, "driver"), "self", True, 60, "Pantai Tanjung Kasuari",
         "Korban terjatuh dari perahu saat berlibur bersama keluarga di Pantai Tanjung Kasuari; pergelangan kaki "
         "kanan patah. Keluarga mengira semua kecelakaan dijamin.", stage1=59, outcome=Out.RECOVERED, outcome_at=40,
         stage2=40, documents_at=30, submitted=28,
         reason="Bukan kecelakaan kerja: kejadian terjadi saat berlibur bersama keluarga, tidak dalam hubungan "
                "kerja atau perjalanan ke atau dari tempat kerja (hasil verifikasi BPJSTK Cabang Sorong)."),
    Case("arrears_rejected", J, S.REJECTED, SELLERS, "self", False, 75, "Pasar Remu",
         "Korban tersiram minyak panas dari wajan gorengan di lapaknya; lengan kanan luka bakar derajat dua. "
         f"Dirawat sepuluh hari di {RSUD}.", sex="F", stage1=74, outcome=Out.RECOVERED, outcome_at=50, stage2=49,
         documents_at=40, submitted=36,
         reason="Iuran peserta tertunggak pada tanggal kejadian; kepesertaan tidak dalam masa perlindungan "
                "sehingga manfaat JKK tidak dapat dibayar."),
    # --- Lapsed: opened shortly after an accident more than five years ago, never completed.
    Case("lapsed_port", J, S.LAPSED, ("port_labourer", "day_labourer", "construction_worker"), "self", False,
         FIVE_YEARS + 40, "Pelabuhan Sorong",
         "Kaki kanan korban tertimpa balok kayu besi saat bongkar muat di Pelabuhan Sorong. Keluarga pindah "
         "sementara ke Teminabuan; berkas klaim tidak pernah dilengkapi dan hak atas manfaat gugur lima tahun "
         "setelah kejadian.", stage1=FIVE_YEARS + 39, documents=("ktp",), documents_at=FIVE_YEARS + 30,
         opened=FIVE_YEARS + 35),
)


# The deceased's place in the household → each other member's place → that member as an heir.
_R, _H = Person.Relationship, ClaimHeir.Relationship
_PARENTS = {_R.HEAD.value: _H.PARENT.value, _R.SPOUSE.value: _H.PARENT.value}
HEIRS_OF: dict[str, dict[str, str]] = {
    _R.HEAD.value: {_R.SPOUSE.value: _H.SPOUSE.value, _R.CHILD.value: _H.CHILD.value,
                    _R.PARENT.value: _H.PARENT.value, _R.GRANDCHILD.value: _H.GRANDCHILD.value},
    _R.SPOUSE.value: {_R.HEAD.value: _H.SPOUSE.value, _R.CHILD.value: _H.CHILD.value,
                      _R.PARENT.value: _H.PARENT_IN_LAW.value, _R.GRANDCHILD.value: _H.GRANDCHILD.value},
    _R.CHILD.value: {**_PARENTS, _R.CHILD.value: _H.SIBLING.value},
    _R.PARENT.value: {_R.HEAD.value: _H.CHILD.value},
    _R.GRANDCHILD.value: {_R.HEAD.value: _H.GRANDPARENT.value, _R.SPOUSE.value: _H.GRANDPARENT.value},
    "other": {},
}


@dataclass(frozen=True)
class _Candidate:
    person_id: int
    payer: str
    job: str
    sex: str
    kelurahan_id: int
    household_id: int
    relationship: str


class _Seeder:
    def __init__(self, seed: int, today: dt.date) -> None:
        self.rng = random.Random(seed + SEED_OFFSET)
        self.today = today
        # The services check the office's dates against the real calendar: a demo seeded for a day
        # still to come stops its cases before any step that would lie in the future.
        self.now = timezone.localdate()
        self.system = system_user()
        self.operator = (User.objects.filter(role=Role.OPERATOR, is_active=True).order_by("username").first()
                         or self.system)
        self.family: dict[int, int] = {}  # household id → persons in it
        self.schooling: set[int | None] = set()  # households with a child aged 7 to 17
        self.pools = self._pools()
        self.used_persons: set[int] = set()
        self.used_households: set[int] = set()
        self.reserved: set[int] = set()  # kelurahan kept for the case about to miss its report
        self.uses: Counter[int] = Counter()
        self.facilitators: dict[int, User | None] = {}
        self.claims: list[Claim] = []

    def day(self, ago: int) -> dt.date:
        return self.today - dt.timedelta(days=ago)

    # --- Who ----------------------------------------------------------------------------------------

    def _pools(self) -> dict[str, list[_Candidate]]:
        oldest = _years_before(self.today, 60)
        youngest = _years_before(self.today, 25)
        adults = {"death_date__isnull": True, "occupation__isnull": False, "birth_date__gt": oldest,
                  "birth_date__lte": youngest}
        family = dict(Person.objects.values("household_id").annotate(n=Count("id")).values_list("household_id", "n"))
        pools: dict[str, list[_Candidate]] = {"self": [], "city": [], "province": [], "none": []}
        seen: set[int] = set()
        rows = (Membership.objects.filter(**{f"person__{k}": v for k, v in adults.items()})
                .exclude(person__occupation__code="honorary_staff").order_by("person_id", "id")
                .values_list("person_id", "payer__code", "person__occupation__code", "person__sex",
                             "person__kelurahan_id", "person__household_id", "person__relationship"))
        for person_id, payer, job, sex, kelurahan_id, household_id, relationship in rows:
            if person_id in seen or payer not in PAYER_KINDS:
                continue
            seen.add(person_id)
            pools[PAYER_KINDS[payer]].append(_Candidate(person_id, PAYER_KINDS[payer], job, sex, kelurahan_id,
                                                        household_id, relationship))
        for person_id, job, sex, kelurahan_id, household_id, relationship in (
                Person.objects.filter(memberships__isnull=True, **adults).exclude(occupation__code="honorary_staff")
                .order_by("id").values_list("id", "occupation__code", "sex", "kelurahan_id", "household_id",
                                            "relationship")):
            pools["none"].append(_Candidate(person_id, "none", job, sex, kelurahan_id, household_id, relationship))
        for pool in pools.values():
            self.rng.shuffle(pool)
        self.family = family
        self.schooling = set(Person.objects.filter(
            relationship=Person.Relationship.CHILD, birth_date__gt=_years_before(self.today, 18),
            birth_date__lte=_years_before(self.today, 7)).values_list("household_id", flat=True))
        return pools

    def pick(self, case: Case) -> Person | None:
        event = self.day(case.event)
        order = {c.person_id: i for i, c in enumerate(self.pools[case.payer])}

        def rank(c: _Candidate) -> tuple[int, bool, int, int]:
            job = case.jobs.index(c.job) if c.job in case.jobs else len(case.jobs)
            return job, c.sex != case.sex, self.uses[c.kelurahan_id], order[c.person_id]

        candidates = sorted((c for c in self.pools[case.payer]
                             if c.person_id not in self.used_persons and c.household_id not in self.used_households
                             and c.kelurahan_id not in self.reserved
                             and (not case.needs_heirs or self.has_family(c))
                             and (not case.school_children or c.household_id in self.schooling)), key=rank)
        for candidate in candidates[:MAX_TRIES]:
            person = Person.objects.select_related("kelurahan").get(pk=candidate.person_id)
            if protection(person=person, day=event).protected != case.protected:
                continue
            self.used_persons.add(candidate.person_id)
            self.used_households.add(candidate.household_id)
            self.uses[candidate.kelurahan_id] += 1
            return person
        return None

    def has_family(self, c: _Candidate) -> bool:
        """A head of household or spouse living with others: the heirs come from the registry."""
        return c.relationship in (Person.Relationship.HEAD, Person.Relationship.SPOUSE) and self.family.get(
            c.household_id, 1) > 1

    def facilitator(self, person: Person) -> User | None:
        if person.kelurahan_id not in self.facilitators:
            self.facilitators[person.kelurahan_id] = (
                User.objects.filter(role=Role.FACILITATOR, is_active=True, areas__region_id=person.kelurahan_id)
                .order_by("username").first())
        return self.facilitators[person.kelurahan_id]

    def reserve_area_of(self, user: User | None, person: Person) -> None:
        if user is None:
            self.reserved.add(person.kelurahan_id)
            return
        self.reserved.update(AreaAssignment.objects.filter(user=user).values_list("region_id", flat=True))

    # --- What ---------------------------------------------------------------------------------------

    def seed(self, case: Case) -> Claim | None:
        try:
            claim_deadlines(case.type, self.day(case.event), params=current_parameters())
        except RulesInputError:
            return None  # an event before the benefit rules Jaring knows (a demo seeded for an early day)
        person = self.pick(case)
        if person is None:
            return None
        field = self.facilitator(person)
        if case.key == "about_to_miss":
            self.reserve_area_of(field, person)
        actor = self.operator if case.family or field is None else field
        today = self.today
        claim = claim_open(actor=actor, person=person, type=case.type, event_date=self.day(case.event),
                           event_place=case.place, chronology=case.chronology,
                           reported_by=Claim.ReportedBy.FAMILY if case.family else None,
                           today=self.day(case.opened) if case.opened is not None else today)
        if case.stage1 is not None:
            claim = claim_report_made(actor=actor, claim=claim, stage=1, reported_on=self.day(case.stage1), today=today)
        if case.outcome:
            claim = claim_outcome(actor=actor, claim=claim, outcome=case.outcome,
                                  outcome_date=self.day(case.outcome_at) if case.outcome_at is not None else None,
                                  today=today)
        if case.stage2 is not None:
            claim = claim_report_made(actor=actor, claim=claim, stage=2, reported_on=self.day(case.stage2), today=today)
        if case.needs_heirs:
            self.heirs(actor, claim, person)
        if case.names_children:
            self.children(actor, claim, person)
        self.documents(actor, claim, case)
        claim.refresh_from_db()
        if case.submitted is not None and claim.status == Claim.Status.DOCUMENTS_COMPLETE:
            submitted_on = self.day(case.submitted)
            if submitted_on > self.now:
                return claim
            number = f"{case.type.upper()}/SRG/{submitted_on:%Y%m}/{self.rng.randrange(1, 10**5):05d}"
            claim = claim_submit(actor=self.operator, claim=claim, bpjstk_number=number, submitted_on=submitted_on)
            if case.paid is not None and self.day(case.paid) <= self.now:
                claim = claim_settle(actor=self.operator, claim=claim, paid_idr=sum(a for _c, a in case.items),
                                     paid_on=self.day(case.paid),
                                     items=[{"code": c, "amount_idr": a} for c, a in case.items])
            elif case.reason:
                claim = claim_reject(actor=self.operator, claim=claim, reason=case.reason)
        return claim

    def documents(self, actor: User, claim: Claim, case: Case) -> None:
        complete = case.status not in (Claim.Status.REPORTED, Claim.Status.LAPSED)
        wanted = set(case.documents)
        codes = [d.code for d in claim.documents.all() if (complete and d.required) or d.code in wanted]
        if not codes or case.documents_at is None:
            return
        start = self.day(case.stage1 if case.stage1 is not None else case.event)
        end = max(self.day(case.documents_at), start)
        span = (end - start).days
        for i, code in enumerate(codes):
            received = start + dt.timedelta(days=span * (i + 1) // len(codes))
            claim_document_received(actor=actor, claim=claim, code=code, received_on=received, today=self.today)

    def heirs(self, actor: User, claim: Claim, person: Person) -> None:
        """The heirs from the deceased's household in the registry, in the regulation's order."""
        if person.household_id is None:
            return
        relation_of = HEIRS_OF.get(str(person.relationship), HEIRS_OF["other"])
        rows: list[tuple[Person, str]] = []
        for member in (Person.objects.filter(household_id=person.household_id).exclude(pk=person.pk)
                       .exclude(full_name=person.full_name).order_by("birth_date", "id")):
            relation = relation_of.get(str(member.relationship))
            if relation is not None:
                rows.append((member, relation))
        rows.sort(key=lambda r: ClaimHeir.PRIORITY[r[1]])
        for member, relation in rows:
            adult = age_on(member.birth_date, self.today) >= 17
            claim_heir_add(actor=actor, claim=claim, name=member.full_name, relationship=relation,
                           nik=member.nik if adult and relation == ClaimHeir.Relationship.SPOUSE else "",
                           phone=member.phone if adult else "")

    def children(self, actor: User, claim: Claim, person: Person) -> None:
        """The deceased's (or disabled's) children under 23 from the registry, for the scholarship: a
        grown child is named only when still studying; with more than two at school the family
        chooses the two youngest (DOMAIN §2.2)."""
        if person.household_id is None or person.relationship not in (Person.Relationship.HEAD,
                                                                       Person.Relationship.SPOUSE):
            return
        named: list[tuple[Person, str]] = []
        for child in (Person.objects.filter(household_id=person.household_id, relationship=Person.Relationship.CHILD,
                                            birth_date__lte=claim.event_date).exclude(full_name=person.full_name)
                      .order_by("-birth_date", "id")):
            age = age_on(child.birth_date, self.today)
            if age >= 23 or (age >= 19 and self.rng.random() < 0.6):
                continue  # grown up, or working rather than studying
            named.append((child, _school_level(age)))
        at_school = [child.pk for child, level in named if level not in ("", "belum_sekolah")]
        chosen = set(at_school[:2]) if len(named) > 2 else set()
        for child, level in named:
            claim_child_add(actor=actor, claim=claim, name=child.full_name, birth_date=child.birth_date,
                            level=level, chosen=child.pk in chosen)


def _school_level(age: int) -> str:
    """The level a child of ``age`` is at, as the scholarship rules name it ("": not at school)."""
    for low, level in ((19, "PT"), (16, "SMA"), (13, "SMP"), (7, "SD"), (5, "TK"), (0, "belum_sekolah")):
        if age >= low:
            return level
    return ""


def _years_before(day: dt.date, years: int) -> dt.date:
    return day.replace(year=day.year - years, day=28 if (day.month, day.day) == (2, 29) else day.day)


def seed_demo_claims(*, seed: int, today: dt.date) -> dict[str, int]:
    """The demo's claims, after the money loop (``jaring.demo.seed_money``); returns counts for the
    ``demo.seed`` audit event (the cases and the scholarship follow-ups their settlement opened). The
    lapsed case is opened with the services' ``today`` set to a day shortly after its event, and
    lapsed by the nightly run (``claims_lapse``) for the demo's ``today``."""
    seeder = _Seeder(seed, today)
    claims = [claim for claim in (seeder.seed(case) for case in CASES) if claim is not None]
    claims_lapse(actor=seeder.system, today=today)
    ids = [c.pk for c in claims]
    seeded = Claim.objects.filter(pk__in=ids) | Claim.objects.filter(origin__in=ids)
    statuses = Counter(seeded.values_list("status", flat=True))
    counts = {"claims": seeded.count(), "claims_follow_ups": seeded.exclude(origin=None).count(),
              "claims_unprotected": seeded.filter(protected_on_event_date=False).count()}
    counts.update({f"claims_{status}": statuses.get(status, 0) for status in Claim.Status.values})
    return counts
