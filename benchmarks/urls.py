"""The app's URLs plus the baseline of bench_patients: the visible-patient list from raw SQL.

The baseline authenticates the same token the API does, then reads one page
of the user's patients through their active care-team memberships with a
plain join, and returns the API's JSON shape. No selector, serializer, audit
event or permission tables: what the real endpoint costs beyond this is the
price of those.
"""

import math

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path
from rest_framework.exceptions import AuthenticationFailed

from apps.accounts.tokens import ApiTokenAuthentication
from caregraph.urls import urlpatterns as app_urlpatterns

# The user's patients through active memberships, in the list's order.
VISIBLE_JOIN = """
    FROM teams_teammembership m
    JOIN patients_patient p ON p.care_team_id = m.team_id
    JOIN teams_careteam t ON t.id = m.team_id
    WHERE m.user_id = %s AND m.ended_at IS NULL AND p.is_active
"""
PAGE_SQL = f"""
    SELECT p.id, p.mrn, p.given_name, p.family_name, p.date_of_birth, p.sex, t.id, t.name
    {VISIBLE_JOIN}
    ORDER BY p.family_name, p.given_name, p.id
    LIMIT %s OFFSET %s
"""
COUNT_SQL = f"SELECT count(*) {VISIBLE_JOIN}"


def raw_page(user_id: int, page: int, page_size: int) -> tuple[list[tuple], int]:
    with connection.cursor() as cursor:
        cursor.execute(PAGE_SQL, [user_id, page_size, (page - 1) * page_size])
        rows = cursor.fetchall()
        cursor.execute(COUNT_SQL, [user_id])
        (total,) = cursor.fetchone()
    return rows, total


def raw_patient_list(request: HttpRequest) -> JsonResponse:
    try:
        found = ApiTokenAuthentication().authenticate(request)  # type: ignore[arg-type]
    except AuthenticationFailed:
        found = None
    if found is None:
        return JsonResponse({"detail": "Authentication credentials were not provided."}, status=401)
    try:
        page = max(1, int(request.GET.get("page", "1")))
        page_size = max(1, min(int(request.GET.get("page_size", "25")), 100))
    except ValueError:
        return JsonResponse({"detail": "page and page_size must be whole numbers."}, status=400)
    rows, total = raw_page(found[0].pk, page, page_size)
    results = [
        {
            "id": pk,
            "mrn": mrn,
            "given_name": given_name,
            "family_name": family_name,
            "date_of_birth": born.isoformat(),
            "sex": sex,
            "care_team": {"id": team_id, "name": team_name},
            "complexity": None,
        }
        for pk, mrn, given_name, family_name, born, sex, team_id, team_name in rows
    ]
    return JsonResponse(
        {
            "count": total,
            "page": page,
            "num_pages": max(1, math.ceil(total / page_size)),
            "page_size": page_size,
            "results": results,
        }
    )


urlpatterns = [
    path("bench/raw-patients/", raw_patient_list, name="bench-raw-patients"),
    *app_urlpatterns,
]
