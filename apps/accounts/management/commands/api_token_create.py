"""Makes an API token from the shell (an interface account's, typically) and prints the
secret once. The token is made by a named organisation admin, as in the admin, so the
audit trail names the person behind it."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import User
from apps.accounts.tokens import api_token_create
from apps.core.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Makes a named, expiring API token for a user and prints its secret (once)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username", help="Whose token (e.g. the interface account)")
        parser.add_argument("--by", required=True, help="The organisation admin making it")
        parser.add_argument("--name", default="Made from the shell", help="What it is for")
        parser.add_argument("--days", type=int, default=None, help="Days until it expires")
        parser.add_argument(
            "--allowed-source-cidrs",
            default="",
            help="Interface accounts: networks it may be used from (comma separated)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        actor = User.objects.filter(username=options["by"]).first()
        if user is None or actor is None:
            raise CommandError("No such user.")
        try:
            token, key = api_token_create(
                actor=actor,
                user=user,
                name=options["name"],
                days=options["days"],
                allowed_source_cidrs=options["allowed_source_cidrs"],
            )
        except PermissionDenied as error:
            raise CommandError(str(error)) from error
        except ApplicationError as error:
            raise CommandError(f"{error.message} {error.field_errors}") from error
        self.stdout.write(f"{key}\n")
        self.stderr.write(
            f"Token “{token.name}” for {user.username}, expires {token.expires_at:%Y-%m-%d}. "
            "Copy it now: it is not stored and cannot be shown again.\n"
        )
