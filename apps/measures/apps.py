from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "apps.measures"
    label = "measures"
