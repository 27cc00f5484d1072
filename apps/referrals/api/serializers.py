"""What the referral API reads and returns: input and output serializers."""

from rest_framework import serializers

from apps.accounts.api_refs import PersonRefSerializer
from apps.core import api_fields
from apps.patients.api_refs import PatientRefSerializer
from apps.referrals.models import (
    ConsentMethod,
    Referral,
    ReferralUrgency,
    ResourceOrganisation,
    ResourceService,
    ServiceType,
)
from apps.referrals.services.directory import ORGANISATION_FIELDS, SERVICE_FIELDS

# --- output ----------------------------------------------------------------------------


class ResourceOrganisationSerializer(api_fields.OutputModelSerializer):
    # Read-only model fields lose allow_blank; said again, the schema accepts "" for none.
    email = serializers.EmailField(read_only=True, allow_blank=True)
    website = serializers.URLField(read_only=True, allow_blank=True)

    class Meta:
        model = ResourceOrganisation
        # What the directory keeps of a partner: the fields its services accept.
        fields = ["id", *ORGANISATION_FIELDS]
        read_only_fields = fields


class ResourceOrganisationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ResourceServiceSerializer(api_fields.OutputModelSerializer):
    organisation = ResourceOrganisationRefSerializer(source="resource_organisation")
    service_type_display = serializers.CharField(source="get_service_type_display")
    email = serializers.EmailField(read_only=True, allow_blank=True)

    class Meta:
        model = ResourceService
        fields = ["id", "organisation", *SERVICE_FIELDS, "service_type_display"]
        read_only_fields = fields


class ReferralTransitionOptionSerializer(serializers.Serializer):
    to_state = serializers.CharField(source="target")
    action = serializers.CharField(source="label")
    needs_reason = serializers.BooleanField()
    needs_result = serializers.BooleanField()
    needs_consent = serializers.BooleanField()


class ReferralEventSerializer(serializers.Serializer):
    occurred_at = api_fields.DateTimeField()
    actor = PersonRefSerializer(allow_null=True)
    kind = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    note = serializers.CharField()


class ReferralGoalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    domain = serializers.CharField()
    description = serializers.CharField()


class ReferralSerializer(api_fields.OutputModelSerializer):
    patient = PatientRefSerializer()
    goal = ReferralGoalSerializer(allow_null=True)
    service = ResourceServiceSerializer()
    state_display = serializers.CharField(source="get_state_display")
    owner = PersonRefSerializer()
    referred_by = PersonRefSerializer()
    consent_recorded_by = PersonRefSerializer(allow_null=True)
    result_documented_by = PersonRefSerializer(allow_null=True)

    class Meta:
        model = Referral
        fields: tuple[str, ...] = (
            "id",
            "patient",
            "goal",
            "service",
            "target_kind",
            "specialist_name",
            "reason",
            "urgency",
            "state",
            "state_display",
            "state_reason",
            "state_entered_at",
            "owner",
            "referred_by",
            "consent_given",
            "consent_method",
            "consent_recorded_at",
            "consent_recorded_by",
            "remind_at",
            "escalate_at",
            "reminder_sent_at",
            "escalation_sent_at",
            "snoozed_until",
            "appointment_at",
            "sent_at",
            "ended_at",
            "result_summary",
            "result_reported_by",
            "result_documented_by",
            "result_documented_at",
            "created_at",
        )
        read_only_fields = fields


class ReferralDetailSerializer(ReferralSerializer):
    allowed_transitions = ReferralTransitionOptionSerializer(many=True)
    events = ReferralEventSerializer(many=True, source="events.all")

    class Meta(ReferralSerializer.Meta):
        fields = (*ReferralSerializer.Meta.fields, "allowed_transitions", "events")
        read_only_fields = fields


class ReferralPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(source="total")
    page = serializers.IntegerField(source="number")
    num_pages = serializers.IntegerField()
    page_size = serializers.IntegerField()
    results = ReferralSerializer(many=True, source="referrals")


class LoopMeasureSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField(source="label")
    sent = serializers.IntegerField()
    closed = serializers.IntegerField()
    closure_rate = serializers.FloatField(allow_null=True)
    median_days_to_close = serializers.FloatField(allow_null=True)
    ended_otherwise = serializers.IntegerField()
    still_open = serializers.IntegerField()
    closed_without_result = serializers.IntegerField()
    share_closed_without_result = serializers.FloatField(allow_null=True)


class LoopMeasuresSerializer(serializers.Serializer):
    overall = LoopMeasureSerializer()
    by_service_type = LoopMeasureSerializer(many=True)
    by_organisation = LoopMeasureSerializer(many=True)


# --- input -----------------------------------------------------------------------------


class ReferralCreateInput(serializers.Serializer):
    patient_id = serializers.IntegerField()
    service_id = serializers.IntegerField()
    reason = serializers.CharField(max_length=4000)
    urgency = serializers.ChoiceField(choices=ReferralUrgency.choices, required=False)
    owner_id = serializers.IntegerField()
    referred_by_id = serializers.IntegerField(required=False)
    specialist_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    consent_given = serializers.BooleanField(required=False)
    consent_method = serializers.ChoiceField(
        choices=ConsentMethod.choices, required=False, allow_blank=True
    )
    goal_id = serializers.IntegerField(required=False, allow_null=True)


class ReferralUpdateInput(serializers.Serializer):
    reason = serializers.CharField(max_length=4000, required=False)
    goal_id = serializers.IntegerField(required=False, allow_null=True)
    urgency = serializers.ChoiceField(choices=ReferralUrgency.choices, required=False)
    service_id = serializers.IntegerField(required=False)
    specialist_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    appointment_at = api_fields.DateTimeField(required=False, allow_null=True)


class ReferralTransitionInput(serializers.Serializer):
    to_state = serializers.CharField(max_length=20)
    reason = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    result_summary = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    result_reported_by = serializers.CharField(max_length=200, required=False, allow_blank=True)
    appointment_at = api_fields.DateTimeField(required=False, allow_null=True)


class ReferralConsentInput(serializers.Serializer):
    consent_given = serializers.BooleanField()
    consent_method = serializers.ChoiceField(
        choices=ConsentMethod.choices, required=False, allow_blank=True
    )


class ReferralReassignInput(serializers.Serializer):
    owner_id = serializers.IntegerField()
    reason = serializers.CharField(max_length=1000, allow_blank=True)


class ReferralSnoozeInput(serializers.Serializer):
    until = api_fields.DateTimeField()
    reason = serializers.CharField(max_length=1000, allow_blank=True)


class ResourceOrganisationInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    website = serializers.URLField(required=False, allow_blank=True)
    address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class ResourceServiceInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    service_type = serializers.ChoiceField(choices=ServiceType.choices)
    area = serializers.CharField(max_length=200, required=False, allow_blank=True)
    contact_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    hours = serializers.CharField(max_length=200, required=False, allow_blank=True)
    languages = serializers.CharField(max_length=200, required=False, allow_blank=True)
    eligibility_notes = serializers.CharField(required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class ResourceServiceCreateInput(ResourceServiceInput):
    organisation_id = serializers.IntegerField()
