from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "apps.measures"
    label = "measures"

    def ready(self) -> None:
        from apps.measures.triage import (
            triage_problems,
            triage_screen_recorded,
            triage_task_changed,
            triage_task_link,
        )
        from apps.patients.followers import sdoh_screen_follower_register
        from apps.tasks.models import TaskSource
        from apps.tasks.sources import (
            task_source_link_register,
            task_source_register,
            work_problem_register,
        )

        sdoh_screen_follower_register(triage_screen_recorded)
        task_source_register(TaskSource.SOCIAL_TRIAGE, triage_task_changed)
        task_source_link_register(TaskSource.SOCIAL_TRIAGE, triage_task_link)
        work_problem_register(triage_problems)
