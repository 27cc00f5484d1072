from django.urls import path

from apps.measures import billing_views, trend_views, views

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
    path("trends/", trend_views.trends_page, name="trends"),
    path("trends/export.csv", trend_views.trends_export, name="trends_export"),
    path("trends/refresh/", trend_views.trends_refresh, name="trends_refresh"),
    # Time, consent and billing (DOMAIN 9).
    path("billing/", billing_views.billing_page, name="billing"),
    path("billing/export.csv", billing_views.billing_export, name="billing_export"),
    path("billing/close/", billing_views.billing_close, name="billing_close"),
    path("time/patients/<int:patient_id>/", billing_views.time_section, name="time_section"),
    path("time/patients/<int:patient_id>/timer/", billing_views.timer_start, name="timer_start"),
    path("time/patients/<int:patient_id>/add/", billing_views.time_add, name="time_add"),
    path("time/<int:entry_id>/stop/", billing_views.timer_stop, name="timer_stop"),
    path("time/<int:entry_id>/discard/", billing_views.timer_discard, name="timer_discard"),
    path("time/<int:entry_id>/edit/", billing_views.time_edit, name="time_edit"),
    path("time/<int:entry_id>/delete/", billing_views.time_delete, name="time_delete"),
    path("consent/patients/<int:patient_id>/", billing_views.consent_add, name="consent_add"),
    path("consent/<int:consent_id>/revoke/", billing_views.consent_revoke, name="consent_revoke"),
    path("<slug:code>/patients/", views.measure_patients, name="patients"),
    path("<slug:code>/patients.csv", views.measure_patients_export, name="patients_export"),
]
