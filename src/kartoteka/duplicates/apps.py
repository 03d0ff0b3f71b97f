from django.apps import AppConfig


class DuplicatesConfig(AppConfig):
    name = "kartoteka.duplicates"
    label = "duplicates"
