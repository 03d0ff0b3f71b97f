from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "kartoteka.privacy"
    label = "privacy"
