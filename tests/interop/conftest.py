"""What the interop tests share: the hospital's interface account and a patient it knows."""

from collections.abc import Iterator

import pytest

from apps.accounts.models import Organisation, User
from apps.interop.models import PatientMatchRequest
from apps.interop.services import adt_receive
from apps.patients.models import Patient
from apps.patients.services import patient_identifier_add
from tests import factories, workers
from tests.interop.doors import HttpDoor, MllpDoor, mllp_serving
from tests.interop.messages import adt


@pytest.fixture
def interface(organisation: Organisation) -> User:
    return factories.make_user(organisation, username="hl7", is_interface=True)


@pytest.fixture
def known_patient(patient: Patient, org_admin: User) -> Patient:
    """The patient, known to General Hospital's ADT feed as GENHOSP H12345."""
    patient_identifier_add(
        actor=org_admin, patient=patient, assigning_authority="GENHOSP", value="H12345"
    )
    return patient


@pytest.fixture
def queued(interface: User, patient: Patient) -> PatientMatchRequest:
    """An admission for someone the hospital knows by an identifier we do not: queued."""
    adt_receive(actor=interface, raw=adt("A01", control_id="V1", name="Unknown^Person"))
    return PatientMatchRequest.objects.get()


@pytest.fixture(
    params=["http", pytest.param("mllp", marks=pytest.mark.django_db(transaction=True))]
)
def door(request: pytest.FixtureRequest, interface: User) -> Iterator[HttpDoor | MllpDoor]:
    """The HTTP door, then the MLLP door over a real socket (committed data, a private queue)."""
    if request.param == "http":
        yield HttpDoor(interface)
        return
    with workers.private_queue("test-interop"), mllp_serving(interface) as server:
        yield MllpDoor(server.server_address[1])
