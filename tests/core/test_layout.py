"""Rules about where code lives, kept by reading the source."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

APPS = Path(settings.BASE_DIR, "apps")
RIGHT_PREFIXES = ("can_", "require_")


def _is_permissions_module(path: Path) -> bool:
    return path.stem == "permissions" or "permissions" in path.relative_to(APPS).parts[:-1]


def test_rights_are_decided_only_in_permissions_modules():
    misplaced = []
    for path in sorted(APPS.rglob("*.py")):
        if _is_permissions_module(path) or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
                RIGHT_PREFIXES
            ):
                misplaced.append(f"{path.relative_to(APPS.parent)}:{node.lineno} {node.name}")
    assert misplaced == [], "rights belong in the app's permissions.py:\n" + "\n".join(misplaced)


def _service_modules(app: str) -> list[Path]:
    root = APPS / app
    return sorted([*root.glob("services.py"), *root.glob("services/*.py")])


def _nobody_allowed(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """Parameters named `actor` that accept "nobody": typed Optional/`| None` or defaulting
    to None."""
    arguments = function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults: dict[str, ast.expr | None] = dict(
        zip(
            [arg.arg for arg in positional][len(positional) - len(arguments.defaults) :],
            arguments.defaults,
            strict=True,
        )
    )
    defaults.update(
        {
            arg.arg: default
            for arg, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True)
        }
    )
    found = []
    for arg in [*positional, *arguments.kwonlyargs]:
        if arg.arg != "actor":
            continue
        annotation = ast.unparse(arg.annotation) if arg.annotation else ""
        default = defaults.get(arg.arg)
        if (
            "None" in annotation
            or "Optional" in annotation
            or (isinstance(default, ast.Constant) and default.value is None)
        ):
            found.append(f"{function.name}(actor: {annotation or '?'})")
    return found


@pytest.mark.parametrize(
    "app",
    sorted(path.name for path in APPS.iterdir() if path.is_dir() and _service_modules(path.name)),
)
def test_services_take_an_explicit_actor(app):
    offenders = []
    for path in _service_modules(app):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                offenders += [
                    f"{path.relative_to(APPS.parent)}:{node.lineno} {found}"
                    for found in _nobody_allowed(node)
                ]
    assert offenders == [], "a service's actor is never optional:\n" + "\n".join(offenders)


def _calls(tree: ast.AST) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


def _is_string(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


@pytest.mark.parametrize(
    "app", sorted(path.name for path in APPS.iterdir() if (path / "__init__.py").exists())
)
def test_audit_object_types_come_from_the_model_not_a_string(app):
    """`audit_record(object_type=Task)`, never "tasks.task" nor a module constant holding it:
    a renamed model cannot leave its audit trail under the old name."""
    offenders = []
    for path in sorted((APPS / app).rglob("*.py")):
        if "migrations" in path.parts or path.stem == "refusals":
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        constants = {
            target.id
            for node in tree.body
            if isinstance(node, ast.Assign) and _is_string(node.value)
            for target in node.targets
            if isinstance(target, ast.Name) and "." in node.value.value  # type: ignore[attr-defined]
        }
        for call in _calls(tree):
            for keyword in call.keywords:
                value = keyword.value
                if keyword.arg == "object_type" and (
                    _is_string(value) or (isinstance(value, ast.Name) and value.id in constants)
                ):
                    offenders.append(f"{path.relative_to(APPS.parent)}:{call.lineno}")
    assert offenders == [], "name the model as the object type:\n" + "\n".join(offenders)


def test_task_history_is_written_only_with_its_audit_event():
    """TaskEvent rows are made only in apps/tasks/events.py, which writes the AuditEvent too."""
    writers = []
    for path in sorted(APPS.rglob("*.py")):
        if "migrations" in path.parts or path == APPS / "tasks" / "events.py":
            continue
        for call in _calls(ast.parse(path.read_text(), filename=str(path))):
            name = ast.unparse(call.func)
            if name == "TaskEvent" or (
                name.startswith("TaskEvent.objects.")
                and name.endswith(("create", "bulk_create", "get_or_create"))
            ):
                writers.append(f"{path.relative_to(APPS.parent)}:{call.lineno} {name}")
    assert writers == [], "write task history with apps.tasks.events:\n" + "\n".join(writers)
