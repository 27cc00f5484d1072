"""The transitions and demo apps keep the shared rules where they live: audit object types
come from the model, and "overdue" is the tasks app's rule."""

import ast
import re
from pathlib import Path

from django.conf import settings

APPS = Path(settings.BASE_DIR, "apps")
MINE = ("transitions", "demo")


def _sources():
    for app in MINE:
        for path in sorted((APPS / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _is_spelled_out(value: ast.expr) -> bool:
    """A string, or a module constant in capitals standing for one (e.g. EPISODE)."""
    if isinstance(value, ast.Constant):
        return isinstance(value.value, str)
    return isinstance(value, ast.Name) and value.id.isupper()


def test_audit_object_types_come_from_the_model_not_from_spelled_out_labels():
    spelled = [
        f"{path.relative_to(APPS.parent)}:{node.lineno}"
        for path in _sources()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path)))
        if isinstance(node, ast.keyword)
        and node.arg == "object_type"
        and _is_spelled_out(node.value)
    ]
    assert spelled == [], "pass the model or the instance as object_type:\n" + "\n".join(spelled)


# Comparisons of a due time with "now", in queries or on rows: the tasks app owns them.
OWN_OVERDUE = re.compile(r"due_at__lte?\s*=\s*now|due_at\s*<=?\s*now|remind_at__lte")


def test_overdue_is_asked_of_the_tasks_app_not_written_again():
    found = [
        f"{path.relative_to(APPS.parent)}:{number}: {line.strip()}"
        for path in _sources()
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if OWN_OVERDUE.search(line)
    ]
    assert found == [], "use Task.objects.overdue(now) or task_is_overdue(...):\n" + "\n".join(
        found
    )
