from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "kartoteka.contacts"
    label = "contacts"
