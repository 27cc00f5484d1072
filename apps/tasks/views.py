"""Task pages: My work, the team worklist, one task, inline actions (htmx), notifications.

Inline actions post to one URL per action; with htmx they answer the task's
row redrawn (and an `HX-Trigger: taskChanged` event that refreshes counts),
without htmx they redirect to the task's page.
"""

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.accounts.http import AuthenticatedHttpRequest
from apps.core.exceptions import ApplicationError
from apps.core.htmx import View, htmx_action
from apps.core.views import add_errors_to_form, is_htmx
from apps.patients.selectors import patient_get_for_user
from apps.tasks import permissions, selectors, services
from apps.tasks.forms import (
    BulkReassignForm,
    CompleteForm,
    MyWorkViewForm,
    NotificationPreferencesForm,
    ReasonForm,
    ReassignForm,
    SnoozeForm,
    TaskCreateForm,
    TaskEditForm,
    TeamFilterForm,
    goal_source,
    task_list_filters,
    team_filters,
)
from apps.tasks.landing import VERIFICATIONS, landing_url_for
from apps.tasks.models import Task, TaskSource
from apps.tasks.notifications import notification_mark_read
from apps.tasks.preferences import notification_preferences_for_user, notification_preferences_set
from apps.tasks.sources import task_link_targets, task_source_link
from apps.teams.selectors import team_active_members

VARIANTS = ("my", "team", "patient")
# My work lists every overdue and due-today task; of the upcoming ones, the soonest.
UPCOMING_SHOWN = 50


def _variant(request: AuthenticatedHttpRequest) -> str:
    variant = request.GET.get("variant", "my")
    return variant if variant in VARIANTS else "my"


def _row_response(request: AuthenticatedHttpRequest, task_id: int, **extra: object) -> HttpResponse:
    row = selectors.task_row_for_user(user=request.user, task_id=task_id)
    context = {"row": row, "variant": _variant(request), **extra}
    response = render(request, "tasks/_task_row.html", context)
    if "reassign_form" not in extra:
        response["HX-Trigger"] = "taskChanged"
    return response


# --- Pages --------------------------------------------------------------------


