from django.urls import path

from jaring.fieldwork import views

app_name = "fieldwork"
urlpatterns = [
    path("kerja/", views.worklist_view, name="worklist"),
    path("orang/<int:person_id>/kunjungan/", views.visit_record_view, name="visit_record"),
    path("sosialisasi/", views.event_list_view, name="event_list"),
    path("sosialisasi/baru/", views.event_create_view, name="event_create"),
    path("sosialisasi/laporan/", views.event_report_view, name="event_report"),
    path("sosialisasi/<int:event_id>/", views.event_detail_view, name="event_detail"),
    path("sosialisasi/<int:event_id>/peserta/", views.event_attendee_view, name="event_attendee"),
]
