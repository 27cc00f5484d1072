"""Fails when caregraph/settings.py reads an environment variable that
.env.example does not document (as `NAME=value` or a commented `# NAME=value`)."""

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READERS = {"get", "getenv", "env_bool", "env_list", "environ"}


def variables_read(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0] if node.args else None
        elif isinstance(node, ast.Subscript):
            name = "environ" if getattr(node.value, "attr", "") == "environ" else ""
            first = node.slice
        else:
            continue
        if (
            name in READERS
            and isinstance(first, ast.Constant)
            and isinstance(first.value, str)
            and re.fullmatch(r"[A-Z][A-Z0-9_]*", first.value)
        ):
            names.add(first.value)
    return names


def main() -> int:
    read = variables_read((ROOT / "caregraph" / "settings.py").read_text())
    example = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))
    missing = sorted(read - documented - {"DJANGO_SETTINGS_MODULE"})
    for name in missing:
        print(f".env.example does not document {name}, which caregraph/settings.py reads")
    if not missing:
        print(f".env.example documents all {len(read)} variables that settings read")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
