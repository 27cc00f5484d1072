"""The referral API: the board, a patient's referrals, one referral and its moves."""

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.http import AuthenticatedRequest
from apps.accounts.models import User
from apps.careplans.models import Goal
from apps.core.api_helpers import parse_input
from apps.core.exceptions import ApplicationError
from apps.core.filters import filters_or_error
from apps.patients.models import Patient
from apps.patients.selectors import patient_get_for_user
from apps.referrals import permissions, selectors, services, states
from apps.referrals.api.serializers import (
    LoopMeasuresSerializer,
    ReferralConsentInput,
    ReferralCreateInput,
    ReferralDetailSerializer,
    ReferralPageSerializer,
    ReferralReassignInput,
    ReferralSnoozeInput,
    ReferralTransitionInput,
    ReferralUpdateInput,
)
from apps.referrals.forms import (
    BoardFilterForm,
    board_filters,
)
from apps.referrals.models import (
    OPEN_STATES,
    Referral,
    ReferralState,
    ReferralUrgency,
    ResourceService,
)

# --- helpers ---------------------------------------------------------------------------


def _member(patient: Patient, user_id: int | None) -> User | None:
    if user_id is None:
        return None
    return selectors.team_users_for_patient(patient=patient).filter(pk=user_id).first()


def _goal(patient: Patient, goal_id: int | None) -> Goal | None:
    """The goal of this patient's current plan, or an error naming the field."""
    if goal_id is None:
        return None
    goal = selectors.goals_for_patient(patient=patient).filter(pk=goal_id).first()
    if goal is None:
        raise ApplicationError(
            "No such goal on this patient's care plan.",
            field_errors={"goal_id": ["Choose a goal of this patient's current care plan."]},
        )
    return goal


def _service(user: User, service_id: int) -> ResourceService | None:
    return (
        selectors.resource_service_search(user=user, include_inactive=True)
        .filter(pk=service_id)
        .first()
    )


def _with_moves(user: User, referral: Referral) -> Referral:
    """The referral with the moves this user may make from its state (none if they may not
    work on it), for the output serializer."""
    referral.allowed_transitions = (  # type: ignore[attr-defined]
        states.transitions_from(referral.state) if permissions.can_work_on(user, referral) else []
    )
    return referral


def _detail(user: User, referral: Referral) -> dict[str, Any]:
    fresh = selectors.referral_get_for_user(user=user, referral_id=referral.pk)
    return dict(ReferralDetailSerializer(_with_moves(user, fresh)).data)


def _act(
    request: AuthenticatedRequest,
    referral_id: int,
    input_class: type[serializers.Serializer],
    service: Callable[..., Referral],
) -> Response:
    """Loads the referral through the access-checked selector, parses the input (its fields
    named as the service's arguments), calls `service` and answers with the referral as
    the reader now sees it."""
    referral = selectors.referral_get_for_user(user=request.user, referral_id=referral_id)
    values = parse_input(input_class, request.data)
    changed = service(actor=request.user, referral=referral, **values)
    return Response(_detail(request.user, changed))


# --- referrals -------------------------------------------------------------------------


class ReferralListCreateApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("state", str, enum=list(OPEN_STATES)),
            OpenApiParameter("mine", bool),
            OpenApiParameter("overdue", bool),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int, description="1 to 200, default 50"),
        ],
        responses=ReferralPageSerializer,
        operation_id="referrals_board",
        description="The board: open referrals on your teams, overdue first.",
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        filters = filters_or_error(BoardFilterForm(request.query_params))
        page = selectors.referral_board_for_user(user=request.user, **board_filters(filters))
        return Response(ReferralPageSerializer(page).data)

    @extend_schema(request=ReferralCreateInput, responses={201: ReferralDetailSerializer})
    def post(self, request: AuthenticatedRequest) -> Response:
        data = parse_input(ReferralCreateInput, request.data)
        patient = patient_get_for_user(user=request.user, patient_id=data["patient_id"])
        referral = services.referral_create(
            actor=request.user,
            patient=patient,
            service=_service(request.user, data["service_id"]),
            reason=data["reason"],
            owner=_member(patient, data["owner_id"]),
            urgency=data.get("urgency", ReferralUrgency.ROUTINE),
            referred_by=_member(patient, data.get("referred_by_id", request.user.pk)),
            specialist_name=data.get("specialist_name", ""),
            consent_given=data.get("consent_given", False),
            consent_method=data.get("consent_method", ""),
            goal=_goal(patient, data.get("goal_id")),
        )
        return Response(_detail(request.user, referral), status=status.HTTP_201_CREATED)


