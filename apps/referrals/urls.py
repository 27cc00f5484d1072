from django.urls import path

from apps.referrals import views

app_name = "referrals"

urlpatterns = [
    path("", views.board, name="board"),
    path("measures/", views.measures, name="measures"),
    path("new/<int:patient_id>/", views.referral_create, name="create"),
    path("patient/<int:patient_id>/", views.patient_section, name="patient_section"),
    path("<int:referral_id>/", views.referral_detail, name="detail"),
    path("<int:referral_id>/transition/", views.referral_transition, name="transition"),
    path("<int:referral_id>/consent/", views.referral_consent, name="consent"),
    path("<int:referral_id>/reassign/", views.referral_reassign, name="reassign"),
    path("<int:referral_id>/snooze/", views.referral_snooze, name="snooze"),
    path("directory/", views.directory, name="directory"),
    path("directory/options/", views.service_options, name="service_options"),
    path("directory/organisations/new/", views.organisation_create, name="organisation_create"),
    path(
        "directory/organisations/<int:organisation_id>/",
        views.organisation_edit,
        name="organisation_edit",
    ),
    path(
        "directory/organisations/<int:organisation_id>/services/new/",
        views.service_create,
        name="service_create",
    ),
    path("directory/services/<int:service_id>/", views.service_edit, name="service_edit"),
]
