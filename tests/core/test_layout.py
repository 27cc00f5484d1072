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


# Areas whose services other engineers are still moving to explicit actors.
PENDING_ACTOR_APPS = {"tasks", "teams", "careplans"}


@pytest.mark.parametrize(
    "app",
    [
        pytest.param(
            app,
            marks=pytest.mark.xfail(
                app in PENDING_ACTOR_APPS, reason="services not yet on Actor", strict=False
            ),
        )
        for app in sorted(
            path.name for path in APPS.iterdir() if path.is_dir() and _service_modules(path.name)
        )
    ],
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
