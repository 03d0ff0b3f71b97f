from django.apps import AppConfig


class SegmentsConfig(AppConfig):
    name = "kartoteka.segments"
    label = "segments"
