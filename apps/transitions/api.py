"""REST API for transitions: explicit serializers over the same selectors and services."""

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.http import AuthenticatedRequest
from apps.core import api_fields
from apps.core.exceptions import ApplicationError, NotFoundError
from apps.core.filters import filters_or_error
from apps.patients.selectors import patient_get_for_user
from apps.teams.selectors import team_active_members
from apps.transitions import permissions, selectors, services
from apps.transitions.forms import (
    MANUAL_KINDS,
    MANUAL_SOURCES,
    BoardFilterForm,
    EpisodeFilterForm,
    board_days,
)
from apps.transitions.models import (
    ContactKind,
    ContactOutcome,
    EpisodeStatus,
    HandoffKind,
    Setting,
)
from apps.transitions.selectors import DischargeView, EpisodeView

# --- output ---------------------------------------------------------------------------


class TaskRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()
    due_at = api_fields.DateTimeField()
    owner_id = serializers.IntegerField(allow_null=True)
    completed_at = api_fields.DateTimeField(allow_null=True)


class FollowUpContactSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    follow_up_id = serializers.IntegerField()
    task_id = serializers.IntegerField()
    kind = serializers.CharField()
    contact_at = api_fields.DateTimeField()
    performed_by_id = serializers.IntegerField()
    outcome = serializers.CharField()
    attempts = serializers.IntegerField()
    note = serializers.CharField()


class FollowUpSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    complexity = serializers.CharField()
    owner_rule = serializers.CharField()
    contact_due_at = api_fields.DateTimeField()
    visit_due_at = api_fields.DateTimeField()
    contact_task = TaskRefSerializer(allow_null=True)
    visit_task = TaskRefSerializer(allow_null=True)


class ChecklistItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    label = serializers.CharField(source="get_code_display")  # type: ignore[assignment]
    done_at = api_fields.DateTimeField(allow_null=True)
    done_by_id = serializers.IntegerField(allow_null=True)
    note = serializers.CharField()


class MedicationLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    on_pre_admission = serializers.BooleanField()
    pre_dose = serializers.CharField()
    pre_route = serializers.CharField()
    pre_frequency = serializers.CharField()
    on_discharge = serializers.BooleanField()
    discharge_dose = serializers.CharField()
    discharge_route = serializers.CharField()
    discharge_frequency = serializers.CharField()
    classification = serializers.CharField()
    changed_attributes = serializers.ListField(child=serializers.CharField())
    reason = serializers.CharField()
    is_discrepancy = serializers.BooleanField()


class ReconciliationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    performed_by_id = serializers.IntegerField(allow_null=True)
    performed_at = api_fields.DateTimeField(allow_null=True)
    verified_by_id = serializers.IntegerField(allow_null=True)
    verified_at = api_fields.DateTimeField(allow_null=True)
    verification_task_id = serializers.IntegerField(allow_null=True)
    lines = MedicationLineSerializer(many=True, source="lines.all")


class HandoffSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sequence = serializers.IntegerField()
    kind = serializers.CharField()
    occurred_at = api_fields.DateTimeField()
    from_setting = serializers.CharField()
    to_setting = serializers.CharField()
    facility = serializers.CharField()
    location = serializers.CharField()
    visit_number = serializers.CharField()
    patient_class = serializers.CharField()
    disposition = serializers.CharField()
    discharged_to = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]
    inferred = serializers.BooleanField()
    cancelled_at = api_fields.DateTimeField(allow_null=True)


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
        permissions.require_can_manage_transitions(request.user, patient)
        data = TransitionRecordInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        kind = values["kind"]
        visit = services.VisitDetails(
            occurred_at=values["occurred_at"],
            setting=values.get("setting") or "",
            facility=values.get("facility", ""),
            location=values.get("location", ""),
            visit_number=values.get("visit_number", ""),
            disposition=values.get("disposition", ""),
            source=values["source"],
            source_reference=values.get("source_reference", ""),
            note=values.get("note", ""),
        )
        record = {
            HandoffKind.ADMISSION: services.transition_admit,
            HandoffKind.TRANSFER: services.transition_transfer,
            HandoffKind.DISCHARGE: services.transition_discharge,
        }[kind]
        handoff = record(actor=request.user, patient=patient, visit=visit)
        return Response(
            _episode_detail(request, handoff.episode_id), status=status.HTTP_201_CREATED
        )


