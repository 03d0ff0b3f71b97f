"""Tracking's pages: the script and collector websites call, Settings → Websites, the Visits tab."""

from django.urls import path

from kartoteka.tracking import views

app_name = "tracking"

urlpatterns = [
    path("t.js", views.tracker_script, name="script"),
    path("t/collect", views.collect, name="collect"),
    path("settings/websites/", views.sites, name="sites"),
    path("settings/websites/<int:site_id>/", views.site, name="site"),
    path("settings/websites/ads-clicks/", views.ads_clicks, name="ads-clicks"),
    path("contacts/<int:contact_id>/visits/", views.contact_visits, name="contact-visits"),
    path(
        "contacts/<int:contact_id>/monitoring-link/",
        views.monitoring_links,
        name="monitoring-links",
    ),
    path("settings/files/", views.public_files, name="files"),
    path("settings/files/<int:file_id>/delete/", views.delete_public_file, name="file-delete"),
    path("d/<str:key>", views.download_public_file, name="download"),
    path("reports/attribution/", views.attribution, name="attribution"),
    path("reports/attribution.xlsx", views.attribution_export, name="attribution-export"),
    path("t/m/<str:token>", views.open_monitoring_link, name="open-link"),
]
