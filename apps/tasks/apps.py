from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "apps.tasks"
    label = "tasks"

    def ready(self) -> None:
        from apps.patients.timeline import timeline_source_register
        from apps.tasks.timeline import task_events

        timeline_source_register("task", "Tasks", task_events)

        from django.http import HttpRequest
        from django.urls import reverse

        from apps.core.admin_site import admin_home_warning_register
        from apps.tasks.notifications import failing_addresses_for_admin

        def failing_addresses(request: HttpRequest) -> list[str]:
            user = request.user
            if not user.is_active or not user.is_staff:
                return []
            count = failing_addresses_for_admin(user)  # type: ignore[arg-type]
            if not count:
                return []
            link = reverse("admin:tasks_emailaddressstatus_changelist") + "?failing=yes"
            return [
                f"{count} email address(es) keep being refused by the mail server: those "
                f"people get no email until their address is fixed ({link})."
            ]

        admin_home_warning_register(failing_addresses)
