from django.apps import AppConfig


class TransitionsConfig(AppConfig):
    name = "apps.transitions"
    label = "transitions"

    def ready(self) -> None:
        from apps.tasks.models import TaskSource
        from apps.tasks.sources import task_source_link_register, task_source_register
        from apps.transitions.task_sources import transition_task_changed, transition_task_link

        task_source_register(TaskSource.TRANSITION, transition_task_changed)
        task_source_link_register(TaskSource.TRANSITION, transition_task_link)
