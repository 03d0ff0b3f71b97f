from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "kartoteka.activity"
    label = "activity"
