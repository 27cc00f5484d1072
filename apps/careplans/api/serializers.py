"""The care plan API's serializers: output shapes, and input serializers that only parse."""

from rest_framework import serializers

from apps.accounts.api_refs import PersonRefSerializer
from apps.careplans.models import (
    AgreedBy,
    AgreementMethod,
    Barrier,
    ComB,
    ComBSubComponent,
    Goal,
    GoalDomain,
    GoalStatus,
    Intervention,
    Pathway,
)
from apps.core import api_fields

# --- output ------------------------------------------------------------------


class PathwaySerializer(api_fields.OutputModelSerializer):
    class Meta:
        model = Pathway
        fields = ("id", "code", "name", "url")
        read_only_fields = fields


class GoalSerializer(api_fields.OutputModelSerializer):
    owner = PersonRefSerializer()

    class Meta:
        model = Goal
        fields = (
            "id",
            "domain",
            "description",
            "target",
            "target_date",
            "status",
            "owner",
            "patient_steps",
        )
        read_only_fields = fields


class InterventionSerializer(api_fields.OutputModelSerializer):
    # Owner, due date and state are the intervention's task's: properties, not columns.
    owner = PersonRefSerializer(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    state = serializers.CharField()

    class Meta:
        model = Intervention
        fields = ("id", "goal_id", "description", "details", "owner", "due_at", "state", "task_id")
        read_only_fields = fields


class BarrierSerializer(api_fields.OutputModelSerializer):
    class Meta:
        model = Barrier
        fields = ("id", "component", "sub_component", "description", "intervention_id")
        read_only_fields = fields


class CarePlanListItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    patient_id = serializers.IntegerField()
    status = serializers.CharField()
    version_count = serializers.IntegerField()
    unsigned_since = api_fields.DateTimeField(allow_null=True)
    last_signed_at = api_fields.DateTimeField(allow_null=True)
    review_requested_at = api_fields.DateTimeField(allow_null=True)


class RightsSerializer(serializers.Serializer):
    edit_plan = serializers.BooleanField()
    goal_domains = serializers.ListField(child=serializers.CharField())
    sign = serializers.BooleanField()
    request_signoff = serializers.BooleanField()
    return_plan = serializers.BooleanField()


class CarePlanDetailSerializer(CarePlanListItemSerializer):
    what_matters = serializers.CharField()
    priorities = serializers.CharField()
    agreed_by = serializers.CharField()
    agreement_method = serializers.CharField()
    agreed_at = api_fields.DateTimeField(allow_null=True)
    caregiver_name = serializers.CharField()
    pam_level = serializers.IntegerField(allow_null=True)
    health_literacy_limited = serializers.BooleanField()
    advance_directive_reference = serializers.CharField()
    advance_directive_date = api_fields.DateField(allow_null=True)
    review_request_reason = serializers.CharField()
    returned_at = api_fields.DateTimeField(allow_null=True)
    return_comments = serializers.CharField()
    retired_at = api_fields.DateTimeField(allow_null=True)
    retired_reason = serializers.CharField()
    pathways = PathwaySerializer(many=True)
    goals = GoalSerializer(many=True)
    interventions = InterventionSerializer(many=True)
    barriers = BarrierSerializer(many=True)
    rights = RightsSerializer()


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    before = serializers.CharField()
    after = serializers.CharField()


class ItemChangeSerializer(serializers.Serializer):
    kind = serializers.CharField()
    id = serializers.IntegerField()
    title = serializers.CharField()
    context = serializers.CharField()  # type: ignore[assignment]
    changes = FieldChangeSerializer(many=True)


class PlanDiffSerializer(serializers.Serializer):
    plan = FieldChangeSerializer(many=True)
    goals = ItemChangeSerializer(many=True)
    interventions = ItemChangeSerializer(many=True)
    barriers = ItemChangeSerializer(many=True)
    is_empty = serializers.BooleanField()


class VersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    created_at = api_fields.DateTimeField()
    created_by = PersonRefSerializer(allow_null=True)
    summary = serializers.CharField()
    fingerprint = serializers.CharField()
    signed_at = api_fields.DateTimeField(allow_null=True)
    signed_by = PersonRefSerializer(allow_null=True)


class VersionDetailSerializer(VersionSerializer):
    snapshot = serializers.JSONField()


class ReviewSerializer(serializers.Serializer):
    plan_id = serializers.IntegerField(source="plan.pk")
    latest_version = serializers.IntegerField(source="latest_number")
    last_signed = VersionSerializer(allow_null=True)
    fingerprint = serializers.CharField()
    can_sign = serializers.BooleanField()
    diff = PlanDiffSerializer()


class VersionDiffSerializer(serializers.Serializer):
    from_version = serializers.IntegerField(allow_null=True)
    to_version = serializers.IntegerField()
    diff = PlanDiffSerializer()


class DueReviewSerializer(serializers.Serializer):
    plan_id = serializers.IntegerField(source="plan.pk")
    patient_id = serializers.IntegerField(source="patient.pk")
    family_name = serializers.CharField(source="patient.family_name")
    given_name = serializers.CharField(source="patient.given_name")
    team = serializers.CharField(source="patient.care_team_name")
    status = serializers.CharField(source="plan.status")
    reasons = serializers.ListField(child=serializers.CharField())
    waiting_since = api_fields.DateTimeField(allow_null=True)


# --- input -------------------------------------------------------------------


class CarePlanWriteSerializer(serializers.Serializer):
    what_matters = serializers.CharField(required=False, allow_blank=True)
    priorities = serializers.CharField(required=False, allow_blank=True)
    agreed_by = serializers.ChoiceField(choices=AgreedBy.choices, required=False, allow_blank=True)
    agreement_method = serializers.ChoiceField(
        choices=AgreementMethod.choices, required=False, allow_blank=True
    )
    agreed_at = api_fields.DateTimeField(required=False, allow_null=True)
    caregiver_name = serializers.CharField(required=False, allow_blank=True, max_length=120)
    pam_level = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=4)
    health_literacy_limited = serializers.BooleanField(required=False)
    pathway_ids = serializers.ListField(child=serializers.IntegerField(), required=False)
    advance_directive_reference = serializers.CharField(
        required=False, allow_blank=True, max_length=300
    )
    advance_directive_date = api_fields.DateField(required=False, allow_null=True)


