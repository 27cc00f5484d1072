"""REST API for tasks: input serializers parse, the same selectors and services act."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.api_refs import PersonRefSerializer
from apps.accounts.http import AuthenticatedRequest
from apps.accounts.models import Role, User
from apps.core import api_fields
from apps.core.api_helpers import parse_input
from apps.core.exceptions import ApplicationError
from apps.core.filters import filters_or_error
from apps.patients.api_refs import PatientRefSerializer
from apps.patients.selectors import patient_get_for_user
from apps.tasks import permissions, selectors, services
from apps.tasks.forms import (
    MyWorkViewForm,
    TeamFilterForm,
    goal_source,
    task_list_filters,
    team_filters,
)
from apps.tasks.models import MAX_RECURRENCE_DAYS, Task, TaskPriority, TaskType
from apps.tasks.notifications import notification_mark_read
from apps.tasks.selectors.rows import TASK_SORTS
from apps.teams.selectors import team_active_members


class OwnerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="owner_id")
    name = serializers.CharField(source="owner_name")


class TaskRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    due_at = api_fields.DateTimeField()
    status = serializers.CharField()
    status_display = serializers.CharField(source="status_label")
    priority = serializers.CharField()
    priority_display = serializers.CharField(source="priority_label")
    verification_role = serializers.CharField()
    task_type = serializers.CharField()
    snoozed_until = serializers.DateField(allow_null=True)
    is_overdue = serializers.BooleanField()
    is_orphaned = serializers.BooleanField()
    owner_role = serializers.CharField()
    patient = PatientRefSerializer()
    owner = OwnerRefSerializer(source="*")
    actions = serializers.ListField(child=serializers.CharField())

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["actions"] = sorted(data["actions"])
        return data


class MyWorkCountsSerializer(serializers.Serializer):
    overdue = serializers.IntegerField()
    due_today = serializers.IntegerField()
    upcoming = serializers.IntegerField()
    awaiting_my_verification = serializers.IntegerField()
    sent_for_verification = serializers.IntegerField()
    snoozed = serializers.IntegerField(help_text="Snoozed past today and not overdue")


class MyWorkSerializer(serializers.Serializer):
    counts = MyWorkCountsSerializer()
    overdue = TaskRowSerializer(many=True)
    due_today = TaskRowSerializer(many=True)
    upcoming = TaskRowSerializer(many=True)
    awaiting_my_verification = TaskRowSerializer(many=True)
    sent_for_verification = TaskRowSerializer(many=True)
    snoozed = TaskRowSerializer(many=True, help_text="Listed with snoozed=true only")


class TeamWorklistSerializer(serializers.Serializer):
    count = serializers.IntegerField(source="total")
    page = serializers.IntegerField(source="number")
    num_pages = serializers.IntegerField()
    page_size = serializers.IntegerField()
    open_count = serializers.IntegerField()
    overdue_count = serializers.IntegerField()
    orphaned_count = serializers.IntegerField()
    orphaned = TaskRowSerializer(many=True)
    results = TaskRowSerializer(many=True, source="rows")


class TaskEventSerializer(serializers.Serializer):
    occurred_at = api_fields.DateTimeField()
    kind = serializers.CharField()
    kind_display = serializers.CharField(source="get_kind_display")
    actor = PersonRefSerializer(allow_null=True)
    from_owner = PersonRefSerializer(allow_null=True)
    to_owner = PersonRefSerializer(allow_null=True)
    from_status = serializers.CharField()
    from_status_display = serializers.CharField(source="from_status_label")
    to_status = serializers.CharField()
    to_status_display = serializers.CharField(source="to_status_label")
    reason = serializers.CharField()
    changes = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField()),
        help_text="For a details change: each field's label, before and after, in words",
    )


class TaskDetailSerializer(api_fields.OutputModelSerializer):
    owner = PersonRefSerializer(allow_null=True)
    performed_by = PersonRefSerializer(allow_null=True)
    verified_by = PersonRefSerializer(allow_null=True)
    status_display = serializers.CharField(source="get_status_display")
    priority_display = serializers.CharField(source="get_priority_display")
    source_type_display = serializers.CharField(source="get_source_type_display")

    class Meta:
        model = Task
        fields = (
            "id",
            "title",
            "description",
            "due_at",
            "status",
            "status_display",
            "status_reason",
            "priority",
            "priority_display",
            "source_type",
            "source_type_display",
            "source_id",
            "task_type",
            "recurrence_days",
            "snoozed_until",
            "snooze_reason",
            "verification_role",
            "patient_id",
            "owner",
            "performed_by",
            "performed_at",
            "verified_by",
            "verified_at",
            "completed_at",
            "created_at",
        )
        read_only_fields = fields


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_display = serializers.CharField(source="kind_label")
    subject = serializers.CharField()
    body = serializers.CharField()
    link = serializers.CharField()
    patient_id = serializers.IntegerField(allow_null=True)
    task_id = serializers.IntegerField(allow_null=True)
    created_at = api_fields.DateTimeField()
    read_at = api_fields.DateTimeField(allow_null=True)


class NotificationsReadInputSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=500,
        help_text="These notifications; leave out to mark every unread one read.",
    )


class NotificationsReadOutputSerializer(serializers.Serializer):
    marked_read = serializers.IntegerField()
    unread = serializers.IntegerField()


class TaskCreateInputSerializer(serializers.Serializer):
    patient_id = serializers.IntegerField()
    title = serializers.CharField(max_length=200)
    owner_id = serializers.IntegerField()
    due_at = api_fields.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Leave out for a typed task: due after its type's usual time",
    )
    priority = serializers.ChoiceField(choices=TaskPriority.choices, default=TaskPriority.ROUTINE)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    verification_role = serializers.ChoiceField(
        choices=Role.choices, required=False, allow_blank=True, default=""
    )
    task_type = serializers.ChoiceField(
        choices=TaskType.choices, required=False, allow_blank=True, default=""
    )
    recurrence_days = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=MAX_RECURRENCE_DAYS,
        help_text="Repeat every this many days (7: weekly); completing one creates the next",
    )
    goal_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        help_text="An open goal of the patient's care plan this task serves",
    )


class TaskUpdateInputSerializer(serializers.Serializer):
    """Only the fields sent change; the owner changes by reassignment."""

    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    due_at = api_fields.DateTimeField(required=False)
    priority = serializers.ChoiceField(choices=TaskPriority.choices, required=False)


class SnoozeInputSerializer(serializers.Serializer):
    until = api_fields.DateField(help_text="After today, and no later than the due date")
    reason = serializers.CharField(max_length=500)


class CompleteInputSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class ReassignInputSerializer(serializers.Serializer):
    owner_id = serializers.IntegerField()
    reason = serializers.CharField(max_length=500)


class BulkReassignInputSerializer(ReassignInputSerializer):
    task_ids = serializers.ListField(child=serializers.IntegerField(), min_length=1)


class BulkReassignOutputSerializer(serializers.Serializer):
    reassigned = serializers.ListField(child=serializers.IntegerField())


@contextmanager
def _as_input_fields() -> Iterator[None]:
    """Service field names become the API's input names (the owner is sent as owner_id)."""
    try:
        yield
    except ApplicationError as error:
        renames = {"owner": "owner_id", "goal": "goal_id"}
        error.field_errors = {renames.get(k, k): v for k, v in error.field_errors.items()}
        raise


