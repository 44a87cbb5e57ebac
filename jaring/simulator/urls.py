from django.urls import path

from jaring.simulator import views

app_name = "simulator"
urlpatterns = [
    path("simulasi/", views.simulation, name="simulation"),
    path("parameter/", views.parameters, name="parameters"),
    path("istilah/", views.glossary, name="glossary"),
]
