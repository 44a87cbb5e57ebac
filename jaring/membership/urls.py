from django.urls import path

from jaring.membership import views

app_name = "membership"
urlpatterns = [
    path("wadah/", views.payer_list, name="payer_list"),
    # The money actions before the payer page, whose ``<path:code>/`` would take them as a code.
    path("wadah/<path:code>/tagihan/terbitkan/", views.payer_invoice_issue, name="invoice_issue"),
    path("wadah/<path:code>/tagihan/<int:invoice_id>/bayar/", views.payer_invoice_pay, name="invoice_pay"),
    # ``path``, not ``str``: a code created before codes were checked may hold a slash and must
    # still reverse (the payer list links every payer) and resolve.
    path("wadah/<path:code>/", views.payer_detail, name="payer_detail"),
    path("orang/<int:person_id>/daftar/", views.person_enrol, name="person_enrol"),
    path("orang/<int:person_id>/bayar/", views.payment_create, name="payment_create"),
    path("risiko/", views.at_risk_list, name="at_risk"),
]
