from django.urls import path

from apps.patients import clinical_views, record_views, views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="list"),
    path("<int:patient_id>/", views.patient_chart, name="chart"),
    path("break-glass/", views.break_glass, name="break_glass"),
    path("<int:patient_id>/record/", record_views.patient_record, name="record"),
    path("<int:patient_id>/clinical/", clinical_views.patient_clinical, name="clinical"),
    path("<int:patient_id>/conditions/add/", clinical_views.condition_add, name="condition_add"),
    path(
        "<int:patient_id>/conditions/<int:condition_id>/resolve/",
        clinical_views.condition_resolve,
        name="condition_resolve",
    ),
    path("<int:patient_id>/encounters/add/", clinical_views.encounter_add, name="encounter_add"),
    path(
        "<int:patient_id>/sdoh-screens/add/",
        clinical_views.sdoh_screen_add,
        name="sdoh_screen_add",
    ),
    path(
        "<int:patient_id>/area-deprivation/",
        clinical_views.area_deprivation_set,
        name="area_deprivation_set",
    ),
    path("export.csv", views.patient_export, name="export"),
]
