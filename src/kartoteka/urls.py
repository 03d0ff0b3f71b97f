"""URL map: the API under /api/, then every app's own urls.py (pages and fragments)."""

import importlib

from django.conf import settings
from django.urls import include, path, re_path

from kartoteka.api import api, not_found

urlpatterns = [
    path("api/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", not_found),
    path("i18n/", include("django.conf.urls.i18n")),
]

for _app in settings.INSTALLED_APPS:
    if not _app.startswith("kartoteka.") or _app == "kartoteka.web":
        continue
    try:
        importlib.import_module(f"{_app}.urls")
    except ModuleNotFoundError as exc:
        if exc.name != f"{_app}.urls":
            raise
        continue
    urlpatterns.append(path("", include(f"{_app}.urls")))

try:  # the web app's catch-all pages come last
    importlib.import_module("kartoteka.web.urls")
    urlpatterns.append(path("", include("kartoteka.web.urls")))
except ModuleNotFoundError as exc:
    if exc.name != "kartoteka.web.urls":
        raise
