"""The field app's own words for its script, translated here and rendered into the shell as a JSON
block (``<script type="application/json">``): the CSP allows no inline script, and the shell must
work offline, so no catalogue is fetched at run time. ``%(n)s`` and the like are filled in by the
script."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

STRINGS = {
    "pending": _("%(n)s menunggu dikirim"),
    "conflicts": _("%(n)s perlu diperiksa"),
    "nothing_pending": _("Semua data sudah terkirim."),
    "online": _("Daring"),
    "offline": _("Luring"),
    "syncing": _("Mengirim…"),
    "synced_at": _("Sinkron terakhir: %(when)s"),
    "never_synced": _("Belum pernah sinkron. Buka halaman ini sekali saat ada sinyal."),
    "expires_on": _("Data di ponsel ini dihapus %(when)s bila tidak sinkron."),
    "wiped_expired": _("Data luring sudah dihapus: lebih dari %(n)s hari tanpa sinkron."),
    "wiped_user": _("Data luring pengguna lain dihapus dari ponsel ini."),
    "wiped_role": _("Aplikasi lapangan hanya untuk pendamping; data luring dihapus."),
    "session_ended": _("Sesi Anda berakhir. Masuk lagi untuk mengirim data yang menunggu."),
    "no_key": _("Buka halaman ini sekali saat ada sinyal untuk menyiapkan data luring."),
    "server_error": _("Server sedang bermasalah; data tetap disimpan dan dikirim nanti."),
    "saved": _("Disimpan di ponsel; dikirim saat ada sinyal."),
    "no_results": _("Tidak ada yang cocok."),
    "more_results": _("Dan %(n)s lainnya: persempit pencarian."),
    "truncated": _("Wilayah Anda lebih besar dari yang dapat disimpan; sebagian orang tidak ada di daftar."),
    "new_record": _("baru, belum terkirim"),
    "protected": _("Terlindungi"),
    "not_protected": _("Tidak terlindungi"),
    "not_member": _("Belum terdaftar sebagai peserta"),
    "kind_household": _("Keluarga"),
    "kind_person": _("Orang"),
    "kind_enrolment": _("Pendaftaran peserta"),
    "kind_claim": _("Laporan kejadian"),
    "kind_visit": _("Catatan kunjungan"),
    "status_pending": _("menunggu"),
    "status_conflict": _("perlu diperiksa"),
    "status_blocked": _("menunggu data yang dibutuhkannya"),
    "edit": _("Ubah lalu kirim ulang"),
    "discard": _("Buang"),
    "discard_confirm": _("Ya, buang data ini"),
    "discard_also": _("Data yang bergantung padanya ikut dibuang: %(n)s."),
    "discard_question": _("Buang data ini dari ponsel? Data ini belum tersimpan di server."),
    "use_existing": _("Pakai data yang sudah ada di server"),
    "cancel": _("Batal"),
    "household_none": _("— tanpa keluarga —"),
    "choose": _("— pilih —"),
    "nik_digits": _("NIK harus 16 angka."),
    "kk_digits": _("Nomor KK harus 16 angka."),
    "months_unpaid": _("%(n)s bulan menunggak"),
    "lapses_on": _("berakhir %(when)s"),
    "overdue": _("lewat tenggat"),
    "days_left": _("%(n)s hari lagi"),
    "nothing_here": _("Tidak ada."),
    "birth": _("Lahir"),
    "status": _("Status"),
    "logout_pending": _("%(n)s data belum terkirim dan akan hilang bila Anda keluar sekarang. Tetap keluar?"),
}


def js_strings() -> dict[str, str]:
    return {key: str(value) for key, value in STRINGS.items()}
