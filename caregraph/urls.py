from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apps.core.views import healthz
from apps.tasks import views as tasks_views

api_v1 = [
    path("", include("apps.patients.api_urls")),
    path("", include("apps.teams.api_urls")),
    path("", include("apps.huddles.api_urls")),
    path("", include("apps.referrals.api_urls")),
    path("", include("apps.tasks.api_urls")),
    path("", include("apps.careplans.api_urls")),
    path("", include("apps.interop.api_urls")),
    path("", include("apps.transitions.api_urls")),
]

urlpatterns = [
    path("", tasks_views.home, name="home"),
    path("accounts/", include("apps.accounts.urls")),
    path("patients/", include("apps.patients.urls")),
    path("huddles/", include("apps.huddles.urls")),
    path("work/", include("apps.tasks.urls")),
    path("careplans/", include("apps.careplans.urls")),
    path("referrals/", include("apps.referrals.urls")),
    path("transitions/", include("apps.transitions.urls")),
    path("interop/", include("apps.interop.urls")),
    path("measures/", include("apps.measures.urls")),
    path("fhir/R4/", include("apps.fhir.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

admin.site.site_header = "caregraph administration"
admin.site.site_title = "caregraph admin"
