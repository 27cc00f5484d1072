from django.urls import path

from apps.patients import api

urlpatterns = [
    path("patients/", api.PatientListCreateApi.as_view(), name="api-patient-list"),
    path("patients/break-glass/", api.BreakGlassApi.as_view(), name="api-patient-break-glass"),
    path("patients/<int:patient_id>/", api.PatientDetailApi.as_view(), name="api-patient-detail"),
]