def _owner(owner_id: int) -> User:
    owner = selectors.user_get(user_id=owner_id)
    if owner is None:
        raise ApplicationError(
            "The owner must be a person on the patient's care team.",
            field_errors={"owner_id": ["Choose a current member of the patient's care team."]},
        )
    return owner


def _detail(request: AuthenticatedRequest, task: Task) -> dict[str, Any]:
    data = dict(TaskDetailSerializer(task).data)
    data["history"] = TaskEventSerializer(selectors.task_history(task=task), many=True).data
    data["actions"] = sorted(
        permissions.task_actions(
            request.user, task, roles=permissions.team_roles_for_user(request.user)
        )
    )
    return data


# The search, narrowing and order of a worklist, the same on My work and the team worklist.
LISTING_PARAMETERS = [
    OpenApiParameter("q", str, description="Words in the title, the patient's names or MRN"),
    OpenApiParameter("priority", str, enum=TaskPriority.values),
    OpenApiParameter("task_type", str, enum=TaskType.values),
    OpenApiParameter("sort", str, enum=list(TASK_SORTS), description="Default: due"),
]


class MyWorkApi(APIView):
    @extend_schema(
        parameters=[
            *LISTING_PARAMETERS,
            OpenApiParameter("snoozed", bool, description="Also list the snoozed tasks"),
        ],
        responses=MyWorkSerializer,
        summary="My work: my open tasks and checks",
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        data = filters_or_error(MyWorkViewForm(request.query_params))
        work = selectors.my_work_for_user(
            user=request.user,
            filters=task_list_filters(data),
            show_snoozed=data["snoozed"],
        )
        payload = {
            "counts": work.counts,
            "overdue": work.overdue,
            "due_today": work.due_today,
            "upcoming": work.upcoming,
            "awaiting_my_verification": work.awaiting_my_verification,
            "sent_for_verification": work.sent_for_verification,
            "snoozed": work.snoozed,
        }
        return Response(MyWorkSerializer(payload).data)


class TeamWorklistApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("owner", int, description="Only this owner's tasks"),
            OpenApiParameter("role", str, description="Only tasks whose owner holds this role"),
            OpenApiParameter("patient", int, description="Only this patient's tasks"),
            OpenApiParameter("overdue", bool),
            OpenApiParameter("orphaned", bool, description="Owner no longer on the team"),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int, description="1 to 200, default 50"),
            *LISTING_PARAMETERS,
        ],
        responses=TeamWorklistSerializer,
        summary="The lead coordinator's worklist of the teams they lead",
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        team_ids = permissions.require_lead_team_ids(request.user)
        members = [m for m in team_active_members(team_ids=team_ids) if m.user.is_active]
        form = TeamFilterForm(request.query_params, members=members)
        filters_or_error(form)
        filters, page, page_size = team_filters(form)
        worklist = selectors.team_worklist_for_user(
            user=request.user, filters=filters, page=page, page_size=page_size
        )
        return Response(TeamWorklistSerializer(worklist).data)


