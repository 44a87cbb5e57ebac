from django.urls import path

from jaring.targeting import views

app_name = "targeting"
urlpatterns = [
    path("sasaran/", views.round_list, name="round_list"),
    path("sasaran/putaran/baru/", views.round_new, name="round_new"),
    path("sasaran/putaran/<int:round_id>/", views.round_detail, name="round_detail"),
    path("sasaran/putaran/<int:round_id>/<str:action>/", views.round_action, name="round_action"),
    path("sasaran/kebijakan/", views.policy_list, name="policy_list"),
    path("sasaran/kebijakan/baru/", views.policy_form, name="policy_create"),
    path("sasaran/kebijakan/<int:policy_id>/", views.policy_detail, name="policy_detail"),
    path("sasaran/kebijakan/<int:policy_id>/ubah/", views.policy_form, name="policy_edit"),
    path("sasaran/orang/<int:person_id>/", views.person_why, name="person_why"),
    path("sasaran/skenario/", views.scenarios, name="scenarios"),
]
