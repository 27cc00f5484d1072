from django.urls import path

from apps.patients import api, clinical_api

urlpatterns = [
    path("patients/", api.PatientListCreateApi.as_view(), name="api-patient-list"),
    path("patients/break-glass/", api.BreakGlassApi.as_view(), name="api-patient-break-glass"),
    path("patients/<int:patient_id>/", api.PatientDetailApi.as_view(), name="api-patient-detail"),
    path(
        "patients/<int:patient_id>/conditions/",
        clinical_api.PatientConditionsApi.as_view(),
        name="api-patient-conditions",
    ),
    path(
        "patients/<int:patient_id>/conditions/<int:condition_id>/resolve/",
        clinical_api.ConditionResolveApi.as_view(),
        name="api-condition-resolve",
    ),
    path(
        "patients/<int:patient_id>/encounters/",
        clinical_api.PatientEncountersApi.as_view(),
        name="api-patient-encounters",
    ),
    path(
        "patients/<int:patient_id>/sdoh-screens/",
        clinical_api.PatientSdohScreensApi.as_view(),
        name="api-patient-sdoh-screens",
    ),
    path(
        "patients/<int:patient_id>/area-deprivation/",
        clinical_api.PatientAreaDeprivationApi.as_view(),
        name="api-patient-area-deprivation",
    ),
    path(
        "patients/<int:patient_id>/complexity/",
        clinical_api.PatientComplexityApi.as_view(),
        name="api-patient-complexity",
    ),
]
