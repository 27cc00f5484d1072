"""The care plan API: goals, interventions and barriers of one plan."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.http import AuthenticatedRequest
from apps.accounts.models import User
from apps.careplans import selectors, services
from apps.careplans.api.plans import plan_for
from apps.careplans.api.serializers import (
    BarrierSerializer,
    BarrierUpdateSerializer,
    BarrierWriteSerializer,
    GoalSerializer,
    GoalUpdateSerializer,
    GoalWriteSerializer,
    InterventionCreateSerializer,
    InterventionSerializer,
    InterventionUpdateSerializer,
    ReasonSerializer,
)
from apps.careplans.models import CarePlan, Intervention
from apps.core.api_helpers import parse_input
from apps.core.exceptions import ApplicationError, NotFoundError


def _with_owner(values: dict[str, Any]) -> dict[str, Any]:
    """`owner_id`, when given, as the person. An id that is no one is refused with the
    message the service gives anyone who is not a current member of the care team."""
    if "owner_id" in values:
        owner = User.objects.filter(pk=values.pop("owner_id")).first()
        if owner is None:
            raise ApplicationError(
                "The owner must be a person on the patient's care team.",
                field_errors={"owner_id": ["Choose a current member of the patient's care team."]},
            )
        values["owner"] = owner
    return values


def _with_intervention(plan: CarePlan, values: dict[str, Any]) -> dict[str, Any]:
    """`intervention_id`, when given, as one of this plan's interventions (or none)."""
    if "intervention_id" in values:
        intervention_id = values.pop("intervention_id")
        try:
            values["intervention"] = (
                None
                if intervention_id is None
                else selectors.intervention_get_for_plan(plan=plan, intervention_id=intervention_id)
            )
        except NotFoundError as error:
            raise ApplicationError(
                "Please correct the barrier.",
                field_errors={"intervention_id": ["Choose an intervention of this plan."]},
            ) from error
    return values


class GoalCreateApi(APIView):
    @extend_schema(request=GoalWriteSerializer, responses={201: GoalSerializer})
    def post(self, request: AuthenticatedRequest, plan_id: int) -> Response:
        plan = plan_for(request, plan_id)
        values = _with_owner(parse_input(GoalWriteSerializer, request.data))
        goal = services.goal_create(actor=request.user, plan=plan, **values)
        return Response(GoalSerializer(goal).data, status=status.HTTP_201_CREATED)


class GoalDetailApi(APIView):
    @extend_schema(request=GoalUpdateSerializer, responses=GoalSerializer)
    def patch(self, request: AuthenticatedRequest, plan_id: int, goal_id: int) -> Response:
        goal = selectors.goal_get_for_plan(plan=plan_for(request, plan_id), goal_id=goal_id)
        values = _with_owner(parse_input(GoalUpdateSerializer, request.data, partial=True))
        goal = services.goal_update(actor=request.user, goal=goal, **values)
        return Response(GoalSerializer(goal).data)

    @extend_schema(responses={204: None})
    def delete(self, request: AuthenticatedRequest, plan_id: int, goal_id: int) -> Response:
        goal = selectors.goal_get_for_plan(plan=plan_for(request, plan_id), goal_id=goal_id)
        services.goal_remove(actor=request.user, goal=goal)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InterventionCreateApi(APIView):
    @extend_schema(request=InterventionCreateSerializer, responses={201: InterventionSerializer})
    def post(self, request: AuthenticatedRequest, plan_id: int) -> Response:
        plan = plan_for(request, plan_id)
        values = _with_owner(parse_input(InterventionCreateSerializer, request.data))
        goal = selectors.goal_get_for_plan(plan=plan, goal_id=values.pop("goal_id"))
        intervention = services.intervention_create(actor=request.user, goal=goal, **values)
        return Response(InterventionSerializer(intervention).data, status=status.HTTP_201_CREATED)


def _intervention(
    request: AuthenticatedRequest, plan_id: int, intervention_id: int
) -> Intervention:
    return selectors.intervention_get_for_plan(
        plan=plan_for(request, plan_id), intervention_id=intervention_id
    )


class InterventionDetailApi(APIView):
    @extend_schema(request=InterventionUpdateSerializer, responses=InterventionSerializer)
    def patch(self, request: AuthenticatedRequest, plan_id: int, intervention_id: int) -> Response:
        intervention = _intervention(request, plan_id, intervention_id)
        values = _with_owner(parse_input(InterventionUpdateSerializer, request.data, partial=True))
        intervention = services.intervention_update(
            actor=request.user, intervention=intervention, **values
        )
        return Response(InterventionSerializer(intervention).data)


class InterventionCancelApi(APIView):
    @extend_schema(request=ReasonSerializer, responses=InterventionSerializer)
    def post(self, request: AuthenticatedRequest, plan_id: int, intervention_id: int) -> Response:
        intervention = _intervention(request, plan_id, intervention_id)
        reason = parse_input(ReasonSerializer, request.data)["reason"]
        intervention = services.intervention_cancel(
            actor=request.user, intervention=intervention, reason=reason
        )
        return Response(InterventionSerializer(intervention).data)


class BarrierCreateApi(APIView):
    @extend_schema(request=BarrierWriteSerializer, responses={201: BarrierSerializer})
    def post(self, request: AuthenticatedRequest, plan_id: int) -> Response:
        plan = plan_for(request, plan_id)
        values = _with_intervention(plan, parse_input(BarrierWriteSerializer, request.data))
        barrier = services.barrier_create(actor=request.user, plan=plan, **values)
        return Response(BarrierSerializer(barrier).data, status=status.HTTP_201_CREATED)


class BarrierDetailApi(APIView):
    @extend_schema(request=BarrierUpdateSerializer, responses=BarrierSerializer)
    def patch(self, request: AuthenticatedRequest, plan_id: int, barrier_id: int) -> Response:
        plan = plan_for(request, plan_id)
        barrier = selectors.barrier_get_for_plan(plan=plan, barrier_id=barrier_id)
        data = parse_input(BarrierUpdateSerializer, request.data, partial=True)
        barrier = services.barrier_update(
            actor=request.user, barrier=barrier, **_with_intervention(plan, data)
        )
        return Response(BarrierSerializer(barrier).data)

    @extend_schema(responses={204: None})
    def delete(self, request: AuthenticatedRequest, plan_id: int, barrier_id: int) -> Response:
        barrier = selectors.barrier_get_for_plan(
            plan=plan_for(request, plan_id), barrier_id=barrier_id
        )
        services.barrier_remove(actor=request.user, barrier=barrier)
        return Response(status=status.HTTP_204_NO_CONTENT)
