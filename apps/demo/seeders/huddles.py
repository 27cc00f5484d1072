"""Demo huddles: a weekly Tuesday 09:00 series per team and one huddle already held."""

from datetime import time, timedelta

from django.utils import timezone

from apps.demo.seeders.people import DemoPeople
from apps.huddles import services
from apps.huddles.models import AgendaItem, Weekday
from apps.patients.models import Patient

ATTENDING = ("nurse", "pcp", "sw", "chw", "pharm")


def seed_huddles(*, people: DemoPeople) -> None:
    """Each team: a weekly series, and last week's huddle run and closed with decisions.

    The held huddle's agenda comes from whatever the other demo data holds; a
    team with nothing to discuss gets two items added by hand so the screen
    and the minutes show the whole flow. Unfinished items open next week's.
    """
    for index, team in enumerate(people.teams, start=1):
        lead = people.staff[f"nurse{index}"]
        services.huddle_series_create(
            actor=lead,
            team=team,
            title=f"{team.name} weekly huddle",
            weekday=Weekday.TUESDAY,
            start_time=time(9, 0),
            duration_minutes=30,
        )
        held = services.huddle_schedule(
            actor=lead,
            team=team,
            scheduled_start=timezone.now() - timedelta(days=7),
            duration_minutes=30,
            title=f"{team.name} huddle",
        )
        patients = list(Patient.objects.filter(care_team=team).order_by("id")[:2])
        for patient, topic in zip(
            patients, ("Family asks about respite care", "Frequent ED visits"), strict=False
        ):
            services.huddle_item_add(actor=lead, huddle=held, patient=patient, title=topic)
        services.huddle_open(actor=lead, huddle=held)
        for stem in ATTENDING:
            member = people.staff[f"{stem}{index}"]
            services.huddle_attendance_set(actor=lead, huddle=held, user_id=member.pk, present=True)
        items = list(AgendaItem.objects.filter(huddle=held).order_by("position"))
        if items:
            first = items[0]
            services.huddle_item_task_create(
                actor=lead,
                item=first,
                title="Call the patient and agree next steps",
                owner=people.staff[f"sw{index}"],
                due_at=timezone.now() + timedelta(days=2),
            )
            services.huddle_item_discuss(
                actor=lead, item=first, decision="Social worker calls this week"
            )
        if len(items) > 1:
            services.huddle_item_skip(
                actor=lead, item=items[1], reason="Waiting for the hospital's summary"
            )
        services.huddle_close(actor=lead, huddle=held, carry_over=True)
