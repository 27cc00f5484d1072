"""The care plan API: plans, their review, signature, versions and summary."""

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.http import AuthenticatedRequest
from apps.accounts.models import User
from apps.careplans import selectors, services
from apps.careplans.api.serializers import (
    CarePlanCreateSerializer,
    CarePlanDetailSerializer,
    CarePlanListItemSerializer,
    CarePlanWriteSerializer,
    DueReviewSerializer,
    ReasonSerializer,
    ReturnedSerializer,
    ReturnSerializer,
    ReviewSerializer,
    SignoffRequestSerializer,
    SignSerializer,
    VersionDetailSerializer,
    VersionDiffSerializer,
    VersionSerializer,
)
from apps.careplans.models import CarePlan, Pathway
from apps.careplans.pdf import summary_pdf_response
from apps.careplans.permissions import care_plan_rights
from apps.core.api_helpers import parse_input
from apps.core.exceptions import ApplicationError, NotFoundError
from apps.core.filters import filters_or_error
from apps.patients.selectors import patient_get_for_user
from apps.teams.forms import TeamFilterForm, chosen_team_id
from apps.teams.selectors import team_list_for_user

NESTED = ("pathways", "goals", "interventions", "barriers", "rights")


def _plan_detail(user: User, plan: CarePlan) -> dict[str, Any]:
    goals, interventions, barriers = selectors.care_plan_content(plan)
    rights = care_plan_rights(user, plan.patient)
    values: dict[str, Any] = {
        name: getattr(plan, name)
        for name in [str(key) for key in CarePlanDetailSerializer().fields]
        if name not in NESTED
    }
    values.update(
        pathways=list(plan.pathways.all()),
        goals=goals,
        interventions=interventions,
        barriers=barriers,
        rights={
            "edit_plan": rights.edit_plan,
            "goal_domains": sorted(rights.goal_domains),
            "sign": rights.sign,
            "request_signoff": rights.request_signoff,
            "return_plan": rights.return_plan,
        },
    )
    return dict(CarePlanDetailSerializer(values).data)


def _pathways(plan_or_patient_org: int, ids: list[int]) -> list[Pathway]:
    found = list(Pathway.objects.filter(pk__in=ids, organisation_id=plan_or_patient_org))
    if len(found) != len(set(ids)):
        raise ApplicationError(
            "Please correct the care plan.",
            field_errors={"pathway_ids": ["Choose pathways of the patient's organisation."]},
        )
    return found


def _plan_values(values: dict[str, Any], organisation_id: int) -> dict[str, Any]:
    if "pathway_ids" in values:
        values["pathways"] = _pathways(organisation_id, values.pop("pathway_ids"))
    for name in ("agreed_by", "agreement_method"):
        if name in values and values[name] is None:
            values[name] = ""
    return values


def plan_for(request: AuthenticatedRequest, plan_id: int, what: str = "plan") -> CarePlan:
    """The plan, as the selector finds it for the user (a plan they may not see: 404)."""
    return selectors.care_plan_get_for_user(user=request.user, plan_id=plan_id, what=what)


# --- plans -------------------------------------------------------------------


class CarePlanListCreateApi(APIView):
    @extend_schema(responses=CarePlanListItemSerializer(many=True))
    def get(self, request: AuthenticatedRequest) -> Response:
        plans = selectors.care_plan_list_for_user(user=request.user)
        return Response(CarePlanListItemSerializer(plans, many=True).data)

    @extend_schema(request=CarePlanCreateSerializer, responses={201: CarePlanDetailSerializer})
    def post(self, request: AuthenticatedRequest) -> Response:
        values = parse_input(CarePlanCreateSerializer, request.data)
        patient = patient_get_for_user(user=request.user, patient_id=values.pop("patient_id"))
        plan = services.care_plan_create(
            actor=request.user,
            patient=patient,
            **_plan_values(values, patient.organisation_id),
        )
        plan.patient = patient
        return Response(_plan_detail(request.user, plan), status=status.HTTP_201_CREATED)


class CarePlansDueForReviewApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("team_id", int, description="Only this care team")],
        responses=DueReviewSerializer(many=True),
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        form = TeamFilterForm(request.query_params, teams=team_list_for_user(user=request.user))
        rows = selectors.care_plans_due_for_review(
            user=request.user, team_id=chosen_team_id(filters_or_error(form))
        )
        return Response(DueReviewSerializer(rows, many=True).data)


class PatientCarePlanApi(APIView):
    @extend_schema(responses=CarePlanDetailSerializer)
    def get(self, request: AuthenticatedRequest, patient_id: int) -> Response:
        plan = selectors.care_plan_open_for_user(
            user=request.user, patient_id=patient_id, what="plan"
        )
        return Response(_plan_detail(request.user, plan))


