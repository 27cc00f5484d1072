"""REST API for transitions: explicit serializers over the same selectors and services."""

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.http import AuthenticatedRequest
from apps.core import api_fields
from apps.core.api_helpers import parse_input
from apps.core.exceptions import NotFoundError
from apps.core.filters import filters_or_error
from apps.patients.selectors import patient_get_for_user
from apps.tasks.models import Task
from apps.teams.selectors import team_active_members
from apps.transitions import selectors, services
from apps.transitions.forms import (
    MANUAL_KINDS,
    MANUAL_SOURCES,
    BoardFilterForm,
    EpisodeFilterForm,
    board_days,
)
from apps.transitions.models import (
    ChecklistItem,
    ContactKind,
    ContactOutcome,
    EpisodeStatus,
    FollowUp,
    FollowUpContact,
    Handoff,
    MedicationLine,
    MedicationReconciliation,
    Setting,
)
from apps.transitions.selectors import DischargeView, EpisodeView
from apps.transitions.services.reconciliation import LINE_FIELDS

# --- output ---------------------------------------------------------------------------


class TaskRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Task
        fields = ("id", "title", "status", "due_at", "owner_id", "completed_at")


class FollowUpContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = FollowUpContact
        fields = (
            "id",
            "follow_up_id",
            "task_id",
            "kind",
            "contact_at",
            "performed_by_id",
            "outcome",
            "attempts",
            "note",
        )


class FollowUpSerializer(serializers.ModelSerializer):
    contact_task = TaskRefSerializer(allow_null=True)
    visit_task = TaskRefSerializer(allow_null=True)

    class Meta:
        model = FollowUp
        fields = (
            "id",
            "status",
            "complexity",
            "owner_rule",
            "contact_due_at",
            "visit_due_at",
            "contact_task",
            "visit_task",
        )


class ChecklistItemSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="get_code_display")  # type: ignore[assignment]

    class Meta:
        model = ChecklistItem
        fields = ("id", "code", "label", "done_at", "done_by_id", "note")


class MedicationLineSerializer(serializers.ModelSerializer):
    changed_attributes = serializers.ListField(child=serializers.CharField())
    is_discrepancy = serializers.BooleanField()

    class Meta:
        model = MedicationLine
        fields = ("id", *LINE_FIELDS, "classification", "changed_attributes", "is_discrepancy")


class ReconciliationSerializer(serializers.ModelSerializer):
    lines = MedicationLineSerializer(many=True, source="lines.all")

    class Meta:
        model = MedicationReconciliation
        fields = (
            "id",
            "status",
            "performed_by_id",
            "performed_at",
            "verified_by_id",
            "verified_at",
            "verification_task_id",
            "lines",
        )


class HandoffSerializer(serializers.ModelSerializer):
    class Meta:
        model = Handoff
        fields = (
            "id",
            "sequence",
            "kind",
            "occurred_at",
            "from_setting",
            "to_setting",
            "facility",
            "location",
            "visit_number",
            "patient_class",
            "disposition",
            "discharged_to",
            "source",
            "inferred",
            "cancelled_at",
        )


class MeasuresSerializer(serializers.Serializer):
    contact = serializers.CharField()
    visit = serializers.CharField()
    reconciliation_by_visit = serializers.CharField()
    summary_before_visit = serializers.CharField()


class DischargeSerializer(serializers.Serializer):
    handoff_id = serializers.IntegerField(source="handoff.pk")
    checklist = ChecklistItemSerializer(many=True)
    follow_up = FollowUpSerializer(allow_null=True)
    reconciliation = ReconciliationSerializer(allow_null=True)
    measures = MeasuresSerializer()


class CostliestSerializer(serializers.Serializer):
    handoff_id = serializers.IntegerField(source="handoff.pk")
    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    weight = serializers.FloatField()
    gain = serializers.FloatField()


class RiskSerializer(serializers.Serializer):
    clean_probability = serializers.FloatField(source="clean")
    handoff_failure = serializers.SerializerMethodField()
    costliest_missing_item = CostliestSerializer(source="costliest", allow_null=True)

    def get_handoff_failure(self, risk: Any) -> dict[str, float]:
        return {str(row.handoff.pk): round(row.failure, 4) for row in risk.handoffs}


class EpisodeSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="episode.pk")
    patient_id = serializers.IntegerField(source="episode.patient_id")
    status = serializers.CharField(source="episode.status")
    started_at = api_fields.DateTimeField(source="episode.started_at")
    ended_at = api_fields.DateTimeField(source="episode.ended_at", allow_null=True)
    complexity = serializers.CharField(source="episode.complexity")
    watch_until = api_fields.DateTimeField(source="episode.watch_until", allow_null=True)
    readmitted_at = api_fields.DateTimeField(source="episode.readmitted_at", allow_null=True)
    readmission_of_id = serializers.IntegerField(
        source="episode.readmission_of_id", allow_null=True
    )
    chain = serializers.ListField(child=serializers.CharField())
    risk = RiskSerializer()


