"""REST API for huddles: input serializers parse, the same selectors and services act."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.http import AuthenticatedRequest
from apps.core import api_fields
from apps.core.exceptions import ApplicationError
from apps.core.filters import filters_or_error
from apps.huddles import permissions, selectors, services
from apps.huddles.due import DUE_CHOICES, due_at_for_choice
from apps.huddles.models import Huddle, Weekday
from apps.patients.selectors import patient_get_for_user
from apps.tasks.models import TaskPriority
from apps.teams.forms import TeamFilterForm, chosen_team_id
from apps.teams.selectors import team_list_for_user

# --- output -----------------------------------------------------------------------------


class HuddleTeamRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class HuddleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    team = HuddleTeamRefSerializer()
    series_id = serializers.IntegerField(allow_null=True)
    title = serializers.CharField()
    scheduled_start = api_fields.DateTimeField()
    duration_minutes = serializers.IntegerField()
    status = serializers.CharField()
    opened_at = api_fields.DateTimeField(allow_null=True)
    closed_at = api_fields.DateTimeField(allow_null=True)
    cancelled_reason = serializers.CharField()
    previous_id = serializers.IntegerField(allow_null=True)
    candidates_left_out = serializers.IntegerField()


class HuddleRoleAttendanceSerializer(serializers.Serializer):
    role = serializers.CharField()
    present = serializers.IntegerField()
    expected = serializers.IntegerField()


class HuddleMeasuresSerializer(serializers.Serializer):
    items = serializers.IntegerField()
    discussed = serializers.IntegerField()
    with_owned_task = serializers.IntegerField()
    owned_task_share = serializers.FloatField(allow_null=True)
    seconds_per_item = serializers.FloatField(allow_null=True)
    attendance_by_role = HuddleRoleAttendanceSerializer(many=True)


class HuddleRowSerializer(serializers.Serializer):
    huddle = HuddleSerializer()
    measures = HuddleMeasuresSerializer()


class HuddleListSerializer(serializers.Serializer):
    open = HuddleRowSerializer(many=True)
    upcoming = HuddleRowSerializer(many=True)
    past = HuddleRowSerializer(many=True)
    totals = HuddleMeasuresSerializer()
    closed_count = serializers.IntegerField()
    items_per_huddle = serializers.FloatField(allow_null=True)


class HuddlePatientRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    mrn = serializers.CharField()
    given_name = serializers.CharField()
    family_name = serializers.CharField()


class HuddleEvidenceSerializer(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]
    detail = serializers.CharField(allow_blank=True)
    object_type = serializers.CharField(allow_blank=True)
    object_id = serializers.IntegerField(allow_null=True)


class HuddleTaskLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    owner_id = serializers.IntegerField(allow_null=True)
    owner_name = serializers.CharField()
    due_at = api_fields.DateTimeField()
    status = serializers.CharField()


class HuddleItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="item.pk")
    position = serializers.IntegerField(source="item.position")
    patient = HuddlePatientRefSerializer(source="item.patient")
    source = serializers.CharField(source="item.source")  # type: ignore[assignment]
    key = serializers.CharField(source="item.key")
    title = serializers.CharField(source="item.title")
    evidence = HuddleEvidenceSerializer(source="item.evidence", many=True)
    urgency = serializers.IntegerField(source="item.urgency")
    status = serializers.CharField(source="item.status")
    decision = serializers.CharField(source="item.decision")
    reason = serializers.CharField(source="item.reason")
    carried_from_id = serializers.IntegerField(source="item.carried_from_id", allow_null=True)
    closed_at = api_fields.DateTimeField(source="item.closed_at", allow_null=True)
    seconds_spent = serializers.IntegerField(source="item.seconds_spent", allow_null=True)
    tasks = HuddleTaskLineSerializer(many=True)


class HuddleAttendanceSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    name = serializers.CharField(source="user.display_name")
    role = serializers.CharField()
    is_lead = serializers.BooleanField()
    present = serializers.BooleanField()


class HuddleBoardSerializer(serializers.Serializer):
    huddle = HuddleSerializer()
    items = HuddleItemSerializer(many=True)
    attendance = HuddleAttendanceSerializer(many=True)
    measures = HuddleMeasuresSerializer()


class HuddleSeriesSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    team = HuddleTeamRefSerializer()
    title = serializers.CharField()
    weekday = serializers.IntegerField()
    start_time = serializers.TimeField()
    duration_minutes = serializers.IntegerField()
    interval_weeks = serializers.IntegerField()
    starts_on = api_fields.DateField()
    ends_on = api_fields.DateField(allow_null=True)
    is_active = serializers.BooleanField()
    rule = serializers.CharField(source="rule_display")


class HuddleTaskCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    owner_id = serializers.IntegerField()
    due_at = api_fields.DateTimeField()
    source_type = serializers.CharField()
    source_id = serializers.IntegerField()


# --- input ------------------------------------------------------------------------------


class HuddleScheduleInput(serializers.Serializer):
    team_id = serializers.IntegerField()
    scheduled_start = api_fields.DateTimeField()
    duration_minutes = serializers.IntegerField(required=False, min_value=5, max_value=240)
    title = serializers.CharField(required=False, allow_blank=True, max_length=120)


class HuddleUpdateInput(serializers.Serializer):
    scheduled_start = api_fields.DateTimeField(required=False)
    duration_minutes = serializers.IntegerField(required=False, min_value=5, max_value=240)
    title = serializers.CharField(required=False, max_length=120)


class HuddleSeriesCreateInput(serializers.Serializer):
    team_id = serializers.IntegerField()
    title = serializers.CharField(required=False, allow_blank=True, max_length=120)
    weekday = serializers.ChoiceField(choices=Weekday.choices)
    start_time = serializers.TimeField()
    duration_minutes = serializers.IntegerField(required=False, min_value=5, max_value=240)
    interval_weeks = serializers.IntegerField(required=False, min_value=1, max_value=4, default=1)
    starts_on = api_fields.DateField(required=False, allow_null=True)
    ends_on = api_fields.DateField(required=False, allow_null=True)


class HuddleReasonInput(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, max_length=1000)


class HuddleAttendanceInput(serializers.Serializer):
    user_id = serializers.IntegerField()
    present = serializers.BooleanField()


class HuddleItemAddInput(serializers.Serializer):
    patient_id = serializers.IntegerField()
    title = serializers.CharField(max_length=200)
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    urgency = serializers.IntegerField(required=False, min_value=1, max_value=99, default=50)


class HuddleReorderInput(serializers.Serializer):
    item_ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)


class HuddleDecisionInput(serializers.Serializer):
    decision = serializers.CharField(allow_blank=True, max_length=4000)


class HuddleDiscussInput(serializers.Serializer):
    decision = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class HuddleTaskInput(serializers.Serializer):
    """One owner (a user id, not a list) and either a due time or a due shortcut."""

    title = serializers.CharField(max_length=200)
    owner_id = serializers.IntegerField()
    due_at = api_fields.DateTimeField(required=False)
    due = serializers.ChoiceField(choices=[choice.code for choice in DUE_CHOICES], required=False)
    priority = serializers.ChoiceField(choices=TaskPriority.choices, default=TaskPriority.ROUTINE)
    idempotency_key = serializers.CharField(required=False, max_length=64)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("due_at") and not attrs.get("due"):
            raise serializers.ValidationError({"due_at": ["Give due_at or a due shortcut."]})
        return attrs


# --- views ------------------------------------------------------------------------------


def _board(request: AuthenticatedRequest, huddle: Huddle) -> dict[str, Any]:
    board = selectors.huddle_board_for_user(user=request.user, huddle=huddle)
    return dict(HuddleBoardSerializer(board).data)


def _huddle(request: AuthenticatedRequest, huddle_id: int) -> Huddle:
    return selectors.huddle_get_for_user(user=request.user, huddle_id=huddle_id)


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
        data = HuddleScheduleInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        team = team_list_for_user(user=request.user).filter(pk=values.pop("team_id")).first()
        if team is None:
            raise ApplicationError(
                "No such care team among yours.", field_errors={"team_id": ["Unknown team."]}
            )
        huddle = services.huddle_schedule(actor=request.user, team=team, **values)
        return Response(HuddleSerializer(huddle).data, status=status.HTTP_201_CREATED)


class HuddleDetailApi(APIView):
    @extend_schema(responses=HuddleBoardSerializer)
    def get(self, request: AuthenticatedRequest, huddle_id: int) -> Response:
        return Response(_board(request, _huddle(request, huddle_id)))

    @extend_schema(request=HuddleUpdateInput, responses=HuddleSerializer)
    def patch(self, request: AuthenticatedRequest, huddle_id: int) -> Response:
        huddle = _huddle(request, huddle_id)
        data = HuddleUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        huddle = services.huddle_update(actor=request.user, huddle=huddle, **data.validated_data)
        return Response(HuddleSerializer(huddle).data)


class HuddlePreviewItemSerializer(serializers.Serializer):
    patient_id = serializers.IntegerField()
    source = serializers.CharField()  # type: ignore[assignment]
    key = serializers.CharField()
    title = serializers.CharField()
    urgency = serializers.IntegerField()
    carried = serializers.BooleanField()
    evidence = HuddleEvidenceSerializer(many=True)


class HuddlePreviewSerializer(serializers.Serializer):
    items = HuddlePreviewItemSerializer(many=True)
    left_out = serializers.IntegerField()


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
    @extend_schema(request=None, responses=HuddleBoardSerializer)
    def post(self, request: AuthenticatedRequest, huddle_id: int) -> Response:
        huddle = services.huddle_close(actor=request.user, huddle=_huddle(request, huddle_id))
        return Response(_board(request, huddle))


class HuddleCancelApi(APIView):
    @extend_schema(request=HuddleReasonInput, responses=HuddleSerializer)
    def post(self, request: AuthenticatedRequest, huddle_id: int) -> Response:
        huddle = _huddle(request, huddle_id)
        data = HuddleReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        huddle = services.huddle_cancel(
            actor=request.user, huddle=huddle, reason=data.validated_data["reason"]
        )
        return Response(HuddleSerializer(huddle).data)


class HuddleAttendanceApi(APIView):
    @extend_schema(request=HuddleAttendanceInput, responses=HuddleAttendanceSerializer)
    def post(self, request: AuthenticatedRequest, huddle_id: int) -> Response:
        huddle = _huddle(request, huddle_id)
        data = HuddleAttendanceInput(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.huddle_attendance_set(
            actor=request.user, huddle=huddle, **data.validated_data
        )
        return Response(HuddleAttendanceSerializer(row).data)


class HuddleItemAddApi(APIView):
    @extend_schema(request=HuddleItemAddInput, responses={201: HuddleItemSerializer})
    def post(self, request: AuthenticatedRequest, huddle_id: int) -> Response:
        huddle = _huddle(request, huddle_id)
        # Refuse before opening the patient: the lookup is audited as a record view.
        permissions.require_can_run_huddles(request.user, huddle.team_id)
        data = HuddleItemAddInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        patient = patient_get_for_user(user=request.user, patient_id=values.pop("patient_id"))
        item = services.huddle_item_add(
            actor=request.user, huddle=huddle, patient=patient, **values
        )
        return Response(_item_data(request, item.huddle, item.pk), status=status.HTTP_201_CREATED)


class HuddleReorderApi(APIView):
    @extend_schema(request=HuddleReorderInput, responses=HuddleBoardSerializer)
    def put(self, request: AuthenticatedRequest, huddle_id: int) -> Response:
        huddle = _huddle(request, huddle_id)
        data = HuddleReorderInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.huddle_agenda_reorder(
            actor=request.user, huddle=huddle, item_ids=data.validated_data["item_ids"]
        )
        return Response(_board(request, huddle))


def _item_data(request: AuthenticatedRequest, huddle: Huddle, item_id: int) -> dict[str, Any]:
    board = selectors.huddle_board_for_user(user=request.user, huddle=huddle, item_ids=[item_id])
    row = board.item_row(item_id)
    return dict(HuddleItemSerializer(row).data) if row is not None else {}


class HuddleItemActionApi(APIView):
    """POST .../items/<id>/<action>/ with action one of decision, discuss, skip, reopen."""

    @extend_schema(
        request=HuddleDiscussInput,
        responses=HuddleItemSerializer,
        operation_id="huddles_item_action",
        description="action: decision {decision}, discuss {decision?, reason?}, "
        "skip {reason}, reopen {}",
    )
    def post(
        self, request: AuthenticatedRequest, huddle_id: int, item_id: int, action: str
    ) -> Response:
        huddle = _huddle(request, huddle_id)
        item = selectors.huddle_item_get_for_user(user=request.user, huddle=huddle, item_id=item_id)
        if action == "decision":
            decision = HuddleDecisionInput(data=request.data)
            decision.is_valid(raise_exception=True)
            services.huddle_item_decision_record(
                actor=request.user, item=item, decision=decision.validated_data["decision"]
            )
        elif action == "discuss":
            discuss = HuddleDiscussInput(data=request.data)
            discuss.is_valid(raise_exception=True)
            services.huddle_item_discuss(
                actor=request.user,
                item=item,
                decision=discuss.validated_data.get("decision"),
                reason=discuss.validated_data.get("reason", ""),
            )
        elif action == "skip":
            reason = HuddleReasonInput(data=request.data)
            reason.is_valid(raise_exception=True)
            services.huddle_item_skip(
                actor=request.user, item=item, reason=reason.validated_data["reason"]
            )
        elif action == "reopen":
            services.huddle_item_reopen(actor=request.user, item=item)
        else:
            return Response({"detail": "Unknown action."}, status=status.HTTP_404_NOT_FOUND)
        return Response(_item_data(request, huddle, item.pk))


class HuddleItemTaskApi(APIView):
    @extend_schema(request=HuddleTaskInput, responses={201: HuddleTaskCreatedSerializer})
    def post(self, request: AuthenticatedRequest, huddle_id: int, item_id: int) -> Response:
        huddle = _huddle(request, huddle_id)
        item = selectors.huddle_item_get_for_user(user=request.user, huddle=huddle, item_id=item_id)
        data = HuddleTaskInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        members = selectors.team_members(team_id=huddle.team_id)
        owner = next((m.user for m in members if m.user_id == values["owner_id"]), None)
        if owner is None:
            raise ApplicationError(
                "The owner must be a person on the patient's care team.",
                field_errors={"owner_id": ["Choose a current member of the care team."]},
            )
        due_at = values.get("due_at")
        if due_at is None:
            settings = services.huddle_settings_for(huddle.team.organisation_id)
            due_at = due_at_for_choice(
                organisation=huddle.team.organisation,
                code=values["due"],
                hour=settings.task_due_hour,
            )
        task = services.huddle_item_task_create(
            actor=request.user,
            item=item,
            title=values["title"],
            owner=owner,
            due_at=due_at,
            priority=values["priority"],
            token=values.get("idempotency_key"),
        )
        return Response(HuddleTaskCreatedSerializer(task).data, status=status.HTTP_201_CREATED)


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
        data = HuddleSeriesCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        team = team_list_for_user(user=request.user).filter(pk=values.pop("team_id")).first()
        if team is None:
            raise ApplicationError(
                "No such care team among yours.", field_errors={"team_id": ["Unknown team."]}
            )
        series = services.huddle_series_create(actor=request.user, team=team, **values)
        return Response(HuddleSeriesSerializer(series).data, status=status.HTTP_201_CREATED)


class SeriesEndApi(APIView):
    @extend_schema(request=None, responses=HuddleSeriesSerializer)
    def post(self, request: AuthenticatedRequest, series_id: int) -> Response:
        series = selectors.series_get_for_user(user=request.user, series_id=series_id)
        services.huddle_series_end(actor=request.user, series=series)
        series.refresh_from_db()
        return Response(HuddleSeriesSerializer(series).data)
