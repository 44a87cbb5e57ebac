from django.urls import path

from jaring.membership import views

app_name = "membership"
urlpatterns = [
    path("wadah/", views.payer_list, name="payer_list"),
    # ``path``, not ``str``: a code created before codes were checked may hold a slash and must
    # still reverse (the payer list links every payer) and resolve.
    path("wadah/<path:code>/", views.payer_detail, name="payer_detail"),
    path("orang/<int:person_id>/bayar/", views.payment_create, name="payment_create"),
    path("risiko/", views.at_risk_list, name="at_risk"),
]
