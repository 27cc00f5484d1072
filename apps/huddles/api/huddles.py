"""The huddle API: huddles and series, scheduled, opened, refreshed, closed; minutes."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.http import AuthenticatedRequest
from apps.core.api_helpers import parse_input
from apps.core.exceptions import ApplicationError
from apps.core.filters import filters_or_error
from apps.huddles import selectors, services
from apps.huddles.api.serializers import (
    HuddleAttendanceInput,
    HuddleAttendanceSerializer,
    HuddleBoardSerializer,
    HuddleCloseInput,
    HuddleListSerializer,
    HuddlePreviewSerializer,
    HuddleReasonInput,
    HuddleScheduleInput,
    HuddleSerializer,
    HuddleSeriesCreateInput,
    HuddleSeriesSerializer,
    HuddleUpdateInput,
)
from apps.huddles.models import Huddle
from apps.teams.forms import TeamFilterForm, chosen_team_id
from apps.teams.models import CareTeam
from apps.teams.selectors import team_list_for_user

# --- views ------------------------------------------------------------------------------


def _board(request: AuthenticatedRequest, huddle: Huddle) -> dict[str, Any]:
    board = selectors.huddle_board_for_user(user=request.user, huddle=huddle)
    return dict(HuddleBoardSerializer(board).data)


def _huddle(request: AuthenticatedRequest, huddle_id: int) -> Huddle:
    return selectors.huddle_get_for_user(user=request.user, huddle_id=huddle_id)


def _for_team(
    request: AuthenticatedRequest, input_class: type[serializers.Serializer]
) -> tuple[CareTeam, dict[str, Any]]:
    """The parsed input and the team its `team_id` names, one of the user's (else a 400)."""
    values = parse_input(input_class, request.data)
    team = team_list_for_user(user=request.user).filter(pk=values.pop("team_id")).first()
    if team is None:
        raise ApplicationError(
            "No such care team among yours.", field_errors={"team_id": ["Unknown team."]}
        )
    return team, values


class HuddleListCreateApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("team_id", int, description="Only this team's huddles")],
        responses=HuddleListSerializer,
        operation_id="huddles_list",
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        form = TeamFilterForm(request.query_params, teams=team_list_for_user(user=request.user))
        team_id = chosen_team_id(filters_or_error(form))
        listing = selectors.huddle_list_for_user(user=request.user, team_id=team_id)
        return Response(HuddleListSerializer(listing).data)

    @extend_schema(request=HuddleScheduleInput, responses={201: HuddleSerializer})
    def post(self, request: AuthenticatedRequest) -> Response:
        team, values = _for_team(request, HuddleScheduleInput)
        huddle = services.huddle_schedule(actor=request.user, team=team, **values)
        return Response(HuddleSerializer(huddle).data, status=status.HTTP_201_CREATED)


class HuddleDetailApi(APIView):
    @extend_schema(responses=HuddleBoardSerializer)
    def get(self, request: AuthenticatedRequest, huddle_id: int) -> Response:
        return Response(_board(request, _huddle(request, huddle_id)))

    @extend_schema(request=HuddleUpdateInput, responses=HuddleSerializer)
    def patch(self, request: AuthenticatedRequest, huddle_id: int) -> Response:
        huddle = _huddle(request, huddle_id)
        data = parse_input(HuddleUpdateInput, request.data, partial=True)
        huddle = services.huddle_update(actor=request.user, huddle=huddle, **data)
        return Response(HuddleSerializer(huddle).data)


class HuddlePreviewApi(APIView):
    @extend_schema(responses=HuddlePreviewSerializer)
    def get(self, request: AuthenticatedRequest, huddle_id: int) -> Response:
        huddle = _huddle(request, huddle_id)
        preview = selectors.huddle_agenda_preview_for_user(user=request.user, huddle=huddle)
        rows = [
            {
                "patient_id": row.patient.pk,
                "source": str(row.candidate.source),
                "key": row.candidate.key,
                "title": row.candidate.title,
                "urgency": row.candidate.urgency,
                "carried": row.carried,
                "evidence": row.candidate.evidence_json(),
            }
            for row in preview.items
        ]
        return Response({"items": rows, "left_out": preview.left_out})


