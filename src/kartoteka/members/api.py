"""REST endpoints of members: an admin's membership of a contact, and a website's check of a
member (a session token from e-mail and password, then /members/me with it)."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from kartoteka.accounts import throttle as token_throttle
from kartoteka.contacts.queries import get_contact
from kartoteka.core.addresses import client_address
from kartoteka.members import queries, services
from kartoteka.members import throttle as sign_in_throttle
from kartoteka.members.schemas import (
    MemberMeOut,
    MembershipIn,
    MembershipOut,
    SessionIn,
    SessionOut,
)

router = Router(tags=["members"])


class MemberToken(HttpBearer):
    """A member's session token (from POST /members/sessions); wrong ones count against the
    address like wrong API tokens."""

    def authenticate(self, request: HttpRequest, token: str):
        address = client_address(request)
        wait = token_throttle.seconds_locked(address)
        if wait:
            raise token_throttle.AddressLocked(wait)
        member = services.member_for_api_token(token)
        if member is None:
            token_throttle.record_failure(address)
            return None
        request.member = member
        return member


@router.get("/contacts/{contact_id}/membership", response=MembershipOut)
def read_membership(request: HttpRequest, contact_id: int):
    return queries.membership(request.user, contact_id).as_dict()


@router.post("/contacts/{contact_id}/membership", response=MembershipOut)
def set_membership(request: HttpRequest, contact_id: int, payload: MembershipIn):
    """Make the contact a member (or end it), set their groups (names; replaced when given)
    and send the invitation to set a password. Admins only."""
    contact = get_contact(request.user, contact_id)
    services.set_membership(
        request.user,
        contact,
        enabled=payload.enabled,
        groups=payload.groups,
        invite=payload.invite,
        language=payload.language,
    )
    return queries.membership_of(contact.pk).as_dict()


@router.post(
    "/members/sessions",
    auth=None,
    response={201: SessionOut},
)
def start_session(request: HttpRequest, payload: SessionIn):
    """A website signs a member in with their e-mail and password and gets a token that
    expires; throttled per address and per account like the team's sign-in."""
    wait = sign_in_throttle.seconds_locked(request, payload.email)
    if wait:
        raise token_throttle.AddressLocked(wait)
    member = services.authenticate(payload.email, payload.password)
    if member is None:
        sign_in_throttle.failed(request, payload.email)
        raise AuthenticationError(401, _("The e-mail or the password is wrong."))
    token, row = services.start_api_session(member)
    return Status(
        201,
        {
            "token": token,
            "expires_at": row.expires_at,
            "groups": queries.membership_of(member.contact_id).groups,
        },
    )


@router.get("/members/me", auth=MemberToken(), response=MemberMeOut)
def me(request: HttpRequest):
    """The member a session token belongs to, with their groups."""
    member = request.member
    contact = member.contact
    return {
        "contact_id": contact.pk,
        "email": contact.email,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "member_since": member.member_since,
        "groups": queries.membership_of(contact.pk).groups,
    }
