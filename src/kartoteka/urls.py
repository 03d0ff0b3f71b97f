"""URL map: the API under /api/, then every app's own urls.py (pages and fragments).

Apps whose urls.py declare the same `app_name` share that namespace: the frame's own pages
and the contacts and accounts pages it first held are all named "web:…", the names that
templates and other apps link to."""

import importlib

from django.conf import settings
from django.urls import include, path, re_path

from kartoteka.api import api, not_found

urlpatterns = [
    path("api/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", not_found),
    path("i18n/", include("django.conf.urls.i18n")),
]

_pages: dict[str, list] = {}  # namespace → its patterns, in the order of INSTALLED_APPS
for _app in settings.INSTALLED_APPS:
    if not _app.startswith("kartoteka."):
        continue
    try:
        _urls = importlib.import_module(f"{_app}.urls")
    except ModuleNotFoundError as exc:
        if exc.name != f"{_app}.urls":
            raise
        continue
    _pages.setdefault(_urls.app_name, []).extend(_urls.urlpatterns)

urlpatterns += [path("", include((patterns, name))) for name, patterns in _pages.items()]
