"""The FHIR R4 base, mounted at /fhir/R4/."""

from django.urls import URLPattern, URLResolver, path, re_path

from apps.fhir.api import exports, views
from apps.fhir.views_import import FhirTransactionApi

app_name = "fhir"

# Path keywords are FHIR's own (type, logical id); the FHIR permission matrix in
# tests/fhir covers these doors, the page matrix in tests/api does not apply.
TYPE = r"(?P<type_name>[A-Z][A-Za-z]{1,40})"
LOGICAL = r"(?P<logical>[A-Za-z0-9\-\.]{1,64})"

urlpatterns: list[URLPattern | URLResolver] = [
    # POST a transaction Bundle (an interface account): the import service.
    path("", FhirTransactionApi.as_view(), name="fhir-base"),
    path("metadata", views.metadata, name="metadata"),
    path(".well-known/smart-configuration", views.smart_configuration, name="smart-configuration"),
    path("auth/token", views.token, name="token"),
    path("Patient/$export", exports.export_patients, name="export-patients"),
    re_path(r"^Group/(?P<group>[0-9]{1,12})/\$export$", exports.export_group, name="export-group"),
    path("$export-status/<int:job>", exports.export_status, name="export-status"),
    re_path(
        r"^\$export-file/(?P<job>[0-9]{1,12})/(?P<name>[A-Za-z]{1,40}\.ndjson)$",
        exports.export_file,
        name="export-file",
    ),
    re_path(rf"^Patient/{LOGICAL}/\$everything$", views.everything, name="everything"),
    re_path(rf"^{TYPE}/{LOGICAL}$", views.instance, name="instance"),
    re_path(rf"^{TYPE}$", views.search, name="search"),
    # Keep last: anything else under the base is a 404 OperationOutcome, not a page.
    re_path(r"^.+$", views.unknown, name="unknown"),
]