class EpisodeDetailSerializer(EpisodeSerializer):
    handoffs = HandoffSerializer(many=True)
    discharges = DischargeSerializer(many=True)


class EpisodeListItemSerializer(EpisodeSerializer):
    measures = serializers.SerializerMethodField()

    def get_measures(self, view: EpisodeView) -> dict[str, str] | None:
        last: DischargeView | None = view.last_discharge
        return last.measures.as_dict() if last else None


class BoardRowSerializer(serializers.Serializer):
    handoff = HandoffSerializer()
    episode_id = serializers.IntegerField(source="episode.pk")
    patient_id = serializers.IntegerField(source="patient.pk")
    readmitted_at = api_fields.DateTimeField(source="episode.readmitted_at", allow_null=True)
    follow_up = FollowUpSerializer(allow_null=True)
    missing = serializers.ListField(child=serializers.CharField())
    contact_overdue = serializers.BooleanField()
    visit_overdue = serializers.BooleanField()


# --- input ----------------------------------------------------------------------------


class TransitionRecordInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MANUAL_KINDS)
    occurred_at = api_fields.DateTimeField()
    setting = serializers.ChoiceField(choices=Setting.choices, required=False, allow_blank=True)
    facility = serializers.CharField(max_length=120, required=False, allow_blank=True)
    location = serializers.CharField(max_length=120, required=False, allow_blank=True)
    visit_number = serializers.CharField(max_length=64, required=False, allow_blank=True)
    disposition = serializers.CharField(max_length=20, required=False, allow_blank=True)
    source = serializers.ChoiceField(choices=MANUAL_SOURCES)  # type: ignore[assignment]
    source_reference = serializers.CharField(max_length=120, required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True)


class ChecklistItemInput(serializers.Serializer):
    done = serializers.BooleanField()
    done_at = api_fields.DateTimeField(required=False, allow_null=True)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class MedicationLineInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    on_pre_admission = serializers.BooleanField(required=False, default=False)
    pre_dose = serializers.CharField(max_length=60, required=False, allow_blank=True)
    pre_route = serializers.CharField(max_length=30, required=False, allow_blank=True)
    pre_frequency = serializers.CharField(max_length=60, required=False, allow_blank=True)
    on_discharge = serializers.BooleanField(required=False, default=False)
    discharge_dose = serializers.CharField(max_length=60, required=False, allow_blank=True)
    discharge_route = serializers.CharField(max_length=30, required=False, allow_blank=True)
    discharge_frequency = serializers.CharField(max_length=60, required=False, allow_blank=True)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)


class FollowUpContactInput(serializers.Serializer):
    contact_at = api_fields.DateTimeField()
    performed_by = serializers.IntegerField(help_text="The team member who made the contact")
    outcome = serializers.ChoiceField(choices=ContactOutcome.choices)
    attempts = serializers.IntegerField(min_value=1, max_value=50, default=1)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class MedicationLineUpdateInput(MedicationLineInput):
    name = serializers.CharField(max_length=120, required=False)
    on_pre_admission = serializers.BooleanField(required=False)
    on_discharge = serializers.BooleanField(required=False)


# --- views ----------------------------------------------------------------------------


def _episode_detail(request: AuthenticatedRequest, episode_id: int) -> dict[str, Any]:
    episode = selectors.episode_get_for_user(user=request.user, episode_id=episode_id)
    config = selectors.transition_settings_for(episode.patient.organisation_id)
    return dict(EpisodeDetailSerializer(selectors.episode_view(episode, config=config)).data)


class BoardApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("days", int, description="1 to 60, default 30")],
        responses=BoardRowSerializer(many=True),
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        days = board_days(filters_or_error(BoardFilterForm(request.query_params)))
        rows = selectors.transitions_board_for_user(user=request.user, days=days)
        return Response(BoardRowSerializer(rows, many=True).data)


class EpisodeListApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=EpisodeStatus.values)],
        responses=EpisodeListItemSerializer(many=True),
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        status_filter = filters_or_error(EpisodeFilterForm(request.query_params))["status"]
        views = selectors.episode_views_for_user(user=request.user, status=status_filter)
        return Response(EpisodeListItemSerializer(views, many=True).data)


class EpisodeDetailApi(APIView):
    @extend_schema(responses=EpisodeDetailSerializer)
    def get(self, request: AuthenticatedRequest, episode_id: int) -> Response:
        return Response(_episode_detail(request, episode_id))


class TransitionRecordApi(APIView):
    """Manual entry (phone, fax) of an admission, transfer or discharge for one patient."""

    @extend_schema(request=TransitionRecordInput, responses={201: EpisodeDetailSerializer})
    def post(self, request: AuthenticatedRequest, patient_id: int) -> Response:
        patient = patient_get_for_user(user=request.user, patient_id=patient_id)
        values = parse_input(TransitionRecordInput, request.data)
        handoff = services.transition_record(
            actor=request.user,
            patient=patient,
            kind=values["kind"],
            visit=services.VisitDetails.entered_by_hand(values),
        )
        return Response(
            _episode_detail(request, handoff.episode_id), status=status.HTTP_201_CREATED
        )


