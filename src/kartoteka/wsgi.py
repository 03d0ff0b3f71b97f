import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kartoteka.settings")
django_application = get_wsgi_application()

from kartoteka.tracking.collector import collector_first  # noqa: E402  (needs Django set up)

# Hits of tracked sites are answered before Django's middleware (tracking.collector).
application = collector_first(django_application)
