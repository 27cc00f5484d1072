from django.urls import path

from apps.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("mfa/verify/", views.mfa_verify, name="mfa_verify"),
    path("mfa/enrol/", views.mfa_enrol, name="mfa_enrol"),
    path("mfa/reset/", views.mfa_reset, name="mfa_reset"),
    path("security/", views.security, name="security"),
    path("security/tokens/<int:token_id>/revoke/", views.api_token_revoke, name="token_revoke"),
]
