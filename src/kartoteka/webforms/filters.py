"""Filter fields of the forms app: contacts who submitted a given form."""

from django.utils.translation import gettext_lazy as _

from kartoteka.segments.fields import Field, linked_ids, register, register_alias, related
from kartoteka.webforms.models import Submission, WebForm


def _submitted(values: list[str] | None):
    """Contacts with a submission of any of the forms (ids as text), read from the submissions'
    (form, contact) index."""
    submissions = Submission.objects.order_by()  # a set: no sorting
    if values is not None:
        submissions = submissions.filter(form_id__in=[int(v) for v in values])
    return submissions.values_list("contact_id")


def _forms() -> list[tuple[str, str]]:
    return [(str(pk), name) for pk, name in WebForm.objects.values_list("pk", "name")[:500]]


def register_fields() -> None:
    register(
        Field(
            "forms.submitted",
            _("Submitted the form"),
            "choice",
            related(_submitted),
            choices=_forms,
            group=_("Website"),
            ids=linked_ids(_submitted),
        )
    )
    register_alias("form", "forms.submitted")
