from django.urls import path

from jaring.accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("masuk/", views.login_view, name="login"),
    path("keluar/", views.logout_view, name="logout"),
    path("masuk/kode/", views.login_otp, name="login_otp"),
    path("akun/dua-langkah/", views.otp_enrol, name="otp_enrol"),
]
