from django.apps import AppConfig


class TransitionsConfig(AppConfig):
    name = "apps.transitions"
    label = "transitions"
