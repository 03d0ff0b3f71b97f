"""REST endpoints: forms (admins change them) and submissions, in the reader's scope."""

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Status

from kartoteka.webforms import queries, services, views
from kartoteka.webforms.schemas import FormIn, FormOut, SubmissionOut

router = Router(tags=["forms"])


def _form_out(request: HttpRequest, form) -> dict:
    return {
        "id": form.pk,
        "key": form.key,
        "name": form.name,
        "fields": form.fields,
        "consent_text": form.consent_text,
        "tags": form.tags,
        "mailing_list": form.mailing_list_id,
        "owner": form.owner.username if form.owner else None,
        "thank_you": form.thank_you,
        "redirect_url": form.redirect_url,
        "page_url": request.build_absolute_uri(reverse("webforms:public", args=[form.key])),
        "snippet": views.snippet(request, form),
    }


def _submission_out(submission) -> dict:
    return {
        "id": submission.pk,
        "form_id": submission.form_id,
        "form": submission.form.name,
        "contact_id": submission.contact_id,
        "values": submission.values,
        "page_url": submission.page_url,
        "ip": submission.ip,
        "submitted_at": submission.submitted_at,
    }


@router.get("/forms", response=list[FormOut])
def list_forms(request: HttpRequest):
    """Every form, with its public page and the snippet to embed it."""
    return [_form_out(request, form) for form in queries.forms(request.user)]


@router.post("/forms", response={201: FormOut})
def create_form(request: HttpRequest, payload: FormIn):
    """Build a form (admins)."""
    form = services.create_form(request.user, data=payload.dict(exclude_unset=True))
    return Status(201, _form_out(request, form))


@router.get("/forms/{form_id}", response=FormOut)
def get_form(request: HttpRequest, form_id: int):
    return _form_out(request, queries.get_form(request.user, form_id))


@router.patch("/forms/{form_id}", response=FormOut)
def update_form(request: HttpRequest, form_id: int, payload: FormIn):
    """Change what the payload names (admins)."""
    form = queries.get_form(request.user, form_id)
    form = services.update_form(request.user, form, data=payload.dict(exclude_unset=True))
    return _form_out(request, form)


@router.delete("/forms/{form_id}", response={204: None})
def delete_form(request: HttpRequest, form_id: int):
    """Delete the form and its submissions (admins); the contacts stay."""
    services.delete_form(request.user, queries.get_form(request.user, form_id))
    return Status(204, None)


@router.get("/forms/{form_id}/submissions", response=list[SubmissionOut])
def form_submissions(request: HttpRequest, form_id: int):
    """The form's submissions by contacts the caller sees, newest first."""
    form = queries.get_form(request.user, form_id)
    return [_submission_out(s) for s in queries.submissions(request.user, form)[:1000]]


@router.get("/contacts/{contact_id}/submissions", response=list[SubmissionOut])
def contact_submissions(request: HttpRequest, contact_id: int):
    """What the contact sent with forms, newest first."""
    return [_submission_out(s) for s in queries.contact_submissions(request.user, contact_id)]
