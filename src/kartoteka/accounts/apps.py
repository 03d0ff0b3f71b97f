"""The accounts app: users and their roles, API tokens, preferences, the workspace settings."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "kartoteka.accounts"
    label = "accounts"

    def ready(self) -> None:
        from kartoteka.accounts.relations import declare_relations
        from kartoteka.web import registry

        declare_relations()

        for page in (
            registry.SettingsPage(
                key="users", label=_("Users and roles"), url_name="web:settings-users", order=30
            ),
            registry.SettingsPage(
                key="workspace",
                label=_("New contacts"),
                url_name="web:settings-workspace",
                order=40,
            ),
            registry.SettingsPage(
                key="tokens",
                label=_("My API tokens"),
                url_name="web:tokens",
                order=900,
                admin_only=False,
            ),
        ):
            registry.register_settings_page(page)
