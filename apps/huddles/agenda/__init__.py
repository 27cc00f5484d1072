"""The self-building agenda: independent sources, merged and ordered by urgency.

`SOURCES` lists every source in the order ties are broken. Each source reads
the whole team in a fixed number of queries, so building an agenda costs the
same number of queries for a team of 20 patients or 2,000.
"""

from apps.huddles.agenda.base import (
    AgendaContext,
    AgendaSource,
    Candidate,
    Evidence,
    SourceKind,
)
from apps.huddles.agenda.build import AgendaPlan, collect_candidates, plan_agenda
from apps.huddles.agenda.episodes import discharges, discharges_enrich, readmissions
from apps.huddles.agenda.loops import overdue_referrals
from apps.huddles.agenda.needs import newly_complex, urgent_social_needs
from apps.huddles.agenda.plans import plans_due_for_review
from apps.huddles.agenda.work import (
    orphaned_tasks,
    orphaned_tasks_enrich,
    overdue_tasks,
    overdue_tasks_enrich,
)
from apps.huddles.models import ItemSource

SOURCES: list[AgendaSource] = [
    AgendaSource(ItemSource.URGENT_SOCIAL_NEED, urgent_social_needs, kind=SourceKind.EVENT),
    AgendaSource(ItemSource.READMISSION, readmissions, kind=SourceKind.EVENT),
    AgendaSource(ItemSource.DISCHARGE, discharges, discharges_enrich, kind=SourceKind.EVENT),
    AgendaSource(ItemSource.ORPHANED_TASKS, orphaned_tasks, orphaned_tasks_enrich),
    AgendaSource(ItemSource.OVERDUE_TASKS, overdue_tasks, overdue_tasks_enrich),
    AgendaSource(ItemSource.REFERRAL_OVERDUE, overdue_referrals),
    AgendaSource(ItemSource.NEWLY_COMPLEX, newly_complex, kind=SourceKind.EVENT),
    AgendaSource(ItemSource.CARE_PLAN_REVIEW, plans_due_for_review),
]

__all__ = [
    "SOURCES",
    "AgendaContext",
    "AgendaPlan",
    "AgendaSource",
    "Candidate",
    "Evidence",
    "SourceKind",
    "collect_candidates",
    "plan_agenda",
]
