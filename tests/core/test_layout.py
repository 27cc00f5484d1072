"""Rules about where code lives, kept by reading the source."""

import ast
from pathlib import Path

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