class CarePlanDetailApi(APIView):
    @extend_schema(responses=CarePlanDetailSerializer)
    def get(self, request: AuthenticatedRequest, plan_id: int) -> Response:
        plan = plan_for(request, plan_id)
        return Response(_plan_detail(request.user, plan))

    @extend_schema(request=CarePlanWriteSerializer, responses=CarePlanDetailSerializer)
    def patch(self, request: AuthenticatedRequest, plan_id: int) -> Response:
        plan = plan_for(request, plan_id)
        data = parse_input(CarePlanWriteSerializer, request.data, partial=True)
        values = _plan_values(data, plan.patient.organisation_id)
        services.care_plan_update(actor=request.user, plan=plan, **values)
        return Response(_plan_detail(request.user, plan_for(request, plan_id)))


class CarePlanRetireApi(APIView):
    @extend_schema(request=ReasonSerializer, responses=CarePlanDetailSerializer)
    def post(self, request: AuthenticatedRequest, plan_id: int) -> Response:
        plan = plan_for(request, plan_id)
        data = parse_input(ReasonSerializer, request.data)
        plan = services.care_plan_retire(actor=request.user, plan=plan, reason=data["reason"])
        return Response(_plan_detail(request.user, plan))


# --- goals, interventions, barriers -------------------------------------------


# --- review, signature, versions, summary -------------------------------------


class CarePlanReviewApi(APIView):
    @extend_schema(responses=ReviewSerializer)
    def get(self, request: AuthenticatedRequest, plan_id: int) -> Response:
        plan = plan_for(request, plan_id, what="review")
        review = selectors.care_plan_review(user=request.user, plan=plan)
        return Response(ReviewSerializer(review).data)


class CarePlanSignApi(APIView):
    @extend_schema(request=SignSerializer, responses={201: VersionSerializer})
    def post(self, request: AuthenticatedRequest, plan_id: int) -> Response:
        plan = plan_for(request, plan_id)
        data = parse_input(SignSerializer, request.data)
        version = services.care_plan_sign(
            actor=request.user, plan=plan, fingerprint=data["fingerprint"]
        )
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)


class CarePlanSignoffRequestApi(APIView):
    @extend_schema(request=SignoffRequestSerializer, responses=CarePlanDetailSerializer)
    def post(self, request: AuthenticatedRequest, plan_id: int) -> Response:
        plan = plan_for(request, plan_id)
        data = parse_input(SignoffRequestSerializer, request.data)
        services.plan_signoff_request(actor=request.user, plan=plan, reason=data["reason"])
        return Response(_plan_detail(request.user, plan_for(request, plan_id)))


class CarePlanReturnApi(APIView):
    @extend_schema(request=ReturnSerializer, responses={201: ReturnedSerializer})
    def post(self, request: AuthenticatedRequest, plan_id: int) -> Response:
        plan = plan_for(request, plan_id)
        data = parse_input(ReturnSerializer, request.data)
        task = services.plan_signoff_return(
            actor=request.user, plan=plan, comments=data["comments"]
        )
        return Response(ReturnedSerializer(task).data, status=status.HTTP_201_CREATED)


class CarePlanVersionListApi(APIView):
    @extend_schema(responses=VersionSerializer(many=True))
    def get(self, request: AuthenticatedRequest, plan_id: int) -> Response:
        plan = plan_for(request, plan_id, what="versions")
        return Response(VersionSerializer(selectors.care_plan_versions(plan=plan), many=True).data)


class CarePlanVersionDetailApi(APIView):
    @extend_schema(responses=VersionDetailSerializer)
    def get(self, request: AuthenticatedRequest, plan_id: int, number: int) -> Response:
        plan = plan_for(request, plan_id, what="versions")
        version = selectors.care_plan_version_get(plan=plan, number=number)
        return Response(VersionDetailSerializer(version).data)


class CarePlanDiffApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("from", int, description="Default: the version before `to`"),
            OpenApiParameter("to", int, description="Default: the latest version"),
        ],
        responses=VersionDiffSerializer,
    )
    def get(self, request: AuthenticatedRequest, plan_id: int) -> Response:
        plan = plan_for(request, plan_id, what="versions")
        raw_from = request.query_params.get("from")
        raw_to = request.query_params.get("to")
        try:
            from_number = int(raw_from) if raw_from else None
            to_number = int(raw_to) if raw_to else plan.version_count
        except ValueError:
            return Response(
                {"detail": "from and to are version numbers."},
                status=status.HTTP_400_BAD_REQUEST,
            )
        before, after, diff = selectors.care_plan_version_diff(
            plan=plan, from_number=from_number, to_number=to_number
        )
        return Response(
            VersionDiffSerializer(
                {
                    "from_version": before.number if before else None,
                    "to_version": after.number,
                    "diff": diff,
                }
            ).data
        )


class CarePlanSummaryPdfApi(APIView):
    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request: AuthenticatedRequest, plan_id: int) -> HttpResponse:
        plan = selectors.care_plan_get_for_user(user=request.user, plan_id=plan_id, what="summary")
        if not plan.is_open:
            raise NotFoundError("A retired plan has no summary.")
        summary = selectors.care_plan_summary_for_user(
            user=request.user, patient_id=plan.patient_id, export=True
        )
        return summary_pdf_response(summary)
