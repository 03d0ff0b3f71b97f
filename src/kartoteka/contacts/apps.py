"""The contacts app: contacts, their e-mails, phones, companies, tags and custom details."""

from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "kartoteka.contacts"
    label = "contacts"

    def ready(self) -> None:
        from kartoteka.contacts.relations import declare_relations

        declare_relations()
        from kartoteka.activity import timeline
        from kartoteka.contacts import kinds, services

        timeline.register(*kinds.KINDS)
        # Entries that count as activity move the contact's last-activity time; the column
        # is contacts', so contacts moves it.
        timeline.on_activity(services.move_last_activity)
