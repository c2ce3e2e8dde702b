"""The core's endpoints: rounds (and their figures), cases, preferences and the cohort import."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from phasetransfer.api import cohort as cohort_api
from phasetransfer.api.base import ApiDetailView, ApiListView, ApiView
from phasetransfer.api.figures import RoundFiguresSerializer, figures_data
from phasetransfer.api.filters import CaseFilters, case_changed_since, filter_cases
from phasetransfer.api.scopes import ALL_SCOPES, Scope
from phasetransfer.api.selectors import cases_visible, preferences_visible, rounds_visible
from phasetransfer.api.serializers import (
    CaseSerializer,
    CohortJsonSerializer,
    CohortUploadSerializer,
    ImportErrorsSerializer,
    ImportResultSerializer,
    PreferenceSerializer,
    RoundSerializer,
)
from phasetransfer.coordination.figures import round_figures
from phasetransfer.coordination.selectors import progress_of
from phasetransfer.core import clock
from phasetransfer.core.csvfile import CsvRejected, RowProblem, read_upload
from phasetransfer.models import Case, Round, User


class RoundList(ApiListView):
    """Every transfer round (any scope may read them)."""

    required_scopes = tuple(ALL_SCOPES)
    serializer_class = RoundSerializer
    audit_kind = "rounds"

    def get_queryset(self) -> QuerySet[Round]:
        return rounds_visible(scopes=self.scopes()).order_by("pk")


def _with_progress(view: Any, cases: list[Case]) -> dict[str, Any]:
    rows = progress_of(Case.objects.filter(pk__in=[c.pk for c in cases]), now=clock.now())
    return {**view.get_serializer_context(), "progress": {row.case_id: row for row in rows}}


@extend_schema(parameters=[CaseFilters])
class CaseList(ApiListView):
    """Cases, oldest first, with each one's progress against the deadlines."""

    required_scopes = (Scope.CASES_READ,)
    serializer_class = CaseSerializer
    filter_class = CaseFilters
    audit_kind = "cases"

    def get_queryset(self) -> QuerySet[Case]:
        filters = self.filters()
        cases = filter_cases(cases_visible(scopes=self.scopes()), filters)
        if "updated_since" in filters:
            cases = cases.filter(case_changed_since(filters["updated_since"]))
        return cases

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset()) or []
        serializer = CaseSerializer(page, many=True, context=_with_progress(self, page))
        return self.get_paginated_response(serializer.data)


class CaseDetail(ApiDetailView):
    """One case by its reference (e.g. 27S-00042)."""

    required_scopes = (Scope.CASES_READ,)
    serializer_class = CaseSerializer
    lookup_field = "reference"
    audit_kind = "cases"

    def get_queryset(self) -> QuerySet[Case]:
        return cases_visible(scopes=self.scopes())

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        case = self.get_object()
        assert isinstance(case, Case)  # get_queryset's rows
        return Response(CaseSerializer(case, context=_with_progress(self, [case])).data)


class PreferenceFilters(CaseFilters):
    pass


@extend_schema(parameters=[PreferenceFilters])
class PreferenceList(ApiListView):
    """Families' ranked preferences (drafts included: staff consult them too)."""

    required_scopes = (Scope.PREFERENCES_READ,)
    serializer_class = PreferenceSerializer
    filter_class = PreferenceFilters
    audit_kind = "preferences"

    def get_queryset(self) -> QuerySet[Any]:
        filters = self.filters()
        preferences = filter_cases(
            preferences_visible(scopes=self.scopes()), filters, prefix="case__"
        )
        if "updated_since" in filters:
            preferences = preferences.filter(updated_at__gte=filters["updated_since"])
        return preferences


def _actor(request: Request) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


@extend_schema(
    request={
        "application/json": CohortJsonSerializer,
        "multipart/form-data": CohortUploadSerializer,
    },
    responses={
        201: ImportResultSerializer,
        400: OpenApiResponse(
            ImportErrorsSerializer, description="Nothing was imported; every problem is listed."
        ),
    },
)
class CohortImport(ApiView):
    """Import a round's cohort: JSON rows, or the cohort CSV as the multipart field ``file``.

    All-or-nothing, with the same checks as ``manage.py import_cohort``.
    """

    required_scopes = (Scope.COHORT_WRITE,)
    parser_classes = [JSONParser, MultiPartParser]
    audit_kind = "cases"

    def post(self, request: Request, round_id: int) -> Response:
        round_ = get_object_or_404(rounds_visible(scopes=self.scopes()), pk=round_id)
        self.touch("rounds", [round_.pk])
        try:
            outcome = self._import(request, round_)
        except ParseError as unreadable:  # the body is not the JSON or multipart it claims
            return _rejected([RowProblem(0, str(unreadable.detail))])
        if not outcome.ok or outcome.report is None:
            return _rejected(outcome.errors)
        imported = Case.objects.filter(round=round_, child__ehcp_reference__in=outcome.references)
        self.touch("cases", list(imported.values_list("pk", flat=True)))
        report = outcome.report
        body = {
            "rows": report.rows,
            "created": report.created,
            "updated": report.updated,
            "warnings": cohort_api.problems_json(report.warnings),
        }
        return Response(body, status=status.HTTP_201_CREATED)

    def _import(self, request: Request, round_: Round) -> cohort_api.Outcome:
        actor = _actor(request)
        if request.content_type.startswith("multipart/"):
            upload = request.FILES.get("file")
            if upload is None:
                problem = RowProblem(0, "send the CSV as the form field 'file'", "file")
                return cohort_api.Outcome(errors=[problem])
            try:
                csv_bytes = read_upload(upload)
            except CsvRejected as rejected:
                return cohort_api.Outcome(errors=[RowProblem(0, str(rejected), "file")])
            return cohort_api.import_cohort(round_=round_, csv_bytes=csv_bytes, actor=actor)
        csv_bytes, problems = cohort_api.rows_to_csv(request.data)
        if problems:
            return cohort_api.Outcome(errors=problems)
        return cohort_api.import_cohort(
            round_=round_, csv_bytes=csv_bytes, actor=actor, from_json=True
        )


def _rejected(problems: list[RowProblem]) -> Response:
    return Response(
        {"errors": cohort_api.problems_json(problems)}, status=status.HTTP_400_BAD_REQUEST
    )


class RoundFigures(ApiDetailView):
    """A round's figures, as on its round figures page: answered by the deadline (with and
    without conditional offers counting as answers, and of decided cases), placed by the
    start of the school year, preferences met, appeals (rate, independent settings,
    outcomes) and mediations, post-16 conditional offers (made, settled on results day, still
    open by the start of term), beside Kent's reported figures. Any scope may read them."""

    required_scopes = tuple(ALL_SCOPES)
    serializer_class = RoundFiguresSerializer
    lookup_url_kwarg = "round_id"
    audit_kind = "rounds"

    def get_queryset(self) -> QuerySet[Round]:
        return rounds_visible(scopes=self.scopes())

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        round_ = self.get_object()
        assert isinstance(round_, Round)  # get_queryset's rows
        now = clock.now()
        figures = round_figures(round_=round_, now=now)
        return Response(RoundFiguresSerializer(figures_data(figures, now=now)).data)
