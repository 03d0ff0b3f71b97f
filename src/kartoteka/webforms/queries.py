"""Every read of the forms app; submissions start from the reader's scope."""

from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from kartoteka.contacts.queries import get_contact
from kartoteka.core.errors import NotFound
from kartoteka.core.scope import visible_contacts
from kartoteka.webforms.models import Submission, WebForm


def forms(_actor) -> QuerySet[WebForm]:
    """Every form: their names and settings are no one's personal data."""
    return WebForm.objects.select_related("mailing_list", "owner")


def get_form(actor, form_id: int) -> WebForm:
    form = forms(actor).filter(pk=form_id).first()
    if form is None:
        raise NotFound(_("No such form."))
    return form


def form_by_key(key: str) -> WebForm | None:
    if not isinstance(key, str) or len(key) > 32:
        return None
    return WebForm.objects.select_related("mailing_list", "owner").filter(key=key).first()


def submissions(actor, form: WebForm) -> QuerySet[Submission]:
    """The form's submissions by contacts the actor sees, newest first."""
    return Submission.objects.filter(form=form, contact__in=visible_contacts(actor)).select_related(
        "contact", "form"
    )


def contact_submissions(actor, contact_id: int) -> QuerySet[Submission]:
    """What the contact sent, newest first; NotFound outside the actor's scope."""
    contact = get_contact(actor, contact_id)
    return Submission.objects.filter(contact=contact).select_related("form")


def columns(form: WebForm) -> list[tuple[str, str]]:
    """(key, label) of a submission's values, in the form's order."""
    return [("email", _("E-mail")), *((f["key"], f["label"]) for f in form.fields)] + (
        [("consent", _("Consent"))] if form.consent_text else []
    )


def submission_counts(actor) -> dict[int, int]:
    """Submissions per form (form id -> count) by contacts the actor sees."""
    return dict(
        Submission.objects.filter(contact__in=visible_contacts(actor))
        .values("form_id")
        .annotate(n=Count("id"))
        .values_list("form_id", "n")
    )


def submissions_by(contacts: QuerySet, column: str, since, until) -> dict[str, int]:
    """For the attribution report: submissions sent in the period by `contacts`, per value of
    the contacts' `column`."""
    return dict(
        Submission.objects.filter(
            contact__in=contacts.values("pk"), submitted_at__gte=since, submitted_at__lt=until
        )
        .order_by()
        .values(f"contact__{column}")
        .annotate(n=Count("id"))
        .values_list(f"contact__{column}", "n")
    )


def submissions_per_form(actor, since, until) -> list[tuple[str, str, int]]:
    """For the attribution report: each form with its submissions in the period (by contacts
    the actor sees) and the address of its submissions page."""
    counts = dict(
        Submission.objects.filter(
            contact__in=visible_contacts(actor), submitted_at__gte=since, submitted_at__lt=until
        )
        .order_by()
        .values("form_id")
        .annotate(n=Count("id"))
        .values_list("form_id", "n")
    )
    return [
        (form.name, reverse("webforms:submissions", args=[form.pk]), counts.get(form.pk, 0))
        for form in WebForm.objects.order_by("name", "pk")
    ]
