"""The companies app: a company's page, people, timeline and notes, the companies list, merging
duplicate companies, and the import columns that map to a company record."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompaniesConfig(AppConfig):
    name = "kartoteka.companies"
    label = "companies"

    def ready(self) -> None:
        from kartoteka.companies import imports, views
        from kartoteka.companies.relations import declare_relations
        from kartoteka.transfer import columns
        from kartoteka.web import registry

        declare_relations()
        registry.register_nav(
            registry.NavItem(
                key="companies", label=_("Companies"), url_name="companies:list", order=22
            )
        )
        registry.register_card_section(
            registry.CardSection(
                key="companies",
                title=_("Other companies"),
                template="companies/_card_section.html",
                load=views.card_section_data,
                order=71,
                count=lambda context: len(context["memberships"]),
            )
        )
        registry.register_settings_page(
            registry.SettingsPage(
                key="company-fields",
                label=_("Company details"),
                url_name="companies:fields",
                order=62,
            )
        )
        columns.register(
            columns.ImportColumn(
                key="company_domain",
                label=_("Company domain"),
                apply=imports.apply_domains,
                prepare=imports.prepare_rows,
                headers=imports.DOMAIN_HEADERS,
            )
        )
