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
    path("klaim/<int:claim_id>/akibat/", views.claim_outcome_view, name="claim_outcome"),
    path("klaim/<int:claim_id>/laporan/", views.claim_reported_view, name="claim_reported"),
    path("klaim/<int:claim_id>/ahli-waris/", views.claim_heir_view, name="claim_heir"),
    path("klaim/<int:claim_id>/anak/", views.claim_child_view, name="claim_child"),
    path("klaim/<int:claim_id>/pindaian/", views.claim_scan_upload, name="claim_scan_upload"),
    path("klaim/<int:claim_id>/pindaian/<int:scan_id>/", views.claim_scan_view, name="claim_scan"),
    path("klaim/<int:claim_id>/pindaian/<int:scan_id>/hapus/", views.claim_scan_delete_view,
         name="claim_scan_delete"),
    path("orang/<int:person_id>/klaim/baru/", views.claim_report, name="claim_report"),
]
