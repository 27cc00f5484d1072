from django.urls import path

from apps.referrals import api

urlpatterns = [
    path("referrals/", api.ReferralListCreateApi.as_view(), name="api-referral-list"),
    path("referrals/measures/", api.ReferralMeasuresApi.as_view(), name="api-referral-measures"),
    path(
        "referrals/patients/<int:patient_id>/",
        api.PatientReferralsApi.as_view(),
        name="api-referral-patient",
    ),
    path(
        "referrals/<int:referral_id>/", api.ReferralDetailApi.as_view(), name="api-referral-detail"
    ),
    path(
        "referrals/<int:referral_id>/transition/",
        api.ReferralTransitionApi.as_view(),
        name="api-referral-transition",
    ),
    path(
        "referrals/<int:referral_id>/consent/",
        api.ReferralConsentApi.as_view(),
        name="api-referral-consent",
    ),
    path(
        "referrals/<int:referral_id>/reassign/",
        api.ReferralReassignApi.as_view(),
        name="api-referral-reassign",
    ),
    path(
        "referrals/<int:referral_id>/snooze/",
        api.ReferralSnoozeApi.as_view(),
        name="api-referral-snooze",
    ),
    path(
        "referrals/directory/services/",
        api.ResourceServiceListCreateApi.as_view(),
        name="api-directory-services",
    ),
    path(
        "referrals/directory/services/<int:service_id>/",
        api.ResourceServiceDetailApi.as_view(),
        name="api-directory-service",
    ),
    path(
        "referrals/directory/organisations/",
        api.ResourceOrganisationListCreateApi.as_view(),
        name="api-directory-organisations",
    ),
    path(
        "referrals/directory/organisations/<int:organisation_id>/",
        api.ResourceOrganisationDetailApi.as_view(),
        name="api-directory-organisation",
    ),
]
