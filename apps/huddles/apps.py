from django.apps import AppConfig


class HuddlesConfig(AppConfig):
    name = "apps.huddles"
    label = "huddles"
