"""The claims screens' forms: the field report and the office's steps on a claim."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jaring.claims.models import Claim
from jaring.core.forms import IsoDateField

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
