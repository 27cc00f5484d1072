from django.apps import AppConfig


class CareplansConfig(AppConfig):
    name = "apps.careplans"
    label = "careplans"

    def ready(self) -> None:
        from apps.careplans.timeline import plan_version_events
        from apps.patients.timeline import timeline_source_register

        timeline_source_register("plan", "Plan versions", plan_version_events)

        from apps.careplans.services.task_changes import intervention_task_changed
        from apps.tasks.models import TaskSource
        from apps.tasks.sources import task_source_register

        # A change to an intervention's task from any door becomes a plan version at once.
        task_source_register(TaskSource.CARE_PLAN_INTERVENTION, intervention_task_changed)
