from django.urls import path

from apps.patients import views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="list"),
    path("<int:patient_id>/", views.patient_chart, name="chart"),
    path("break-glass/", views.break_glass, name="break_glass"),
    path("export.csv", views.patient_export, name="export"),
]
