from django.urls import path

from jaring.membership import views

app_name = "membership"
urlpatterns = [
    path("wadah/", views.payer_list, name="payer_list"),
    path("wadah/<str:code>/", views.payer_detail, name="payer_detail"),
    path("orang/<int:person_id>/bayar/", views.payment_create, name="payment_create"),
    path("risiko/", views.at_risk_list, name="at_risk"),
]
