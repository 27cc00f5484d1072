"""FHIR test helpers: system clients with real keys, tokens and R4B validation; and
the importer's fixtures (an interface account, an import run, generated patients)."""

import json
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.test import Client
from fhir.resources.R4B import get_fhir_model_class
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from apps.accounts.models import Organisation, User
from apps.core.actors import JobActor
from apps.fhir.importing.service import IMPORT_JOB, ImportReport, import_path
from apps.fhir.models import FhirClient
from apps.patients.models import Patient
from apps.referrals.models import Referral, ResourceOrganisation
from apps.teams.models import CareTeam
from tests import factories
from tests.referrals import factories as referral_factories

TOKEN_URL = "http://testserver/fhir/R4/auth/token"
FHIR_JSON = "application/fhir+json"


def validated(resource: dict[str, Any]) -> dict[str, Any]:
    """Parses `resource` with its R4B model (raises if it is not valid FHIR)."""
    model = get_fhir_model_class(resource["resourceType"])
    model.model_validate(resource)
    return resource


def validated_bundle(bundle: dict[str, Any]) -> dict[str, Any]:
    validated(bundle)
    for entry in bundle.get("entry", []):
        validated(entry["resource"])
    return bundle


def token_post(form: dict[str, str]) -> Any:
    return Client().post(
        "/fhir/R4/auth/token", urlencode(form), content_type="application/x-www-form-urlencoded"
    )


class SystemClient:
    """A registered FHIR client and its private key."""

    def __init__(self, row: FhirClient, private_key: Any, algorithm: str) -> None:
        self.row = row
        self.private_key = private_key
        self.algorithm = algorithm

    def assertion(self, **overrides: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": self.row.client_id,
            "sub": self.row.client_id,
            "aud": TOKEN_URL,
            "exp": now + 240,
            "jti": uuid.uuid4().hex,
            **overrides,
        }
        claims = {key: value for key, value in claims.items() if value is not None}
        return jwt.encode(claims, self.private_key, algorithm=self.algorithm, headers={"kid": "k1"})

    def token_response(self, scope: str, **overrides: Any) -> Any:
        return token_post(
            {
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": self.assertion(**overrides),
                "scope": scope,
            }
        )

    def http(self, scope: str = "system/*.read") -> Client:
        response = self.token_response(scope)
        assert response.status_code == 200, response.content
        return Client(headers={"Authorization": f"Bearer {response.json()['access_token']}"})


def _public_jwk(private_key: Any, algorithm: str) -> dict[str, Any]:
    tool = RSAAlgorithm if algorithm == "RS384" else ECAlgorithm
    jwk = json.loads(tool.to_jwk(private_key.public_key()))
    return {**jwk, "kid": "k1", "alg": algorithm}


@pytest.fixture
def make_system_client() -> Callable[..., SystemClient]:
    def make(
        organisation: Organisation,
        *,
        scopes: str = "system/*.read",
        partner: ResourceOrganisation | None = None,
        algorithm: str = "RS384",
        client_id: str | None = None,
    ) -> SystemClient:
        if algorithm == "RS384":
            private_key: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            private_key = ec.generate_private_key(ec.SECP384R1())
        row = FhirClient.objects.create(
            organisation=organisation,
            resource_organisation=partner,
            name=f"Client {client_id or uuid.uuid4().hex[:6]}",
            client_id=client_id or uuid.uuid4().hex,
            jwks={"keys": [_public_jwk(private_key, algorithm)]},
            scopes=scopes,
        )
        return SystemClient(row, private_key, algorithm)

    return make


@pytest.fixture
def sent_referral(
    patient: Patient, nurse: User, social_worker: User, organisation, org_admin
) -> Referral:
    """A community food referral, sent to its partner."""
    service = referral_factories.make_service(organisation, actor=org_admin, name="Food boxes")
    return referral_factories.make_referral(
        patient, actor=nurse, service=service, owner=social_worker, state="sent"
    )


@pytest.fixture
def chart(patient: Patient, nurse: User, social_worker: User, sent_referral: Referral) -> Patient:
    """A patient with one of everything the FHIR API publishes."""
    from tests.careplans import factories as plan_factories
    from tests.patients import factories as patient_factories
    from tests.tasks.factories import make_task

    patient_factories.add_conditions(nurse, patient, "E11.22")
    patient_factories.add_encounters(nurse, patient, "ed", 20)
    patient_factories.add_encounters(nurse, patient, "inpatient", 40)
    patient_factories.screen(nurse, patient, food_worry="often")
    plan = plan_factories.make_plan(patient, nurse)
    plan_factories.make_goal(plan, nurse)
    make_task(patient, nurse, actor=nurse)
    return patient


@pytest.fixture
def interface(organisation: Organisation) -> User:
    return factories.make_user(organisation, username="fhir-feed", is_interface=True)


@pytest.fixture
def importer_actor(org_admin: User, organisation: Organisation) -> JobActor:
    return JobActor(job=IMPORT_JOB, for_user=org_admin, organisation_id=organisation.pk)


@pytest.fixture
def run_import(importer_actor: JobActor, organisation: Organisation) -> Callable[..., ImportReport]:
    def run(path: Path, *, source: str = "ehr", dry_run: bool = False) -> ImportReport:
        return import_path(
            actor=importer_actor,
            organisation_id=organisation.pk,
            source=source,
            path=str(path),
            dry_run=dry_run,
        )

    return run


@pytest.fixture
def our_patients(team: CareTeam, org_admin: User) -> Callable[[int], list[str]]:
    """n patients on the team; returns their MRNs (which the generated records carry)."""

    def make(count: int) -> list[str]:
        mrns = [f"GEN{n:05d}" for n in range(1, count + 1)]
        for mrn in mrns:
            factories.make_patient(team, actor=org_admin, mrn=mrn)
        return mrns

    return make


def write_ndjson(path: Path, resources: Iterable[dict[str, Any] | str]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in resources))
    return path
