"""The demo organisation, its care teams, and staff in every role."""

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password

from apps.accounts.models import Organisation, Role, User
from apps.accounts.services import organisation_create, user_create
from apps.teams.models import CareTeam
from apps.teams.services import care_team_create, team_member_add

DEMO_PASSWORD = "caregraph-demo-2026"  # noqa: S105 - synthetic demo accounts only
ORGANISATION_NAME = "Riverside Community Health"
TEAM_NAMES = ["Northside Team", "Eastside Team", "Harbor Team"]

# (username stem, role, first name, last name); one of each per team.
STAFF = [
    ("nurse", Role.RN_CARE_COORDINATOR, ["Maria", "Daniel", "Aisha"], ["Rivera", "Okafor", "Chen"]),
    ("pcp", Role.PCP, ["Helen", "Samuel", "Priya"], ["Park", "Adeyemi", "Nair"]),
    ("sw", Role.SOCIAL_WORKER, ["Luis", "Grace", "Tom"], ["Moreno", "Kim", "Walsh"]),
    ("chw", Role.CHW, ["Rosa", "Kofi", "Lena"], ["Diaz", "Mensah", "Novak"]),
    ("pharm", Role.PHARMACIST, ["Irene", "Victor", "Mei"], ["Lopez", "Haddad", "Tanaka"]),
    ("spec", Role.SPECIALIST, ["Omar", "Julia", "Ben"], ["Farah", "Weiss", "Clarke"]),
    ("nav", Role.NAVIGATOR, ["Ana", "Marcus", "Zoe"], ["Silva", "Brown", "Ivanova"]),
    ("cm", Role.CASE_MANAGER, ["Paula", "Chris", "Nadia"], ["Reyes", "Young", "Petrov"]),
    ("bh", Role.BEHAVIORAL_HEALTH, ["Sara", "Ethan", "Yara"], ["Cohen", "Hughes", "Aziz"]),
]


@dataclass
class DemoPeople:
    organisation: Organisation
    teams: list[CareTeam]
    staff: dict[str, User]
    admin: User


def admin_create(
    *, organisation: Organisation, username: str, first_name: str, password: str | None
) -> User:
    """The organisation's administrator (staff and superuser), who seeds the rest."""
    return user_create(
        username=username,
        password=password,
        organisation=organisation,
        first_name=first_name,
        last_name="Admin",
        profession=Role.ADMIN,
        is_staff=True,
        is_superuser=True,
    )


def seed_people() -> DemoPeople:
    organisation = organisation_create(name=ORGANISATION_NAME, country="US", subdivision="NY")
    admin = admin_create(
        organisation=organisation, username="admin", first_name="Alex", password=DEMO_PASSWORD
    )
    teams = [
        care_team_create(actor=admin, organisation=organisation, name=name) for name in TEAM_NAMES
    ]
    staff: dict[str, User] = {}
    # One hash for every demo account: hashing is deliberately slow.
    demo_hash = make_password(DEMO_PASSWORD)
    for index, team in enumerate(teams, start=1):
        for stem, role, first_names, last_names in STAFF:
            user = user_create(
                username=f"{stem}{index}",
                password=None,
                organisation=organisation,
                first_name=first_names[index - 1],
                last_name=last_names[index - 1],
                email=f"{stem}{index}@example.org",
                profession=role,
            )
            user.password = demo_hash
            user.save(update_fields=["password"])
            staff[user.username] = user
            team_member_add(
                actor=admin,
                team=team,
                user=user,
                role=role,
                is_lead=(role == Role.RN_CARE_COORDINATOR),
            )
    # One nurse also covers a second team, as float staff do.
    team_member_add(actor=admin, team=teams[1], user=staff["nurse1"], role=Role.RN_CARE_COORDINATOR)
    return DemoPeople(organisation=organisation, teams=teams, staff=staff, admin=admin)
