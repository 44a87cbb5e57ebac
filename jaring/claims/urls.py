from django.urls import path

from jaring.claims import views

app_name = "claims"
urlpatterns = [
    path("klaim/", views.claim_list, name="claim_list"),
    path("klaim/<int:claim_id>/", views.claim_detail, name="claim_detail"),
    path("klaim/<int:claim_id>/berkas.pdf", views.claim_packet, name="claim_packet"),
    path("klaim/<int:claim_id>/dokumen/", views.claim_document, name="claim_document"),
    path("klaim/<int:claim_id>/ajukan/", views.claim_submit_view, name="claim_submit"),
    path("klaim/<int:claim_id>/bayar/", views.claim_settle_view, name="claim_settle"),
    path("klaim/<int:claim_id>/tolak/", views.claim_reject_view, name="claim_reject"),
    path("orang/<int:person_id>/klaim/baru/", views.claim_report, name="claim_report"),
]