class ChecklistItemApi(APIView):
    @extend_schema(request=ChecklistItemInput, responses=ChecklistItemSerializer)
    def patch(self, request: AuthenticatedRequest, item_id: int) -> Response:
        item = selectors.checklist_item_get_for_user(user=request.user, item_id=item_id)
        values = parse_input(ChecklistItemInput, request.data)
        item = services.checklist_item_set(actor=request.user, item=item, **values)
        return Response(ChecklistItemSerializer(item).data)


class ReconciliationApi(APIView):
    """POST opens the reconciliation of a discharge (or returns the open one)."""

    @extend_schema(request=None, responses=ReconciliationSerializer)
    def post(self, request: AuthenticatedRequest, handoff_id: int) -> Response:
        handoff = selectors.handoff_get_for_user(user=request.user, handoff_id=handoff_id)
        services.reconciliation_start(actor=request.user, handoff=handoff)
        return _reconciliation_answer(handoff)


def _reconciliation(
    request: AuthenticatedRequest, handoff_id: int
) -> tuple[Handoff, MedicationReconciliation]:
    return selectors.reconciliation_get_for_user(user=request.user, handoff_id=handoff_id)


def _reconciliation_answer(handoff: Handoff) -> Response:
    """The reconciliation as it is now, after the change, with its lines."""
    return Response(
        ReconciliationSerializer(selectors.reconciliation_for_handoff(handoff=handoff)).data
    )


class MedicationLineCreateApi(APIView):
    @extend_schema(request=MedicationLineInput, responses={201: MedicationLineSerializer})
    def post(self, request: AuthenticatedRequest, handoff_id: int) -> Response:
        _handoff, reconciliation = _reconciliation(request, handoff_id)
        values = parse_input(MedicationLineInput, request.data)
        line = services.medication_line_add(
            actor=request.user, reconciliation=reconciliation, **values
        )
        return Response(MedicationLineSerializer(line).data, status=status.HTTP_201_CREATED)


class MedicationLineApi(APIView):
    @extend_schema(request=MedicationLineUpdateInput, responses=MedicationLineSerializer)
    def patch(self, request: AuthenticatedRequest, line_id: int) -> Response:
        line = selectors.medication_line_get_for_user(user=request.user, line_id=line_id)
        values = parse_input(MedicationLineUpdateInput, request.data, partial=True)
        line = services.medication_line_update(actor=request.user, line=line, **values)
        return Response(MedicationLineSerializer(line).data)

    @extend_schema(responses={204: None})
    def delete(self, request: AuthenticatedRequest, line_id: int) -> Response:
        line = selectors.medication_line_get_for_user(user=request.user, line_id=line_id)
        services.medication_line_remove(actor=request.user, line=line)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _ReconciliationStepApi(APIView):
    """A closing step of the reconciliation; answers with the reconciliation after it."""

    step: Callable[..., MedicationReconciliation]

    @extend_schema(request=None, responses=ReconciliationSerializer)
    def post(self, request: AuthenticatedRequest, handoff_id: int) -> Response:
        handoff, reconciliation = _reconciliation(request, handoff_id)
        self.step(actor=request.user, reconciliation=reconciliation)
        return _reconciliation_answer(handoff)


class ReconciliationCompleteApi(_ReconciliationStepApi):
    step = staticmethod(services.reconciliation_complete)


class ReconciliationVerifyApi(_ReconciliationStepApi):
    step = staticmethod(services.reconciliation_verify)


class FollowUpContactApi(APIView):
    """Documents the post-discharge contact (or visit) and completes its task in one step."""

    @extend_schema(request=FollowUpContactInput, responses={201: FollowUpContactSerializer})
    def post(self, request: AuthenticatedRequest, follow_up_id: int, which: str) -> Response:
        if which not in ContactKind.values:
            raise NotFoundError("No such follow-up task.")
        follow_up = selectors.follow_up_get_for_user(user=request.user, follow_up_id=follow_up_id)
        values = parse_input(FollowUpContactInput, request.data)
        members = team_active_members(team_ids=[follow_up.episode.patient.care_team_id])
        performer = next(
            (member.user for member in members if member.user_id == values["performed_by"]), None
        )
        record = services.follow_up_contact_record(
            actor=request.user,
            follow_up=follow_up,
            kind=which,
            details=services.ContactDetails(
                contact_at=values["contact_at"],
                performed_by=performer,
                outcome=values["outcome"],
                attempts=values["attempts"],
                note=values["note"],
            ),
        )
        return Response(FollowUpContactSerializer(record).data, status=status.HTTP_201_CREATED)
