"""What the huddle API reads and returns: input and output serializers."""

from typing import Any

from rest_framework import serializers

from apps.core import api_fields
from apps.huddles.due import DUE_CHOICES
from apps.huddles.models import Huddle, HuddleSeries, Weekday
from apps.patients.api_refs import PatientRefSerializer
from apps.tasks.models import TaskPriority
from apps.teams.api_refs import TeamRefSerializer

# --- output -----------------------------------------------------------------------------


class HuddleSerializer(api_fields.OutputModelSerializer):
    team = TeamRefSerializer()

    class Meta:
        model = Huddle
        fields = (
            "id",
            "team",
            "series_id",
            "title",
            "scheduled_start",
            "duration_minutes",
            "status",
            "opened_at",
            "closed_at",
            "cancelled_reason",
            "previous_id",
            "candidates_left_out",
        )
        read_only_fields = fields


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
    patient = PatientRefSerializer(source="item.patient")
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


class HuddleSeriesSerializer(api_fields.OutputModelSerializer):
    team = TeamRefSerializer()
    # A weekly clock time has no offset: the schema says local HH:MM.
    start_time = api_fields.WallClockTimeField()
    rule = serializers.CharField(source="rule_display")

    class Meta:
        model = HuddleSeries
        fields = (
            "id",
            "team",
            "title",
            "weekday",
            "start_time",
            "duration_minutes",
            "interval_weeks",
            "starts_on",
            "ends_on",
            "is_active",
            "rule",
        )
        read_only_fields = fields


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
    start_time = api_fields.WallClockTimeField()
    duration_minutes = serializers.IntegerField(required=False, min_value=5, max_value=240)
    interval_weeks = serializers.IntegerField(required=False, min_value=1, max_value=4, default=1)
    starts_on = api_fields.DateField(required=False, allow_null=True)
    ends_on = api_fields.DateField(required=False, allow_null=True)


class HuddleCloseInput(serializers.Serializer):
    carry_over = serializers.BooleanField(
        default=False, help_text="Items not reached carry over to the team's next huddle."
    )


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
