from django.urls import path

from jaring.registry import views

app_name = "registry"
urlpatterns = [
    path("orang/", views.person_list, name="person_list"),
    path("orang/baru/", views.person_create, name="person_create"),
    path("orang/<int:person_id>/", views.person_detail, name="person_detail"),
    path("orang/<int:person_id>/ubah/", views.person_edit, name="person_edit"),
    path("orang/<int:person_id>/nik/", views.person_reveal_nik, name="person_reveal_nik"),
    path("keluarga/baru/", views.household_create, name="household_create"),
    path("keluarga/<int:household_id>/", views.household_detail, name="household_detail"),
    path("keluarga/<int:household_id>/ubah/", views.household_edit, name="household_edit"),
]
