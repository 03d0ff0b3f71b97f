"""Pages of the web app: sign-in, the contact list, the Clients view and account pages."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kartoteka.accounts import queries as account_queries
from kartoteka.accounts import services as account_services
from kartoteka.contacts import queries as contact_queries
from kartoteka.core.errors import KartotekaError


class SignInView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "web/password_change.html"
    success_url = reverse_lazy("web:contact-list")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, gettext_lazy("Your password was changed."))
        return response


@login_required
def contact_list(request: HttpRequest) -> HttpResponse:
    contacts, next_after = contact_queries.keyset_page(
        contact_queries.filter_contacts(request.user), after_id=None, limit=50
    )
    return render(
        request, "web/contact_list.html", {"contacts": contacts, "next_after": next_after}
    )


@login_required
def client_list(request: HttpRequest) -> HttpResponse:
    return contact_list(request)


@login_required
def settings_home(request: HttpRequest) -> HttpResponse:
    return redirect("web:tokens")


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    """The signed-in user's API tokens: create one (shown once) or revoke one."""
    new_token = ""
    if request.method == "POST":
        try:
            if "revoke" in request.POST:
                row = (
                    account_queries.tokens_of(request.user)
                    .filter(pk=request.POST["revoke"])
                    .first()
                )
                if row is not None:
                    account_services.revoke_token(request.user, row)
                    messages.success(request, _("The token was revoked."))
                return redirect("web:tokens")
            _row, new_token = account_services.create_token(
                request.user, request.user, name=request.POST.get("name", "")
            )
        except KartotekaError as exc:
            messages.error(request, exc.message)
    return render(
        request,
        "web/tokens.html",
        {"tokens": account_queries.tokens_of(request.user), "new_token": new_token},
    )