@login_required
@require_GET
def my_work(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.GET.get("part") == "counts":
        counts = selectors.my_work_counts_for_user(user=request.user)
        return render(request, "tasks/_my_work_counts.html", {"counts": counts})
    view = MyWorkViewForm(request.GET)
    if not view.is_valid():
        raise ApplicationError(
            "Choose what My work shows.",
            field_errors={name: [str(e) for e in errors] for name, errors in view.errors.items()},
        )
    show_all = request.GET.get("upcoming") == "all"
    work = selectors.my_work_for_user(
        user=request.user,
        upcoming_limit=None if show_all else UPCOMING_SHOWN,
        filters=task_list_filters(view.cleaned_data),
        show_snoozed=view.cleaned_data["snoozed"],
    )
    context = {
        "work": work,
        "counts": work.counts,
        "view_form": view,
        "is_lead": bool(permissions.lead_team_ids(request.user)),
        "verifications_only": view.cleaned_data["show"] == VERIFICATIONS,
    }
    if is_htmx(request) and request.htmx.target == "my-work-results":
        return render(request, "tasks/_my_work_results.html", context)
    return render(request, "tasks/my_work.html", context)


@login_required
@require_GET
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """`/` and the page after signing in: where this person's work is (`landing_url_for`)."""
    return redirect(landing_url_for(request.user))


def _team_context(
    request: AuthenticatedHttpRequest, bulk_form: BulkReassignForm | None = None
) -> dict[str, object]:
    team_ids = permissions.require_lead_team_ids(request.user)
    members = list(team_active_members(team_ids=team_ids))
    filter_form = TeamFilterForm(request.GET or None, members=members)
    # A bad filter is refused as the API refuses it (400, the field named); the
    # worklist then shows unfiltered, with the error above it.
    refused = filter_form.is_bound and not filter_form.is_valid()
    filters, page, page_size = team_filters(
        TeamFilterForm(members=members) if refused else filter_form
    )
    worklist = selectors.team_worklist_for_user(
        user=request.user, filters=filters, page=page, page_size=page_size, members=members
    )
    query = {
        key: value
        for key, value in (
            ("owner", filters.owner_id or ""),
            ("role", filters.role),
            ("patient", filters.patient_id or ""),
            ("overdue", "on" if filters.overdue else ""),
            ("orphaned", "on" if filters.orphaned else ""),
            ("q", filters.listing.query),
            ("priority", filters.listing.priority),
            ("task_type", filters.listing.task_type),
            ("sort", "" if filters.listing.sort == "due" else filters.listing.sort),
        )
        if value
    }
    return {
        "worklist": worklist,
        "filter_form": filter_form,
        "bulk_form": bulk_form or BulkReassignForm(members=members),
        "filter_query": urlencode(query),
        "filter_refused": refused,
        "variant": "team",
    }


@login_required
@require_GET
def team_worklist(request: AuthenticatedHttpRequest) -> HttpResponse:
    context = _team_context(request)
    status = 400 if context["filter_refused"] else 200
    if is_htmx(request) and request.htmx.target == "team-results":
        return render(request, "tasks/_team_results.html", context, status=status)
    return render(request, "tasks/team_worklist.html", context, status=status)


@login_required
@require_POST
@htmx_action
def team_bulk_reassign(request: AuthenticatedHttpRequest) -> HttpResponse:
    team_ids = permissions.require_lead_team_ids(request.user)
    members = list(team_active_members(team_ids=team_ids))
    form = BulkReassignForm(request.POST, members=members)
    if form.is_valid():
        new_owner = selectors.user_get(user_id=form.cleaned_data["owner"])
        try:
            if new_owner is None:
                raise ApplicationError("Choose the new owner.")
            moved = services.task_bulk_reassign(
                actor=request.user,
                task_ids=form.cleaned_data["task_ids"],
                new_owner=new_owner,
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as error:
            add_errors_to_form(form, error)
        else:
            messages.success(
                request,
                f"{len(moved)} task{'s' if len(moved) != 1 else ''} reassigned to "
                f"{new_owner.display_name}.",
            )
            if not is_htmx(request):
                return redirect("tasks:team_worklist")
            form = BulkReassignForm(members=members)
    if not is_htmx(request):
        messages.error(request, " ".join(str(e) for e in form.errors.values()) or "Not saved.")
        return redirect("tasks:team_worklist")
    response = render(request, "tasks/_team_results.html", _team_context(request, form))
    response["HX-Trigger"] = "taskChanged"
    return response


@login_required
@require_GET
def task_detail(request: AuthenticatedHttpRequest, task_id: int) -> HttpResponse:
    task = selectors.task_get_for_user(user=request.user, task_id=task_id)
    actions = permissions.task_actions(
        request.user, task, roles=permissions.team_roles_for_user(request.user)
    )
    members = selectors.task_owner_choices(team_id=task.team_id) if "reassign" in actions else []
    context = {
        "task": task,
        "history": selectors.task_history(task=task),
        "source_link": task_source_link(task),
        "actions": actions,
        "reassign_form": ReassignForm(members=members, current_owner_id=task.owner_id),
        "complete_form": CompleteForm(),
        "reason_form": ReasonForm(),
        "edit_form": TaskEditForm(initial=_edit_initial(task)),
        "snooze_form": SnoozeForm(),
        "snoozed": task.is_snoozed_on(timezone.localdate()),
        "can_edit": task.is_open and permissions.can_work_on_task(request.user, task),
    }
    return render(request, "tasks/detail.html", context)


def _edit_initial(task: Task) -> dict[str, object]:
    return {
        "title": task.title,
        "due_at": timezone.localtime(task.due_at),
        "priority": task.priority,
        "recurrence_days": task.recurrence_days,
        "description": task.description,
    }


@login_required
@require_http_methods(["GET", "POST"])
def task_edit(request: AuthenticatedHttpRequest, task_id: int) -> HttpResponse:
    """Change the title, details, due time or priority; the history keeps before and after."""
    task = selectors.task_get_for_user(user=request.user, task_id=task_id)
    permissions.require_can_work_on_task(request.user, task)
    form = TaskEditForm(request.POST or None, initial=_edit_initial(task))
    if request.method == "POST" and form.is_valid():
        try:
            services.task_update(actor=request.user, task=task, **form.cleaned_data)
        except ApplicationError as error:
            add_errors_to_form(form, error)
        else:
            messages.success(request, "Task saved.")
            return redirect("tasks:detail", task_id=task.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "tasks/edit.html", {"task": task, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def task_snooze(request: AuthenticatedHttpRequest, task_id: int) -> HttpResponse:
    """Snooze to a date with a reason (never an overdue task), or bring it back now."""
    task = selectors.task_get_for_user(user=request.user, task_id=task_id)
    permissions.require_can_work_on_task(request.user, task)
    if request.method == "POST" and "unsnooze" in request.POST:
        services.task_unsnooze(actor=request.user, task=task)
        messages.success(request, "Task back on your list.")
        return redirect("tasks:detail", task_id=task.pk)
    form = SnoozeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.task_snooze(actor=request.user, task=task, **form.cleaned_data)
        except ApplicationError as error:
            add_errors_to_form(form, error)
        else:
            until = form.cleaned_data["until"]
            messages.success(request, f"Snoozed until {until:%b %d %Y}.")
            return redirect("tasks:detail", task_id=task.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "tasks/snooze.html", {"task": task, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def task_create(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_get_for_user(user=request.user, patient_id=patient_id)
    permissions.require_can_create_task(request.user, patient)
    members = selectors.task_owner_choices(team_id=patient.care_team_id)
    initial = (
        {"owner": request.user.pk} if any(m.user_id == request.user.pk for m in members) else {}
    )
    goals = task_link_targets(TaskSource.CARE_PLAN_GOAL, patient)
    form = TaskCreateForm(request.POST or None, members=members, goals=goals, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        owner = selectors.user_get(user_id=data["owner"])
        try:
            if owner is None:
                raise ApplicationError("Choose the owner.", field_errors={"owner": ["Required."]})
            task = services.task_create(
                actor=request.user,
                patient=patient,
                title=data["title"],
                owner=owner,
                due_at=data["due_at"],
                priority=data["priority"],
                description=data["description"],
                verification_role=data["verification_role"],
                task_type=data["task_type"],
                recurrence_days=data["recurrence_days"],
                source_type=goal_source(data["goal"])[0],
                source_id=goal_source(data["goal"])[1],
            )
        except ApplicationError as error:
            add_errors_to_form(form, error)
        else:
            messages.success(request, "Task created.")
            return redirect("tasks:detail", task_id=task.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "tasks/create.html", {"form": form, "patient": patient}, status=status)


@login_required
@require_GET
def patient_tasks(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """The open tasks section of a patient's chart, loaded lazily by htmx."""
    patient = patient_get_for_user(user=request.user, patient_id=patient_id)
    context = {
        "patient": patient,
        "rows": selectors.task_list_for_patient(user=request.user, patient=patient),
        "can_create": permissions.can_create_task(request.user, patient),
        "variant": "patient",
    }
    return render(request, "tasks/_patient_tasks.html", context)


# --- Inline actions --------------------------------------------------------------


def _act(
    request: AuthenticatedHttpRequest, task_id: int, action: Callable[[Task], object]
) -> HttpResponse:
    """Runs the action and redraws the row; a refusal is answered by `htmx_action`."""
    task = selectors.task_get_for_user(user=request.user, task_id=task_id)
    action(task)
    if is_htmx(request):
        return _row_response(request, task.pk)
    messages.success(request, "Saved.")
    return redirect("tasks:detail", task_id=task.pk)


@login_required
@require_POST
@htmx_action
def task_complete(request: AuthenticatedHttpRequest, task_id: int) -> HttpResponse:
    form = CompleteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return _act(
        request,
        task_id,
        lambda task: services.task_complete(actor=request.user, task=task, note=note),
    )


def _task_action(service: Callable[..., object], *, with_reason: bool = False) -> View:
    """An inline action button: the service runs as the user on the task (with the form's
    reason, for those that need one) and the row is redrawn."""

    @login_required
    @require_POST
    @htmx_action
    def view(request: AuthenticatedHttpRequest, task_id: int) -> HttpResponse:
        extra = {"reason": request.POST.get("reason", "")} if with_reason else {}
        return _act(request, task_id, lambda task: service(actor=request.user, task=task, **extra))

    view.__name__ = view.__qualname__ = service.__name__
    return view


task_start = _task_action(services.task_start)
task_verify = _task_action(services.task_verify)
task_hold = _task_action(services.task_hold, with_reason=True)
task_cancel = _task_action(services.task_cancel, with_reason=True)


@login_required
@require_http_methods(["GET", "POST"])
@htmx_action
def task_reassign(request: AuthenticatedHttpRequest, task_id: int) -> HttpResponse:
    """GET: the inline form (in place of the row); POST: hand the task over with a reason."""
    task = selectors.task_get_for_user(user=request.user, task_id=task_id)
    permissions.require_can_reassign_task(request.user, task)
    members = selectors.task_owner_choices(team_id=task.team_id)
    form = ReassignForm(request.POST or None, members=members, current_owner_id=task.owner_id)
    if request.method == "POST" and form.is_valid():
        new_owner = selectors.user_get(user_id=form.cleaned_data["owner"])
        try:
            if new_owner is None:
                raise ApplicationError("Choose the new owner.")
            services.task_reassign(
                actor=request.user,
                task=task,
                new_owner=new_owner,
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as error:
            add_errors_to_form(form, error)
        else:
            if is_htmx(request):
                return _row_response(
                    request, task.pk, notice=f"Handed to {new_owner.display_name}."
                )
            messages.success(request, f"Task reassigned to {new_owner.display_name}.")
            return redirect("tasks:detail", task_id=task.pk)
    if is_htmx(request):
        return _row_response(request, task.pk, reassign_form=form)
    return render(request, "tasks/reassign.html", {"task": task, "form": form})


@login_required
@require_GET
def task_row(request: AuthenticatedHttpRequest, task_id: int) -> HttpResponse:
    """The row alone, to put it back after an inline form is dismissed."""
    task = selectors.task_get_for_user(user=request.user, task_id=task_id)
    row = selectors.task_row_for_user(user=request.user, task_id=task.pk)
    return render(request, "tasks/_task_row.html", {"row": row, "variant": _variant(request)})


# --- Notifications ------------------------------------------------------------------


@login_required
@require_GET
def notification_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    notifications = selectors.notification_list_for_user(user=request.user)
    return render(request, "tasks/notifications.html", {"notifications": notifications})


@login_required
@require_GET
def notification_badge(request: AuthenticatedHttpRequest) -> HttpResponse:
    count = selectors.notification_unread_count(user=request.user)
    return render(request, "tasks/_notification_badge.html", {"unread": count})


@login_required
@require_POST
def notification_read(request: AuthenticatedHttpRequest) -> HttpResponse:
    ids = [int(value) for value in request.POST.getlist("id") if value.isdigit()]
    notification_mark_read(actor=request.user, notification_ids=ids or None)
    return redirect("tasks:notifications")


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    """How each kind of notification reaches me: at once by email, a daily digest, in
    caregraph only, or off."""
    rows = notification_preferences_for_user(user=request.user)
    form = NotificationPreferencesForm(request.POST or None, rows=rows)
    if request.method == "POST" and form.is_valid():
        try:
            changed = notification_preferences_set(actor=request.user, choices=form.cleaned_data)
        except ApplicationError as error:
            add_errors_to_form(form, error)
        else:
            messages.success(
                request, "Preferences saved." if changed else "Nothing changed: saved as it was."
            )
            return redirect("tasks:notification_preferences")
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "tasks/notification_preferences.html", {"form": form}, status=status)
