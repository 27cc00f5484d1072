"""Who is calling the FHIR API: a person (session or API token) or a system client."""

from dataclasses import dataclass, field

from apps.accounts.models import Actor, User
from apps.core.actors import JobActor
from apps.fhir.models import FhirClient


def client_job_name(client: FhirClient) -> str:
    """How the audit trail names a system client's steps."""
    return f"fhir-client:{client.client_id}"


@dataclass(frozen=True)
class FhirCaller:
    """A person, or a system client with the scopes its token was granted."""

    user: User | None = None
    client: FhirClient | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    # Patients a person reads through a live break-the-glass access (not their teams'):
    # set for one read of that patient (apps.fhir.permissions.with_break_glass), and
    # every audit event of the read is flagged.
    break_glass: frozenset[int] = field(default_factory=frozenset)

    @property
    def organisation_id(self) -> int | None:
        if self.client is not None:
            return self.client.organisation_id
        return self.user.organisation_id if self.user is not None else None

    @property
    def actor(self) -> Actor:
        """The actor services and the audit trail see: the person, or the client as a job
        acting for its organisation (named in the audit detail)."""
        if self.user is not None:
            return self.user
        assert self.client is not None  # noqa: S101 - a caller is one or the other
        return JobActor(
            job=client_job_name(self.client),
            for_user=self.client.account,
            organisation_id=self.client.organisation_id,
        )

    @property
    def detail(self) -> dict[str, object]:
        """Audit detail naming the client, when a client calls."""
        if self.client is None:
            return {}
        return {"fhir_client_id": self.client.pk, "client_id": self.client.client_id}
