"""Base views of every API endpoint (core, panels, offers): scope check, call audit, filters."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from rest_framework import generics, serializers
from rest_framework.exceptions import APIException, NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from phasetransfer.api.pagination import ApiPagination
from phasetransfer.api.permissions import HasScope, caller_scopes
from phasetransfer.api.scopes import Scope
from phasetransfer.api.services import api_call_record
from phasetransfer.models import ApiClient, User


def _caller(request: Request) -> tuple[ApiClient | None, User | None]:
    try:
        user, auth = request.user, request.auth
    except APIException:  # authentication itself failed before the view ran
        return None, None
    client = auth if isinstance(auth, ApiClient) else None
    person = user if isinstance(user, User) and user.is_authenticated else None
    return client, person


class AuditedMixin(APIView):
    """Writes one ``ApiCall`` per request, whatever its outcome, with the ids it touched."""

    audit_kind = ""  # the kind of object a list or detail touches, e.g. "cases"

    def touch(self, kind: str, ids: list[int]) -> None:
        touched: dict[str, list[int]] = self.__dict__.setdefault("_touched", {})
        touched.setdefault(kind, []).extend(ids)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        client, user = _caller(request)
        api_call_record(
            client=client,
            user=user,
            method=request.method or "",
            path=request.path,
            status=response.status_code,
            object_ids=self.__dict__.get("_touched", {}),
        )
        return response


class ScopedMixin(APIView):
    required_scopes: tuple[Scope, ...] = ()
    permission_classes = [HasScope]

    def scopes(self) -> frozenset[Scope]:
        return caller_scopes(self.request)


class ApiView(AuditedMixin, ScopedMixin, APIView):
    pass


class ApiListView(AuditedMixin, ScopedMixin, generics.ListAPIView):
    """A list filtered by query parameters validated with ``filter_class`` (400 if invalid)."""

    pagination_class = ApiPagination
    filter_class: type[serializers.Serializer] | None = None

    def filters(self) -> dict[str, Any]:
        if self.filter_class is None:
            return {}
        parsed = self.filter_class(data=self.request.query_params)
        parsed.is_valid(raise_exception=True)
        return dict(parsed.validated_data)

    def paginate_queryset(self, queryset: QuerySet[Any]) -> list[Any] | None:
        page = super().paginate_queryset(queryset)
        if page is not None and self.audit_kind:
            self.touch(self.audit_kind, [obj.pk for obj in page])
        return page


class ApiDetailView(AuditedMixin, ScopedMixin, generics.RetrieveAPIView):
    def get_object(self) -> Model:
        found = super().get_object()
        if self.audit_kind:
            self.touch(self.audit_kind, [found.pk])
        return found


class NotFoundView(AuditedMixin, APIView):
    """Any other path under /api/: a JSON 404, not the HTML page."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    schema = None

    def _not_found(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise NotFound("No such endpoint. The API is described at /api/schema/ and /api/docs/.")

    get = post = put = patch = delete = head = options = _not_found