class ChecklistItemApi(APIView):
    @extend_schema(request=ChecklistItemInput, responses=ChecklistItemSerializer)
    def patch(self, request: AuthenticatedRequest, item_id: int) -> Response:
        item = selectors.checklist_item_get_for_user(user=request.user, item_id=item_id)
        data = ChecklistItemInput(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.checklist_item_set(
            actor=request.user,
            item=item,
            done=data.validated_data["done"],
            done_at=data.validated_data.get("done_at") or timezone.now(),
            note=data.validated_data.get("note", ""),
        )
        return Response(ChecklistItemSerializer(item).data)


class ReconciliationApi(APIView):
    """POST opens the reconciliation of a discharge (or returns the open one)."""

    @extend_schema(request=None, responses=ReconciliationSerializer)
    def post(self, request: AuthenticatedRequest, handoff_id: int) -> Response:
        handoff = selectors.handoff_get_for_user(user=request.user, handoff_id=handoff_id)
        services.reconciliation_start(actor=request.user, handoff=handoff)
        return Response(
            ReconciliationSerializer(selectors.reconciliation_for_handoff(handoff=handoff)).data
        )


def _reconciliation(request: AuthenticatedRequest, handoff_id: int) -> Any:
    handoff = selectors.handoff_get_for_user(user=request.user, handoff_id=handoff_id)
    reconciliation = selectors.reconciliation_for_handoff(handoff=handoff)
    if reconciliation is None:
        raise ApplicationError("Start the reconciliation first.")
    return handoff, reconciliation


class MedicationLineCreateApi(APIView):
    @extend_schema(request=MedicationLineInput, responses={201: MedicationLineSerializer})
    def post(self, request: AuthenticatedRequest, handoff_id: int) -> Response:
        _handoff, reconciliation = _reconciliation(request, handoff_id)
        data = MedicationLineInput(data=request.data)
        data.is_valid(raise_exception=True)
        line = services.medication_line_add(
            actor=request.user, reconciliation=reconciliation, **data.validated_data
        )
        return Response(MedicationLineSerializer(line).data, status=status.HTTP_201_CREATED)


class MedicationLineApi(APIView):
    @extend_schema(request=MedicationLineUpdateInput, responses=MedicationLineSerializer)
    def patch(self, request: AuthenticatedRequest, line_id: int) -> Response:
        line = selectors.medication_line_get_for_user(user=request.user, line_id=line_id)
        data = MedicationLineUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        line = services.medication_line_update(actor=request.user, line=line, **data.validated_data)
        return Response(MedicationLineSerializer(line).data)

    @extend_schema(responses={204: None})
    def delete(self, request: AuthenticatedRequest, line_id: int) -> Response:
        line = selectors.medication_line_get_for_user(user=request.user, line_id=line_id)
        services.medication_line_remove(actor=request.user, line=line)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReconciliationCompleteApi(APIView):
    @extend_schema(request=None, responses=ReconciliationSerializer)
    def post(self, request: AuthenticatedRequest, handoff_id: int) -> Response:
        handoff, reconciliation = _reconciliation(request, handoff_id)
        services.reconciliation_complete(actor=request.user, reconciliation=reconciliation)
        return Response(
            ReconciliationSerializer(selectors.reconciliation_for_handoff(handoff=handoff)).data
        )


class ReconciliationVerifyApi(APIView):
    @extend_schema(request=None, responses=ReconciliationSerializer)
    def post(self, request: AuthenticatedRequest, handoff_id: int) -> Response:
        handoff, reconciliation = _reconciliation(request, handoff_id)
        services.reconciliation_verify(actor=request.user, reconciliation=reconciliation)
        return Response(
            ReconciliationSerializer(selectors.reconciliation_for_handoff(handoff=handoff)).data
        )


class FollowUpContactApi(APIView):
    """Documents the post-discharge contact (or visit) and completes its task in one step."""

    @extend_schema(request=FollowUpContactInput, responses={201: FollowUpContactSerializer})
    def post(self, request: AuthenticatedRequest, follow_up_id: int, which: str) -> Response:
        if which not in ContactKind.values:
            raise NotFoundError("No such follow-up task.")
        follow_up = selectors.follow_up_get_for_user(user=request.user, follow_up_id=follow_up_id)
        data = FollowUpContactInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
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
