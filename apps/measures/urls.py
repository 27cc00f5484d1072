from django.urls import path

from apps.measures import views

app_name = "measures"

urlpatterns = [
    path("", views.measures_page, name="page"),
    path("triage/", views.triage_queue, name="triage"),
    path("triage/<int:item_id>/assign/", views.triage_assign, name="triage_assign"),
    path("enrolment/", views.enrolment_page, name="enrolment"),
    path("equity/", views.equity_page, name="equity"),
    path("equity/export.csv", views.equity_export, name="equity_export"),
    path("enrolment/<int:patient_id>/enrol/", views.enrolment_enrol, name="enrol"),
    path("enrolment/<int:patient_id>/decline/", views.enrolment_decline, name="decline"),
    path("enrolment/<int:patient_id>/disenrol/", views.enrolment_disenrol, name="disenrol"),
    path("export.csv", views.measures_export, name="export"),
    path("<slug:code>/patients/", views.measure_patients, name="patients"),
]
