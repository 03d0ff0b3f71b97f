from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "kartoteka.web"
    label = "web"
