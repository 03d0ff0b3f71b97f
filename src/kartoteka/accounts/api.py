"""REST endpoints for the calling user: who am I, and my API tokens."""

from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from kartoteka.accounts import queries, services
from kartoteka.accounts.models import ApiToken
from kartoteka.core.errors import NotFound

router = Router(tags=["me"])


class MeOut(Schema):
    id: int
    username: str
    email: str
    first_name: str
    last_name: str
    role: str


class TokenIn(Schema):
    name: str = Field("", description="What the token is for, e.g. the integration's name")


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="The first characters, to tell tokens apart")
    created_at: datetime
    last_used_at: datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(description="The token itself. It is shown only this once.")


def _token(row: ApiToken) -> dict:
    return {
        "id": row.pk,
        "name": row.name,
        "prefix": row.prefix,
        "created_at": row.created_at,
        "last_used_at": row.last_used_at,
    }


@router.get("/me", response=MeOut)
def me(request: HttpRequest):
    user = request.user
    return {
        "id": user.pk,
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": user.role,
    }


@router.get("/me/tokens", response=list[TokenOut])
def list_tokens(request: HttpRequest):
    return [_token(t) for t in queries.tokens_of(request.user)]


@router.post("/me/tokens", response={201: NewTokenOut})
def create_token(request: HttpRequest, payload: TokenIn):
    row, token = services.create_token(request.user, request.user, name=payload.name)
    return Status(201, {**_token(row), "token": token})


@router.delete("/me/tokens/{token_id}", response={204: None})
def revoke_token(request: HttpRequest, token_id: int):
    row = queries.tokens_of(request.user).filter(pk=token_id).first()
    if row is None:
        raise NotFound(_("No such token."))
    services.revoke_token(request.user, row)
    return Status(204, None)
