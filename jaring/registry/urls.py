from django.urls import path

from jaring.registry import household_views, import_views, review_views, views

app_name = "registry"
urlpatterns = [
    path("orang/", views.person_list, name="person_list"),
    path("orang/baru/", views.person_create, name="person_create"),
    path("orang/<int:person_id>/", views.person_detail, name="person_detail"),
    path("orang/<int:person_id>/ubah/", views.person_edit, name="person_edit"),
    path("orang/<int:person_id>/nik/", views.person_reveal_nik, name="person_reveal_nik"),
    path("orang/<int:person_id>/nik/ubah/", views.person_change_nik, name="person_change_nik"),
    path("keluarga/baru/", views.household_create, name="household_create"),
    path("keluarga/<int:household_id>/", views.household_detail, name="household_detail"),
    path("keluarga/<int:household_id>/ubah/", views.household_edit, name="household_edit"),
    path("keluarga/<int:household_id>/kk/ubah/", views.household_change_kk, name="household_change_kk"),
    path("keluarga/<int:household_id>/anggota/", household_views.household_members_step, name="household_members"),
    path("orang/<int:person_id>/keluarga/", household_views.person_move, name="person_move"),
]

urlpatterns += [
    path("duplikat/", review_views.duplicate_list, name="duplicate_list"),
    path("duplikat/pindai/", review_views.duplicate_scan, name="duplicate_scan"),
    path("duplikat/pindai/status/", review_views.duplicate_scan_status, name="duplicate_scan_status"),
    path("duplikat/<int:candidate_id>/", review_views.duplicate_detail, name="duplicate_detail"),
    path("duplikat/<int:candidate_id>/gabung/", review_views.duplicate_merge, name="duplicate_merge"),
    path("duplikat/<int:candidate_id>/bukan-duplikat/", review_views.duplicate_dismiss, name="duplicate_dismiss"),
    path("duplikat/penggabungan/<int:merge_id>/urungkan/", review_views.merge_undo, name="merge_undo"),
]

urlpatterns += [
    path("impor/", import_views.import_start, name="import_start"),
    path("impor/templat/", import_views.import_template, name="import_template"),
    path("impor/<int:job_id>/", import_views.import_detail, name="import_detail"),
    path("impor/<int:job_id>/kemajuan/", import_views.import_progress, name="import_progress"),
    path("impor/<int:job_id>/batal/", import_views.import_cancel, name="import_cancel"),
    path("impor/<int:job_id>/impor/", import_views.import_confirm, name="import_confirm"),
    path("impor/<int:job_id>/buang/", import_views.import_discard, name="import_discard"),
    path("impor/<int:job_id>/laporan/", import_views.import_report, name="import_report"),
]