class CarePlanCreateSerializer(CarePlanWriteSerializer):
    patient_id = serializers.IntegerField()


class GoalWriteSerializer(serializers.Serializer):
    domain = serializers.ChoiceField(choices=GoalDomain.choices)
    description = serializers.CharField(max_length=300)
    target = serializers.CharField(max_length=300)
    target_date = api_fields.DateField()
    status = serializers.ChoiceField(choices=GoalStatus.choices, required=False)
    owner_id = serializers.IntegerField()
    patient_steps = serializers.CharField(required=False, allow_blank=True)


class GoalUpdateSerializer(GoalWriteSerializer):
    domain = serializers.ChoiceField(choices=GoalDomain.choices, required=False)
    description = serializers.CharField(max_length=300, required=False)
    target = serializers.CharField(max_length=300, required=False)
    target_date = api_fields.DateField(required=False)
    owner_id = serializers.IntegerField(required=False)
    reason = serializers.CharField(required=False, allow_blank=True)


class InterventionCreateSerializer(serializers.Serializer):
    goal_id = serializers.IntegerField()
    description = serializers.CharField(max_length=200)
    owner_id = serializers.IntegerField()
    due_date = api_fields.DateField()
    details = serializers.CharField(required=False, allow_blank=True)


class InterventionUpdateSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=200, required=False)
    owner_id = serializers.IntegerField(required=False)
    due_date = api_fields.DateField(required=False)
    details = serializers.CharField(required=False, allow_blank=True)
    reason = serializers.CharField(required=False, allow_blank=True)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class BarrierWriteSerializer(serializers.Serializer):
    component = serializers.ChoiceField(choices=ComB.choices)
    sub_component = serializers.ChoiceField(
        choices=ComBSubComponent.choices, required=False, allow_blank=True
    )
    description = serializers.CharField(max_length=300)
    intervention_id = serializers.IntegerField(required=False, allow_null=True)


class BarrierUpdateSerializer(BarrierWriteSerializer):
    component = serializers.ChoiceField(choices=ComB.choices, required=False)
    description = serializers.CharField(max_length=300, required=False)


class SignoffRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, help_text="What the PCP should look at")


class ReturnSerializer(serializers.Serializer):
    comments = serializers.CharField(
        max_length=2000, help_text="What should change before the PCP signs"
    )


class ReturnedSerializer(serializers.Serializer):
    task_id = serializers.IntegerField(source="pk")
    owner = PersonRefSerializer()
    due_at = api_fields.DateTimeField()


class SignSerializer(serializers.Serializer):
    fingerprint = serializers.CharField(
        help_text="The fingerprint from GET .../review/: you sign what you reviewed"
    )