class NotificationListApi(APIView):
    @extend_schema(responses=NotificationSerializer(many=True), summary="My notifications")
    def get(self, request: AuthenticatedRequest) -> Response:
        notifications = selectors.notification_list_for_user(user=request.user)
        return Response(NotificationSerializer(notifications, many=True).data)


class NotificationsReadApi(APIView):
    # JSON only: a list of ids sent as a form could exceed Django's field limit, which
    # answers before DRF does (an HTML 400 instead of the API's JSON one).
    parser_classes = [JSONParser]

    @extend_schema(
        request=NotificationsReadInputSerializer,
        responses=NotificationsReadOutputSerializer,
        summary="Mark my notifications read (all unread ones unless ids are given)",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = NotificationsReadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = data.validated_data.get("ids")
        marked = notification_mark_read(actor=request.user, notification_ids=ids)
        unread = selectors.notification_unread_count(user=request.user)
        return Response({"marked_read": marked, "unread": unread})


class TaskCreateApi(APIView):
    @extend_schema(
        request=TaskCreateInputSerializer,
        responses={201: TaskDetailSerializer},
        summary="Create a task with one accountable owner",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        values = parse_input(TaskCreateInputSerializer, request.data)
        patient = patient_get_for_user(user=request.user, patient_id=values["patient_id"])
        with _as_input_fields():
            task = services.task_create(
                actor=request.user,
                patient=patient,
                title=values["title"],
                owner=_owner(values["owner_id"]),
                due_at=values["due_at"],
                priority=values["priority"],
                description=values["description"],
                verification_role=values["verification_role"],
                task_type=values["task_type"],
                recurrence_days=values["recurrence_days"],
                source_type=goal_source(values["goal_id"])[0],
                source_id=goal_source(values["goal_id"])[1],
            )
        task = selectors.task_get_for_user(user=request.user, task_id=task.pk)
        return Response(_detail(request, task), status=status.HTTP_201_CREATED)


class TaskDetailApi(APIView):
    @extend_schema(responses=TaskDetailSerializer, summary="One task with its history")
    def get(self, request: AuthenticatedRequest, task_id: int) -> Response:
        task = selectors.task_get_for_user(user=request.user, task_id=task_id)
        return Response(_detail(request, task))

    @extend_schema(
        request=TaskUpdateInputSerializer,
        responses=TaskDetailSerializer,
        summary="Change the title, details, due time or priority (kept in the history)",
    )
    def patch(self, request: AuthenticatedRequest, task_id: int) -> Response:
        task = selectors.task_get_for_user(user=request.user, task_id=task_id)
        values = parse_input(TaskUpdateInputSerializer, request.data)
        services.task_update(actor=request.user, task=task, **values)
        task = selectors.task_get_for_user(user=request.user, task_id=task.pk)
        return Response(_detail(request, task))


# One action on one task: parse the input (if any), call the service as the user, answer the
# task as it now is. A subclass names its input, its summary and `act`; the schema follows.
# (A comment, not a docstring: the docstring would become every action's API description.)
class _TaskActionApi(APIView):
    input_serializer: type[serializers.Serializer] | None = None
    summary: str | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        schema = extend_schema(
            request=cls.input_serializer, responses=TaskDetailSerializer, summary=cls.summary
        )
        extend_schema_view(post=schema)(cls)

    def act(self, request: AuthenticatedRequest, task: Task, data: dict[str, Any]) -> None:
        raise NotImplementedError

    def post(self, request: AuthenticatedRequest, task_id: int) -> Response:
        task = selectors.task_get_for_user(user=request.user, task_id=task_id)
        data: dict[str, Any] = {}
        if self.input_serializer is not None:
            data = parse_input(self.input_serializer, request.data)
        self.act(request, task, data)
        task = selectors.task_get_for_user(user=request.user, task_id=task.pk)
        return Response(_detail(request, task))


class TaskStartApi(_TaskActionApi):
    summary = "Start work"

    def act(self, request: AuthenticatedRequest, task: Task, data: dict[str, Any]) -> None:
        services.task_start(actor=request.user, task=task)


class TaskCompleteApi(_TaskActionApi):
    input_serializer = CompleteInputSerializer
    summary = "Mark the work done (awaits verification when the task needs a second check)"

    def act(self, request: AuthenticatedRequest, task: Task, data: dict[str, Any]) -> None:
        services.task_complete(actor=request.user, task=task, note=data["note"])


class TaskVerifyApi(_TaskActionApi):
    summary = "Verify someone else's work, in the named role"

    def act(self, request: AuthenticatedRequest, task: Task, data: dict[str, Any]) -> None:
        services.task_verify(actor=request.user, task=task)


class TaskHoldApi(_TaskActionApi):
    input_serializer = ReasonInputSerializer

    def act(self, request: AuthenticatedRequest, task: Task, data: dict[str, Any]) -> None:
        services.task_hold(actor=request.user, task=task, reason=data["reason"])


class TaskCancelApi(_TaskActionApi):
    input_serializer = ReasonInputSerializer

    def act(self, request: AuthenticatedRequest, task: Task, data: dict[str, Any]) -> None:
        services.task_cancel(actor=request.user, task=task, reason=data["reason"])


class TaskSnoozeApi(_TaskActionApi):
    input_serializer = SnoozeInputSerializer
    summary = "Snooze to a date with a reason (never an overdue task)"

    def act(self, request: AuthenticatedRequest, task: Task, data: dict[str, Any]) -> None:
        services.task_snooze(
            actor=request.user, task=task, until=data["until"], reason=data["reason"]
        )


class TaskUnsnoozeApi(_TaskActionApi):
    summary = "Bring a snoozed task back now"

    def act(self, request: AuthenticatedRequest, task: Task, data: dict[str, Any]) -> None:
        services.task_unsnooze(actor=request.user, task=task)


class TaskReassignApi(_TaskActionApi):
    input_serializer = ReassignInputSerializer
    summary = "Hand the task to another team member, with a reason"

    def act(self, request: AuthenticatedRequest, task: Task, data: dict[str, Any]) -> None:
        with _as_input_fields():
            services.task_reassign(
                actor=request.user,
                task=task,
                new_owner=_owner(data["owner_id"]),
                reason=data["reason"],
            )


class TaskBulkReassignApi(APIView):
    @extend_schema(
        request=BulkReassignInputSerializer,
        responses=BulkReassignOutputSerializer,
        summary="Lead coordinator: hand many tasks to one team member, all or none",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        values = parse_input(BulkReassignInputSerializer, request.data)
        with _as_input_fields():
            moved = services.task_bulk_reassign(
                actor=request.user,
                task_ids=values["task_ids"],
                new_owner=_owner(values["owner_id"]),
                reason=values["reason"],
            )
        return Response(BulkReassignOutputSerializer({"reassigned": moved}).data)
