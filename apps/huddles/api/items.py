"""The huddle API: agenda items added, reordered, decided and turned into tasks."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.http import AuthenticatedRequest
from apps.core.api_helpers import parse_input
from apps.core.exceptions import ApplicationError
from apps.huddles import permissions, selectors, services
from apps.huddles.api.huddles import _board, _huddle
from apps.huddles.api.serializers import (
    HuddleBoardSerializer,
    HuddleDecisionInput,
    HuddleDiscussInput,
    HuddleItemAddInput,
    HuddleItemSerializer,
    HuddleReasonInput,
    HuddleReorderInput,
    HuddleTaskCreatedSerializer,
    HuddleTaskInput,
)
from apps.huddles.due import due_at_for_choice
from apps.huddles.models import Huddle
from apps.patients.selectors import patient_get_for_user


class HuddleItemAddApi(APIView):
    @extend_schema(request=HuddleItemAddInput, responses={201: HuddleItemSerializer})
    def post(self, request: AuthenticatedRequest, huddle_id: int) -> Response:
        huddle = _huddle(request, huddle_id)
        # Refuse before opening the patient: the lookup is audited as a record view.
        permissions.require_can_run_huddles(request.user, huddle.team_id)
        data = parse_input(HuddleItemAddInput, request.data)
        values = data
        patient = patient_get_for_user(user=request.user, patient_id=values.pop("patient_id"))
        item = services.huddle_item_add(
            actor=request.user, huddle=huddle, patient=patient, **values
        )
        return Response(_item_data(request, item.huddle, item.pk), status=status.HTTP_201_CREATED)


class HuddleReorderApi(APIView):
    @extend_schema(request=HuddleReorderInput, responses=HuddleBoardSerializer)
    def put(self, request: AuthenticatedRequest, huddle_id: int) -> Response:
        huddle = _huddle(request, huddle_id)
        data = parse_input(HuddleReorderInput, request.data)
        services.huddle_agenda_reorder(actor=request.user, huddle=huddle, item_ids=data["item_ids"])
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
            decision = parse_input(HuddleDecisionInput, request.data)
            services.huddle_item_decision_record(
                actor=request.user, item=item, decision=decision["decision"]
            )
        elif action == "discuss":
            discuss = parse_input(HuddleDiscussInput, request.data)
            services.huddle_item_discuss(
                actor=request.user,
                item=item,
                decision=discuss.get("decision"),
                reason=discuss.get("reason", ""),
            )
        elif action == "skip":
            reason = parse_input(HuddleReasonInput, request.data)
            services.huddle_item_skip(actor=request.user, item=item, reason=reason["reason"])
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
        data = parse_input(HuddleTaskInput, request.data)
        values = data
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
