from apps.demo.seeders.huddles import seed_huddles
from apps.demo.seeders.patients import seed_patients
from apps.demo.seeders.people import seed_people
from apps.huddles.models import AgendaItem, Huddle, HuddleSeries, HuddleStatus, ItemStatus
from apps.tasks.models import Task, TaskSource


def test_demo_seeder_makes_a_series_and_a_held_huddle_per_team(db):
    people = seed_people()
    seed_patients(actor=people.admin, teams=people.teams, count=9)
    seed_huddles(people=people)
    assert HuddleSeries.objects.count() == 3
    held = Huddle.objects.filter(status=HuddleStatus.CLOSED)
    assert held.count() == 3
    assert AgendaItem.objects.filter(huddle__in=held, status=ItemStatus.DISCUSSED).count() == 3
    tasks = Task.objects.filter(source_type=TaskSource.HUDDLE)
    assert tasks.count() == 3
    assert all(task.owner_id for task in tasks)
    assert Huddle.objects.filter(status=HuddleStatus.SCHEDULED, series__isnull=False).count() >= 12
