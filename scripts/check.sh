#!/usr/bin/env bash
# The project's checks, run by `make test` (all) and `make lint` (lint).
#
#   scripts/check.sh all     lint, migrations check, pytest, the tests again on the
#                            embedded SQLite, embedded smoke test
#   scripts/check.sh lint    ruff, ruff format --check, mypy, lint-imports,
#                            .env.example documents every variable settings read
#   scripts/check.sh smoke   the embedded default: fresh SQLite, no Redis:
#                            migrate, seed_demo (twice: it must be idempotent), check
#   scripts/check.sh sqlite  pytest on the embedded SQLite (no browser, no worker;
#                            tests that commit or need PostgreSQL skip, saying why)
#
# Uses the virtualenv in $VENV (default .venv) when there is one. `all`
# expects DATABASE_URL and REDIS_URL (scripts/services.sh sets them). PYTEST_ARGS is split like a shell
# command line and passed to pytest. Every step runs even after a failure, so
# one run shows every problem; the exit code is non-zero if any step failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -x "${VENV:-.venv}/bin/python" ]; then
    PATH="$(cd "${VENV:-.venv}/bin" && pwd):$PATH"
fi

FAILED=()
PASSED=()
PYTEST_LAST_LINE=""
START=$SECONDS

step() {
    local name="$1" started=$SECONDS rc=0
    shift
    echo
    echo "==> $name"
    "$@" || rc=$?
    if [ "$rc" -eq 0 ]; then
        PASSED+=("$name")
        echo "--> $name: ok ($((SECONDS - started))s)"
    else
        FAILED+=("$name (exit $rc)")
        echo "--> $name: FAILED with exit code $rc ($((SECONDS - started))s)"
    fi
}

run_pytest() {
    local log rc=0 color=()
    log="$(mktemp)"
    [ -t 1 ] && color=(--color=yes)
    eval "set -- ${PYTEST_ARGS:-}"
    # Exit code 5 (no tests collected) is a failure like any other.
    pytest "${color[@]}" "$@" 2>&1 | tee "$log" || rc=$?
    PYTEST_LAST_LINE="$(grep -E '^=+ .*(passed|failed|error|no tests ran|skipped|deselected).* =+$' "$log" | tail -n 1 || true)"
    rm -f "$log"
    return "$rc"
}

sqlite_tests() {
    # The embedded default runs the same code with SQLite's branches (JSON, locks,
    # bulk inserts): every test that can run there does.
    eval "set -- ${PYTEST_ARGS:-}"
    env -u TEST_DATABASE_NAME DATABASE_URL="sqlite:///${TMPDIR:-/tmp}/caregraph-tests.sqlite3" \
        pytest -q -p no:cacheprovider --create-db -m "not browser and not celery_worker" "$@"
}

smoke() {
    local dir rc=0
    dir="$(mktemp -d "${TMPDIR:-/tmp}/caregraph-smoke.XXXXXX")"
    mkdir -p "$dir/var/broker/out" "$dir/var/broker/processed"
    # shellcheck disable=SC2016 # expanded by the inner bash
    env -u REDIS_URL -u CELERY_BROKER_URL -u TEST_DATABASE_NAME \
        DATABASE_URL="sqlite:///$dir/smoke.sqlite3" CAREGRAPH_VAR_DIR="$dir/var" \
        bash -euo pipefail -c '
            echo "DATABASE_URL=$DATABASE_URL (no REDIS_URL: filesystem broker)"
            python manage.py migrate --noinput -v 0
            python manage.py seed_demo
            echo "seed_demo again (must be idempotent):"
            python manage.py seed_demo >"$CAREGRAPH_VAR_DIR/seed_demo_again.log" 2>&1 ||
                { cat "$CAREGRAPH_VAR_DIR/seed_demo_again.log"; exit 1; }
            python manage.py check
        ' || rc=$?
    rm -rf "$dir"
    return "$rc"
}

lint_steps() {
    step "ruff check" ruff check .
    step "ruff format --check" ruff format --check .
    step "mypy" mypy apps caregraph
    step "lint-imports" lint-imports
    step ".env.example covers settings" python scripts/check_env_example.py
}

summary() {
    local name
    echo
    echo "==> summary ($((SECONDS - START))s)"
    for name in "${PASSED[@]}"; do echo "    ok      $name"; done
    for name in "${FAILED[@]}"; do echo "    FAILED  $name"; done
    # pytest's own closing line last, where CI looks for it.
    if [ -n "$PYTEST_LAST_LINE" ]; then
        echo "$PYTEST_LAST_LINE"
    fi
    [ "${#FAILED[@]}" -eq 0 ]
}

case "${1:-}" in
all)
    for var in DATABASE_URL REDIS_URL; do
        if [ -z "${!var:-}" ]; then
            echo "check: $var is not set; run through scripts/services.sh" >&2
            exit 2
        fi
    done
    lint_steps
    step "makemigrations --check" python manage.py makemigrations --check --dry-run
    step "pytest" run_pytest
    step "pytest on the embedded SQLite" sqlite_tests
    step "smoke test of the embedded default" smoke
    ;;
lint) lint_steps ;;
sqlite) step "pytest on the embedded SQLite" sqlite_tests ;;
smoke) step "smoke test of the embedded default" smoke ;;
*)
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
summary