class HuddleOpenApi(APIView):
    @extend_schema(request=None, responses=HuddleBoardSerializer)
    def post(self, request: AuthenticatedRequest, huddle_id: int) -> Response:
        huddle = services.huddle_open(actor=request.user, huddle=_huddle(request, huddle_id))
        return Response(_board(request, huddle))


class HuddleRefreshApi(APIView):
    @extend_schema(request=None, responses=HuddleBoardSerializer)
    def post(self, request: AuthenticatedRequest, huddle_id: int) -> Response:
        huddle = services.huddle_agenda_refresh(
            actor=request.user, huddle=_huddle(request, huddle_id)
        )
        return Response(_board(request, huddle))


class HuddleCloseApi(APIView):
    @extend_schema(
        request=HuddleCloseInput,
        responses=HuddleBoardSerializer,
        description=(
            "Closes the huddle. With agenda items not reached, `carry_over: true` confirms "
            "that they open the team's next huddle; without it the answer is 409."
        ),
    )
    def post(self, request: AuthenticatedRequest, huddle_id: int) -> Response:
        huddle = _huddle(request, huddle_id)
        data = parse_input(HuddleCloseInput, request.data)
        huddle = services.huddle_close(
            actor=request.user, huddle=huddle, carry_over=data["carry_over"]
        )
        return Response(_board(request, huddle))


class HuddleCancelApi(APIView):
    @extend_schema(request=HuddleReasonInput, responses=HuddleSerializer)
    def post(self, request: AuthenticatedRequest, huddle_id: int) -> Response:
        huddle = _huddle(request, huddle_id)
        data = parse_input(HuddleReasonInput, request.data)
        huddle = services.huddle_cancel(actor=request.user, huddle=huddle, reason=data["reason"])
        return Response(HuddleSerializer(huddle).data)


class HuddleAttendanceApi(APIView):
    @extend_schema(request=HuddleAttendanceInput, responses=HuddleAttendanceSerializer)
    def post(self, request: AuthenticatedRequest, huddle_id: int) -> Response:
        huddle = _huddle(request, huddle_id)
        data = parse_input(HuddleAttendanceInput, request.data)
        row = services.huddle_attendance_set(actor=request.user, huddle=huddle, **data)
        return Response(HuddleAttendanceSerializer(row).data)


class HuddleMinutesApi(APIView):
    @extend_schema(responses=HuddleBoardSerializer)
    def get(self, request: AuthenticatedRequest, huddle_id: int) -> Response:
        huddle = _huddle(request, huddle_id)
        if huddle.status != "closed":
            raise ApplicationError("Minutes are written when the huddle closes.")
        return Response(_board(request, huddle))


class SeriesListCreateApi(APIView):
    @extend_schema(responses=HuddleSeriesSerializer(many=True), operation_id="huddle_series_list")
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response(
            HuddleSeriesSerializer(
                selectors.series_list_for_user(user=request.user), many=True
            ).data
        )

    @extend_schema(request=HuddleSeriesCreateInput, responses={201: HuddleSeriesSerializer})
    def post(self, request: AuthenticatedRequest) -> Response:
        team, values = _for_team(request, HuddleSeriesCreateInput)
        series = services.huddle_series_create(actor=request.user, team=team, **values)
        return Response(HuddleSeriesSerializer(series).data, status=status.HTTP_201_CREATED)


class SeriesEndApi(APIView):
    @extend_schema(request=None, responses=HuddleSeriesSerializer)
    def post(self, request: AuthenticatedRequest, series_id: int) -> Response:
        series = selectors.series_get_for_user(user=request.user, series_id=series_id)
        services.huddle_series_end(actor=request.user, series=series)
        series.refresh_from_db()
        return Response(HuddleSeriesSerializer(series).data)
