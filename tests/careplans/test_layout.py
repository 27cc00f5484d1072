"""Care plan and patient read and API code stays in modules one reader can hold."""

from pathlib import Path

import pytest
from django.conf import settings

APPS = Path(settings.BASE_DIR, "apps")
MOST_LINES = 500


@pytest.mark.parametrize("app", ["careplans", "patients"])
def test_read_and_api_modules_are_split_by_aggregate_before_they_pass_500_lines(app):
    root = APPS / app
    modules = [
        *root.glob("selectors.py"),
        *root.glob("selectors/*.py"),
        *root.glob("*api.py"),
        *root.glob("api/*.py"),
    ]
    too_long = {
        str(path.relative_to(APPS)): lines
        for path in modules
        if (lines := len(path.read_text().splitlines())) > MOST_LINES
    }
    assert modules
    assert too_long == {}


def test_the_split_care_plan_modules_keep_their_import_paths():
    from apps.careplans import api, selectors

    assert callable(selectors.care_plan_get_for_user)
    assert callable(selectors.care_plans_due_for_review)
    assert api.CarePlanDetailApi.__module__ == "apps.careplans.api.plans"
    assert api.GoalCreateApi.__module__ == "apps.careplans.api.items"
