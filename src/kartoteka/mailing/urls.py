"""Pages of mailing lists and the public subscription pages."""

import functools

from anymail import urls as anymail_urls
from django.conf import settings
from django.http import Http404
from django.urls import URLPattern, include, path, re_path
from django.views.decorators.csrf import csrf_exempt

from kartoteka.mailing import views


def _when_secret_set(view):
    """A provider's webhook answers only once KARTOTEKA_EMAIL_WEBHOOK_SECRET is set, so nobody
    can mark addresses bounced without the secret."""

    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        if not settings.ANYMAIL.get("WEBHOOK_SECRET"):
            raise Http404
        return view(request, *args, **kwargs)

    return csrf_exempt(guarded)


_webhooks = [
    URLPattern(p.pattern, _when_secret_set(p.callback), p.default_args, p.name)
    for p in anymail_urls.urlpatterns
    if p.name and p.name.endswith("_tracking_webhook")
]

app_name = "mailing"

urlpatterns = [
    path("lists/", views.lists, name="lists"),
    path("lists/<int:list_id>/", views.list_page, name="list"),
    path("lists/<int:list_id>/edit/", views.edit_list, name="edit"),
    path("lists/<int:list_id>/delete/", views.delete_list, name="delete"),
    re_path(
        r"^lists/(?P<list_id>[0-9]+)/export\.(?P<format>csv|xlsx)$", views.export, name="export"
    ),
    path("lists/<int:list_id>/subscribe/", views.subscribe_matching, name="subscribe-matching"),
    path("lists/<int:list_id>/mail/", views.mail_list, name="mail"),
    path("lists/runs/<int:run_id>/", views.run_page, name="run"),
    path("lists/mailings/<int:mailing_id>/", views.mailing_page, name="mailing"),
    path("lists/selection/", views.bulk_subscribe, name="bulk-subscribe"),
    path("contacts/<int:contact_id>/lists/", views.card_subscribe, name="card-subscribe"),
    path("subscribe/<str:key>", views.subscribe, name="subscribe"),
    path("confirm/<str:token>", views.confirm, name="confirm"),
    path("unsubscribe/<str:token>", views.unsubscribe, name="unsubscribe"),
    path("preferences/<str:token>", views.preferences, name="preferences"),
    path("anymail/", include((_webhooks, "anymail"))),
]
