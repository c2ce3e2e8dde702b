"""Integration clients (create, deactivate) and the record of every API call."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Q

from phasetransfer.api.scopes import Scope
from phasetransfer.core import clock
from phasetransfer.models import ApiCall, ApiClient, User

TOKEN_PREFIX = "ptk_"
# Writing last_used_at on every call would turn each read into a write; once a minute will do.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class ApiClientRefused(ValueError):
    pass


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def api_client_create(
    *,
    name: str,
    scopes: Iterable[Scope],
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> tuple[ApiClient, str]:
    """A new client and its token. The token is returned once and never stored."""
    clean = name.strip()
    if not clean:
        raise ApiClientRefused("A client needs a name.")
    chosen = sorted({Scope(s).value for s in scopes})
    if not chosen:
        raise ApiClientRefused("A client needs at least one scope.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            client = ApiClient.objects.create(
                name=clean,
                token_hash=token_hash(token),
                token_prefix=token[: len(TOKEN_PREFIX) + 6],
                scopes=chosen,
                created_at=now or clock.now(),
                created_by=actor,
            )
    except IntegrityError:
        raise ApiClientRefused(f"There is already a client called {clean!r}.") from None
    return client, token


def api_client_deactivate(*, name: str) -> ApiClient:
    client = ApiClient.objects.filter(name=name.strip()).first()
    if client is None:
        raise ApiClientRefused(f"No client called {name!r}.")
    ApiClient.objects.filter(pk=client.pk).update(is_active=False)
    client.is_active = False
    return client


def api_client_for_token(token: str, *, now: dt.datetime | None = None) -> ApiClient | None:
    """The active client holding ``token``, noting that it was used; None for any other."""
    client = ApiClient.objects.filter(token_hash=token_hash(token), is_active=True).first()
    if client is None:
        return None
    moment = now or clock.now()
    stale = moment - LAST_USED_RESOLUTION
    ApiClient.objects.filter(pk=client.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale)
    ).update(last_used_at=moment)
    return client


def api_call_record(
    *,
    client: ApiClient | None,
    user: User | None,
    method: str,
    path: str,
    status: int,
    object_ids: dict[str, list[int]] | None = None,
    now: dt.datetime | None = None,
) -> ApiCall:
    """One line in the call log: ids only, never personal data (no query string, no body)."""
    return ApiCall.objects.create(
        client=client,
        user=user,
        method=method[:10],
        path=path[:300],
        status=status,
        at=now or clock.now(),
        object_ids=object_ids or {},
    )
