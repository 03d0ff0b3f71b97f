from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kartoteka.accounts"
    label = "accounts"

    def ready(self) -> None:
        from kartoteka.accounts.relations import declare_relations

        declare_relations()
