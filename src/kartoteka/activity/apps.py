"""The activity app: the timeline and the team's work on a contact."""

from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "kartoteka.activity"
    label = "activity"

    def ready(self) -> None:
        from kartoteka.activity import services
        from kartoteka.core import events

        events.subscribe("contact.deleted", services.erase_stored_files)