class PatientReferralsApi(APIView):
    @extend_schema(responses=ReferralDetailSerializer(many=True))
    def get(self, request: AuthenticatedRequest, patient_id: int) -> Response:
        patient = patient_get_for_user(user=request.user, patient_id=patient_id)
        referrals = selectors.referral_list_for_patient(user=request.user, patient=patient)
        shown = [_with_moves(request.user, referral) for referral in referrals]
        return Response(ReferralDetailSerializer(shown, many=True).data)


class ReferralDetailApi(APIView):
    @extend_schema(responses=ReferralDetailSerializer)
    def get(self, request: AuthenticatedRequest, referral_id: int) -> Response:
        referral = selectors.referral_get_for_user(user=request.user, referral_id=referral_id)
        return Response(_detail(request.user, referral))

    @extend_schema(request=ReferralUpdateInput, responses=ReferralDetailSerializer)
    def patch(self, request: AuthenticatedRequest, referral_id: int) -> Response:
        referral = selectors.referral_get_for_user(user=request.user, referral_id=referral_id)
        values = dict(parse_input(ReferralUpdateInput, request.data, partial=True))
        if "service_id" in values:
            values["service"] = _service(request.user, values.pop("service_id"))
        if "goal_id" in values:
            values["goal"] = _goal(referral.patient, values.pop("goal_id"))
        referral = services.referral_update(actor=request.user, referral=referral, **values)
        return Response(_detail(request.user, referral))


class ReferralTransitionApi(APIView):
    @extend_schema(
        request=ReferralTransitionInput,
        responses=ReferralDetailSerializer,
        description=(
            "Moves the referral through the state machine "
            f"({', '.join(ReferralState.values)}); a move the machine does not allow "
            "answers 400 with a message saying which moves are allowed."
        ),
    )
    def post(self, request: AuthenticatedRequest, referral_id: int) -> Response:
        return _act(request, referral_id, ReferralTransitionInput, services.referral_transition)


class ReferralConsentApi(APIView):
    @extend_schema(request=ReferralConsentInput, responses=ReferralDetailSerializer)
    def post(self, request: AuthenticatedRequest, referral_id: int) -> Response:
        return _act(request, referral_id, ReferralConsentInput, services.referral_record_consent)


class ReferralReassignApi(APIView):
    @extend_schema(request=ReferralReassignInput, responses=ReferralDetailSerializer)
    def post(self, request: AuthenticatedRequest, referral_id: int) -> Response:
        def reassign(*, actor: User, referral: Referral, owner_id: int, reason: str) -> Referral:
            owner = _member(referral.patient, owner_id)
            if owner is None:
                raise ApplicationError(
                    "The owner must be a person on the patient's care team.",
                    field_errors={
                        "owner_id": ["Choose a current member of the patient's care team."]
                    },
                )
            return services.referral_reassign(
                actor=actor, referral=referral, owner=owner, reason=reason
            )

        return _act(request, referral_id, ReferralReassignInput, reassign)


class ReferralSnoozeApi(APIView):
    @extend_schema(request=ReferralSnoozeInput, responses=ReferralDetailSerializer)
    def post(self, request: AuthenticatedRequest, referral_id: int) -> Response:
        return _act(request, referral_id, ReferralSnoozeInput, services.referral_snooze)


class ReferralMeasuresApi(APIView):
    @extend_schema(responses=LoopMeasuresSerializer)
    def get(self, request: AuthenticatedRequest) -> Response:
        measures = selectors.referral_measures_for_user(user=request.user)
        return Response(LoopMeasuresSerializer(measures).data)
