"""Take the README's screenshots from a fresh demo.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--patients 200]

Builds a throwaway SQLite database in a temporary directory, loads the demo
panel (`seed_demo`), starts `manage.py runserver` on a free local port, signs in
as the demo nurse (nurse1) and PCP (pcp1) through the real login form, and
saves PNGs with Debian's Chromium (headless, Playwright): the nurse's My work,
patient list, a chart, its care plan, a Spanish-speaking patient's own copy of
the plan, the transitions and referrals boards, huddles and measures, and the
PCP's plan reviews at 1366 px wide; the nurse's My work at a phone's 390 px. Nothing outside
the temporary directory and the output folder is touched; the server stops
when the script ends.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
DESKTOP = {"width": 1366, "height": 860}
PHONE = {"width": 390, "height": 844}
# README images stay small; a larger capture is cut to fewer colours (if Pillow is there).
MAX_BYTES = 250_000
DEMO_USER = "nurse1"
DEMO_PCP = "pcp1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def demo_environment(var_dir: Path, port: int) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        # Never the developer's own database, broker or cache: only the throwaway one.
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CACHE_URL"}
    }
    env.update(
        CAREGRAPH_DEMO="1",
        CAREGRAPH_VAR_DIR=str(var_dir),
        DATABASE_URL=f"sqlite:///{var_dir / 'screenshots.sqlite3'}",
        WEB_HOST="127.0.0.1",
        WEB_PORT=str(port),
        DJANGO_SETTINGS_MODULE="caregraph.settings",
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def wait_until_up(url: str, server: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("runserver stopped before it answered")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own local server
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"runserver did not answer at {url} within {seconds:.0f} s")


def demo_facts(env: dict[str, str]) -> tuple[str, int, int]:
    """The demo password, a patient worth showing (the nurse's patient with the
    fullest open plan) and, for the patient's own copy, the fullest plan of a
    Spanish-speaking patient of the nurse (asked of a child process, so this one
    never loads Django)."""
    code = (
        "import django; django.setup()\n"
        "from django.db.models import Count\n"
        "from apps.careplans.models import CarePlan, CarePlanStatus\n"
        "from apps.demo.seeders.people import DEMO_PASSWORD\n"
        "from apps.patients.languages import patient_language_code\n"
        "from apps.teams.models import TeamMembership\n"
        f"teams = TeamMembership.objects.open().filter(user__username='{DEMO_USER}')\n"
        "plans = list(CarePlan.objects.exclude(status=CarePlanStatus.RETIRED)\n"
        "    .filter(patient__care_team_id__in=teams.values('team_id')).select_related('patient')\n"
        "    .annotate(n=Count('goals')).order_by('-n', 'id'))\n"
        "spanish = [plan for plan in plans\n"
        "    if patient_language_code(plan.patient.preferred_language) == 'es']\n"
        "print(DEMO_PASSWORD, plans[0].patient_id, (spanish or plans)[0].patient_id)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    password, patient_id, summary_patient_id = result.stdout.strip().splitlines()[-1].split()
    return password, int(patient_id), int(summary_patient_id)


def shrink(path: Path) -> None:
    if path.stat().st_size <= MAX_BYTES:
        return
    try:
        from PIL import Image
    except ImportError:
        print(f"  {path.name}: {path.stat().st_size // 1000} kB (install Pillow to shrink)")
        return
    with Image.open(path) as image:
        image.convert("RGB").quantize(colors=128).save(path, optimize=True)


def take(page: object, base: str, path: str, out: Path, name: str) -> None:
    page.goto(base + path)  # type: ignore[attr-defined]
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
    target = out / f"{name}.png"
    page.screenshot(path=str(target), full_page=False)  # type: ignore[attr-defined]
    shrink(target)
    print(f"  {target}: {target.stat().st_size // 1000} kB")


def sign_in(page: object, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")  # type: ignore[attr-defined]
    page.fill("#id_username", username)  # type: ignore[attr-defined]
    page.fill("#id_password", password)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(lambda url: "/accounts/login" not in url)  # type: ignore[attr-defined]


Session = tuple[str, dict[str, int], dict[str, str]]


def capture(base: str, out: Path, sessions: list[Session], password: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            for username, viewport, shots in sessions:
                print(f"{username} at {viewport['width']} px")
                context = browser.new_context(viewport=viewport)
                page = context.new_page()
                sign_in(page, base, username, password)
                for name, path in shots.items():
                    take(page, base, path, out, name)
                context.close()
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--patients", type=int, default=200)
    options = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    out = options.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    var_dir = Path(tempfile.mkdtemp(prefix="caregraph-screenshots-"))
    port = free_port()
    env = demo_environment(var_dir, port)
    try:
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "seed_demo", "--patients", str(options.patients))
        password, patient_id, summary_patient_id = demo_facts(env)
        nurse_pages = {
            "my-work": "/work/",
            "patient-list": "/patients/",
            "chart": f"/patients/{patient_id}/",
            "care-plan": f"/careplans/patients/{patient_id}/",
            "patient-copy": f"/careplans/patients/{summary_patient_id}/summary/",
            "transitions-board": "/transitions/",
            "referrals-board": "/referrals/",
            "huddles": "/huddles/",
            "measures": "/measures/",
        }
        sessions: list[Session] = [
            (DEMO_USER, DESKTOP, nurse_pages),
            (DEMO_PCP, DESKTOP, {"plan-reviews": "/careplans/review/"}),
            (DEMO_USER, PHONE, {"my-work-phone": "/work/"}),
        ]
        log_path = var_dir / "runserver.log"
        log = log_path.open("wb")
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(f"{base}/healthz", server)
            capture(base, out, sessions, password)
        except BaseException:
            print(log_path.read_text(errors="replace")[-4000:], file=sys.stderr)
            raise
        finally:
            server.terminate()
            server.wait(timeout=20)
            log.close()
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
