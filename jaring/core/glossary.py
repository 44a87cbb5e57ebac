"""The words of social security, explained for people (issue 14: "BPU, KPJ and desil are never explained").

One entry per word, in plain Indonesian; the English comes from the translation catalogue like every
other text. Pages name a word with ``{% term "kpj" %}`` (``core/templatetags/glossary.py``), which links
it to its entry on the glossary page. The page is served by the simulator app (the people's help pages:
Simulasi, parameters, words) under the URL name below; core only knows the name.

Amounts and periods that are regulation parameters are not written here: an entry that needs one says
``%(max_arrears)s`` and the page fills it from the parameters in force.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

GLOSSARY_URL = "simulator:glossary"


@dataclass(frozen=True)
class Term:
    key: str  # the anchor: /istilah/#kpj
    word: str | Promise  # as pages write it: acronyms as they are, words translated
    name: str | Promise  # what it stands for, in one line (the link's title)
    text: str | Promise  # the explanation


TERMS: tuple[Term, ...] = (
    Term("bpjstk", "BPJS Ketenagakerjaan", _("Badan Penyelenggara Jaminan Sosial Ketenagakerjaan"),
         _("Lembaga negara yang melindungi pekerja dari risiko kecelakaan kerja, kematian dan hari tua. Juga "
           "disebut BPJamsostek. Jaring membantu pemerintah kota mendaftarkan pekerja rentan ke sana dan "
           "memastikan iurannya dibayar.")),
    Term("bpu", "BPU", _("Bukan Penerima Upah: pekerja yang tidak digaji pemberi kerja"),
         _("Peserta BPJS Ketenagakerjaan yang bekerja sendiri atau tidak menerima gaji tetap: pedagang pasar, "
           "tukang ojek, nelayan, petani, buruh harian. Jaring melayani peserta BPU. Karyawan yang digaji "
           "(PU, Penerima Upah) didaftarkan oleh pemberi kerjanya dengan aturan lain.")),
    Term("kpj", "KPJ", _("Nomor kepesertaan BPJS Ketenagakerjaan"),
         _("Nomor peserta BPJS Ketenagakerjaan (11 digit) yang tertulis di kartu peserta. Nomor ini milik orang "
           "itu: bila ia berhenti membayar lalu mulai lagi, atau pindah wadah, nomornya tetap sama. Sebutkan "
           "nomor KPJ (bukan NIK) saat menanyakan iuran atau klaim ke BPJS Ketenagakerjaan.")),
    Term("wadah", _("wadah"), _("Kelompok atau lembaga yang mendaftarkan dan membayar iuran pekerja"),
         _("Lewat wadah pekerja BPU didaftarkan dan iurannya dibayar: pemerintah kota atau provinsi (APBD), dana "
           "desa atau kelurahan, CSR perusahaan, bank, badan zakat, gereja, atau pekerja itu sendiri (mandiri). "
           "BPJS Ketenagakerjaan membuat kode bayar untuk setiap wadah setiap bulan.")),
    Term("iuran", _("iuran"), _("Uang yang dibayar setiap bulan agar peserta terlindungi"),
         _("Sebulan terlindungi hanya bila iuran bulan itu dibayar. Untuk peserta BPU, iuran JKK dan JHT dihitung "
           "dari nominal penghasilan yang didaftarkan dan iuran JKM jumlahnya tetap; besarnya ada di halaman "
           "Parameter dan bisa dihitung di halaman Simulasi.")),
    Term("jkk", "JKK", _("Jaminan Kecelakaan Kerja"),
         _("Perlindungan bila peserta celaka saat bekerja atau dalam perjalanan kerja, atau sakit karena "
           "pekerjaannya: perawatan sesuai kebutuhan medis tanpa batas biaya, pengganti penghasilan selama belum "
           "bisa bekerja (STMB), santunan bila cacat atau meninggal, dan beasiswa anak. Wajib bagi peserta BPU.")),
    Term("jkm", "JKM", _("Jaminan Kematian"),
         _("Santunan untuk ahli waris bila peserta meninggal bukan karena kecelakaan kerja: santunan tunai, biaya "
           "pemakaman, dan beasiswa anak bila iuran sudah dibayar cukup lama. Wajib bagi peserta BPU.")),
    Term("jht", "JHT", _("Jaminan Hari Tua"),
         _("Tabungan hari tua: iuran dikumpulkan dan dibayarkan kembali bersama hasil pengembangannya menurut "
           "ketentuan, misalnya saat peserta berhenti bekerja, memasuki usia pensiun atau meninggal. Pilihan, "
           "tidak wajib, bagi peserta BPU.")),
    Term("stmb", "STMB", _("Sementara Tidak Mampu Bekerja"),
         _("Pengganti penghasilan dari JKK selama peserta belum bisa bekerja karena kecelakaan kerja. Untuk "
           "peserta BPU, \"upah\" adalah nominal penghasilan yang didaftarkan.")),
    Term("pbi", "PBI", _("Penerima Bantuan Iuran"),
         _("Orang yang iurannya dibayar pemerintah. Istilah ini dikenal dari BPJS Kesehatan. Untuk BPJS "
           "Ketenagakerjaan belum ada skema PBI nasional: iuran pekerja rentan dibayar pemerintah daerah "
           "(APBD), dana desa, atau pihak lain lewat wadah.")),
    Term("desil", _("desil"), _("Peringkat kesejahteraan keluarga, 1 sampai 10"),
         _("Keluarga diurutkan dari yang paling miskin (desil 1: sepersepuluh keluarga termiskin) sampai yang "
           "paling mampu (desil 10), menurut DTSEN atau data sebelumnya (P3KE, DTKS). Bantuan sosial biasanya "
           "menyasar desil 1–4; desil 1 lazim disebut miskin ekstrem (kebiasaan, bukan aturan hukum). Setiap "
           "desil dicatat dengan sumber dan tanggal datanya: desil dari data lama kurang dapat dipercaya.")),
    Term("dtsen", "DTSEN", _("Data Tunggal Sosial dan Ekonomi Nasional"),
         _("Data kesejahteraan keluarga yang sejak Inpres 4/2025 menggabungkan DTKS, Regsosek dan P3KE. BPS "
           "mencocokkannya dengan data kependudukan (Dukcapil) dan memperbaruinya setiap 3 bulan. Program "
           "pemerintah wajib memakainya untuk menentukan sasaran (Inpres 8/2025).")),
    Term("p3ke", "P3KE", _("Data Pensasaran Percepatan Penghapusan Kemiskinan Ekstrem"),
         _("Data keluarga miskin yang disusun untuk Inpres 4/2022; sejak 2025 digabung ke DTSEN. Desil dari "
           "ekstrak P3KE yang lama tidak setara dengan desil DTSEN yang baru.")),
    Term("dtks", "DTKS", _("Data Terpadu Kesejahteraan Sosial"),
         _("Data Kementerian Sosial tentang keluarga penerima bantuan sosial; sejak 2025 digabung ke DTSEN.")),
    Term("tunggakan", _("tunggakan"), _("Iuran bulan yang sudah lewat dan belum dibayar"),
         _("Peserta BPU boleh membayar tunggakan paling banyak %(max_arrears)s bulan, tanpa denda. Bulan yang "
           "iurannya belum dibayar tidak terlindungi.")),
    Term("kedaluwarsa", _("masa kedaluwarsa"), _("Kepesertaan berakhir karena iuran tidak dibayar"),
         _("Bila iuran tidak dibayar lebih dari %(max_arrears)s bulan berturut-turut, kepesertaan berakhir "
           "(tidak aktif) dan pekerja tidak terlindungi lagi. Ia bisa mendaftar lagi kapan saja dengan NIK dan "
           "nomor KPJ yang sama.")),
)
BY_KEY = {term.key: term for term in TERMS}


def term_for(key: str) -> Term | None:
    return BY_KEY.get((key or "").strip().lower())
