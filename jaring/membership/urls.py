from django.urls import path

from jaring.membership import views, views_bpjstk

app_name = "membership"
urlpatterns = [
    path("wadah/", views.payer_list, name="payer_list"),
    # The money actions before the payer page, whose ``<path:code>/`` would take them as a code.
    path("wadah/<path:code>/tagihan/terbitkan/", views.payer_invoice_issue, name="invoice_issue"),
    path("wadah/<path:code>/tagihan/<int:invoice_id>/bayar/", views.payer_invoice_pay, name="invoice_pay"),
    path("wadah/<path:code>/aktifkan-kembali/", views_bpjstk.payer_reactivate, name="payer_reactivate"),
    # ``path``, not ``str``: a code created before codes were checked may hold a slash and must
    # still reverse (the payer list links every payer) and resolve.
    path("wadah/<path:code>/", views.payer_detail, name="payer_detail"),
    path("orang/<int:person_id>/daftar/", views.person_enrol, name="person_enrol"),
    path("orang/<int:person_id>/bayar/", views.payment_create, name="payment_create"),
    path("orang/<int:person_id>/akhiri/", views.membership_end_view, name="membership_end"),
    path("risiko/", views.at_risk_list, name="at_risk"),
    path("bpjstk/", views_bpjstk.bpjstk_exchange, name="bpjstk_exchange"),
    path("bpjstk/pekerjaan/<int:job_id>/", views_bpjstk.bpjstk_job, name="bpjstk_job"),
    path("bpjstk/pekerjaan/<int:job_id>/kemajuan/", views_bpjstk.bpjstk_job_progress, name="bpjstk_job_progress"),
    path("bpjstk/pekerjaan/<int:job_id>/laporan/", views_bpjstk.bpjstk_report, name="bpjstk_report"),
    path("bpjstk/periksa/", views_bpjstk.bpjstk_review, name="bpjstk_review"),
]
