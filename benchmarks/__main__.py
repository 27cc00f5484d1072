"""Runs the benchmark modules; see the package docstring for the contract."""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PACKAGE_DIR = Path(__file__).resolve().parent
PREFIX = "bench_"


def discover() -> list[str]:
    return sorted(
        info.name
        for info in pkgutil.iter_modules([str(PACKAGE_DIR)])
        if info.name.startswith(PREFIX) and not info.ispkg
    )


def select(available: list[str], wanted: list[str]) -> list[str]:
    if not wanted:
        return available
    chosen = []
    for name in wanted:
        module = name if name.startswith(PREFIX) else PREFIX + name
        if module not in available:
            known = ", ".join(n.removeprefix(PREFIX) for n in available) or "none"
            raise SystemExit(f"benchmarks: no module {module!r} (known: {known})")
        chosen.append(module)
    return chosen


@contextmanager
def own_database(module: str) -> Iterator[None]:
    """Runs a module in a fresh copy of the migrated PostgreSQL database, then drops it.

    Each module seeds its own panel and some refuse a database holding another
    one, so a run of several never lets them share. Child processes (gunicorn,
    the MLLP listener) find the copy through DATABASE_URL.
    """
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    base = settings.DATABASES["default"]["NAME"]
    copy = f"{base}_{module}"[:63]
    base_url = os.environ.get("DATABASE_URL", "")

    def maintenance(sql: str) -> None:
        connection.close()
        with connection._nodb_cursor() as cursor:
            cursor.execute(sql)

    maintenance(f'DROP DATABASE IF EXISTS "{copy}"')
    maintenance(f'CREATE DATABASE "{copy}" TEMPLATE "{base}"')
    settings.DATABASES["default"]["NAME"] = connection.settings_dict["NAME"] = copy
    if base_url:
        os.environ["DATABASE_URL"] = urlunsplit(urlsplit(base_url)._replace(path="/" + copy))
    try:
        yield
    finally:
        settings.DATABASES["default"]["NAME"] = connection.settings_dict["NAME"] = base
        if base_url:
            os.environ["DATABASE_URL"] = base_url
        maintenance(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')


def main(argv: list[str]) -> int:
    if any(arg in {"-h", "--help"} for arg in argv):
        print(sys.modules["benchmarks"].__doc__)
        return 0
    modules = select(discover(), argv)
    if not modules:
        print("benchmarks: no bench_*.py modules yet")
        return 0

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caregraph.settings")
    import django

    django.setup()

    failed = []
    for name in modules:
        print(f"\n== {name}", flush=True)
        started = time.perf_counter()
        try:
            if len(modules) > 1:
                with own_database(name):
                    importlib.import_module(f"benchmarks.{name}").main()
            else:
                importlib.import_module(f"benchmarks.{name}").main()
        except (Exception, SystemExit):
            traceback.print_exc()
            failed.append(name)
            print(f"-- {name}: FAILED after {time.perf_counter() - started:.1f}s", flush=True)
        else:
            print(f"-- {name}: done in {time.perf_counter() - started:.1f}s", flush=True)
    if failed:
        print(f"\nbenchmarks failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
