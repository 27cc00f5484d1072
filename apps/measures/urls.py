from django.urls import path

from apps.measures import views

app_name = "measures"

urlpatterns = [
    path("", views.measures_page, name="page"),
    path("triage/", views.triage_queue, name="triage"),
    path("export.csv", views.measures_export, name="export"),
    path("<slug:code>/patients/", views.measure_patients, name="patients"),
]
