"""The claims screens' forms: the field report, the steps on a claim (outcome, reports made, heirs,
scans, documents) and the office's (submit, settle, reject)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jaring.claims.models import Claim, ClaimHeir
from jaring.core.forms import IsoDateField
from jaring.core.parameters import current_parameters
from jaring.rules.claims import scholarship_level_names

# The web report is for the events a facilitator meets in the field; a scholarship follow-up comes
# from a settled claim, not from a report.
REPORT_TYPES = [(Claim.Type.JKK.value, _("JKK — kecelakaan kerja")),
                (Claim.Type.JKM.value, _("JKM — meninggal bukan karena kerja"))]


class ClaimReportForm(forms.Form):
    type = forms.ChoiceField(label=_("Jenis kejadian"), choices=[("", "—"), *REPORT_TYPES])
    event_date = IsoDateField(label=_("Tanggal kejadian"))
    event_place = forms.CharField(label=_("Tempat kejadian"), required=False, max_length=200)
    chronology = forms.CharField(label=_("Kronologi"), required=False, max_length=5000,
                                 help_text=_("Apa yang terjadi, kapan, di mana, siapa saksinya."),
                                 widget=forms.Textarea(attrs={"rows": 5}))
    reported_by = forms.ChoiceField(label=_("Dilaporkan oleh"), choices=Claim.ReportedBy.choices)


class DocumentReceivedForm(forms.Form):
    received_on = IsoDateField(label=_("Diterima pada"))


class SubmitForm(forms.Form):
    bpjstk_number = forms.CharField(label=_("Nomor klaim BPJSTK"), max_length=40)
    submitted_on = IsoDateField(label=_("Tanggal pengajuan"))


class SettleForm(forms.Form):
    paid_idr = forms.IntegerField(label=_("Jumlah dibayar (Rp)"), min_value=0,
                                  widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    paid_on = IsoDateField(label=_("Tanggal bayar"))


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Alasan penolakan"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Akibat kecelakaan"), choices=[("", "—"), *Claim.Outcome.choices])
    outcome_date = IsoDateField(label=_("Tanggal akibat"),
                                help_text=_("Hari sembuh, ditetapkan cacat, atau meninggal; laporan tahap II "
                                            "dihitung dari tanggal ini."))


STAGES = {1: _("Tahap I (kejadian)"), 2: _("Tahap II (sembuh, cacat, atau meninggal)")}


class ReportMadeForm(forms.Form):
    stage = forms.TypedChoiceField(label=_("Laporan ke BPJSTK"), coerce=int, widget=forms.RadioSelect)
    reported_on = IsoDateField(label=_("Dilaporkan pada"))

    def __init__(self, *args: Any, stages: tuple[int, ...] = (1, 2), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stage = self.fields["stage"]
        assert isinstance(stage, forms.TypedChoiceField)
        stage.choices = [(n, STAGES[n]) for n in stages]


class HeirForm(forms.Form):
    name = forms.CharField(label=_("Nama ahli waris"), max_length=150)
    relationship = forms.ChoiceField(label=_("Hubungan dengan almarhum"),
                                     choices=[("", "—"), *ClaimHeir.Relationship.choices],
                                     help_text=_("Urutan pilihan ini adalah urutan ahli waris menurut peraturan."))
    nik = forms.CharField(label=_("NIK ahli waris"), max_length=40, required=False,
                          help_text=_("Bila ada; disimpan terenkripsi."),
                          widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off",
                                                        "placeholder": "16 digit"}))
    phone = forms.CharField(label=_("Nomor HP"), max_length=30, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))


class ScanUploadForm(forms.Form):
    """A photo or PDF of one checklist item. On a phone ``capture`` opens the camera (the rear one)."""

    file = forms.FileField(label=_("Foto atau PDF"),
                           widget=forms.FileInput(attrs={"accept": "image/*,application/pdf",
                                                         "capture": "environment"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("JPEG, PNG, atau PDF; paling besar %(mb)s MB.") % {
            "mb": f"{settings.JARING_CLAIM_SCAN_MAX_BYTES / 1024 / 1024:.0f}"}


NOT_IN_SCHOOL = "belum_sekolah"  # the rules' name of "not in school yet" (the level left empty)


class ChildForm(forms.Form):
    """A child named for the scholarship (the school level as the rules name it)."""

    name = forms.CharField(label=_("Nama anak"), max_length=150)
    birth_date = IsoDateField(label=_("Tanggal lahir"))
    level = forms.ChoiceField(label=_("Jenjang sekolah sekarang"), required=False)
    chosen = forms.BooleanField(label=_("Dipilih keluarga untuk beasiswa"), required=False,
                                help_text=_("Bila anak lebih banyak dari yang dapat dibayar, yang dipilih "
                                            "didahulukan."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        level = self.fields["level"]
        assert isinstance(level, forms.ChoiceField)
        names = scholarship_level_names(timezone.localdate(), current_parameters())
        level.choices = [("", _("Belum sekolah")), *[(n, n) for n in names if n != NOT_IN_SCHOOL]]
