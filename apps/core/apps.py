from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"

    def ready(self) -> None:
        from apps.core.admin_site import admin_home_warning_register, late_job_warnings

        admin_home_warning_register(late_job_warnings)
