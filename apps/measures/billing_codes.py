"""The care-management billing codes and their thresholds: the one table every rule reads.

Facts are stated in our own words from their sources: the CPT code descriptors
(American Medical Association) and the Medicare Physician Fee Schedule final
rules and the CMS Medicare Learning Network booklets "Chronic Care
Management Services" (MLN909188) and "Transitional Care Management Services"
(MLN908628). A practice whose payer differs changes the table here, and only
here: the report, its reasons and the tests read it.
"""

from dataclasses import dataclass
from enum import StrEnum


class TimeKind(StrEnum):
    """Whose minutes a code counts."""

    CLINICAL_STAFF = "clinical_staff"  # time entries marked as clinical staff time
    PRACTITIONER = "practitioner"  # a physician's or other qualified professional's own time
    NONE = "none"  # counted in days, not minutes (TCM)


@dataclass(frozen=True)
class BillingCode:
    code: str
    name: str
    time_kind: TimeKind
    # Minutes that first qualify (the base code), or the size of each further step (add-on).
    minutes: int
    # The base code an add-on is reported with; None for a base code.
    add_on_to: str | None = None
    # Most units of an add-on in one calendar month; None: no limit stated.
    max_units: int | None = None
    # TCM: the latest day after discharge for the face-to-face visit.
    visit_within_days: int | None = None
    source: str = ""


CMS_PFS = "CMS Medicare Physician Fee Schedule final rule"
CCM_BOOKLET = "CMS MLN909188 Chronic Care Management Services"
TCM_BOOKLET = "CMS MLN908628 Transitional Care Management Services"

CCM_CONDITIONS_MIN = 2  # chronic conditions expected to last 12 months or more
PCM_CONDITIONS_MIN = 1  # one complex chronic condition is the focus of PCM
TCM_CONTACT_BUSINESS_DAYS = 2  # interactive contact by the 2nd business day after discharge

CODES: dict[str, BillingCode] = {
    code.code: code
    for code in (
        BillingCode(
            "99490",
            "CCM, first 20 minutes of clinical staff time in the month",
            TimeKind.CLINICAL_STAFF,
            20,
            source=f"CPT 2022 descriptor; {CCM_BOOKLET}",
        ),
        BillingCode(
            "99439",
            "CCM, each further 20 minutes of clinical staff time",
            TimeKind.CLINICAL_STAFF,
            20,
            add_on_to="99490",
            max_units=2,
            source=f"CPT 2022 descriptor; {CMS_PFS} CY2022 (up to twice a month)",
        ),
        BillingCode(
            "99487",
            "Complex CCM, first 60 minutes of clinical staff time in the month",
            TimeKind.CLINICAL_STAFF,
            60,
            source=f"CPT descriptor (moderate or high complexity decision making); {CCM_BOOKLET}",
        ),
        BillingCode(
            "99489",
            "Complex CCM, each further 30 minutes of clinical staff time",
            TimeKind.CLINICAL_STAFF,
            30,
            add_on_to="99487",
            source=f"CPT descriptor; {CCM_BOOKLET}",
        ),
        BillingCode(
            "99424",
            "PCM, first 30 minutes of the practitioner's own time in the month",
            TimeKind.PRACTITIONER,
            30,
            source=f"CPT 2022 descriptor; {CMS_PFS} CY2022",
        ),
        BillingCode(
            "99425",
            "PCM, each further 30 minutes of the practitioner's own time",
            TimeKind.PRACTITIONER,
            30,
            add_on_to="99424",
            source=f"CPT 2022 descriptor; {CMS_PFS} CY2022",
        ),
        BillingCode(
            "99426",
            "PCM, first 30 minutes of clinical staff time in the month",
            TimeKind.CLINICAL_STAFF,
            30,
            source=f"CPT 2022 descriptor; {CMS_PFS} CY2022",
        ),
        BillingCode(
            "99427",
            "PCM, each further 30 minutes of clinical staff time",
            TimeKind.CLINICAL_STAFF,
            30,
            add_on_to="99426",
            max_units=2,
            source=f"CPT 2022 descriptor; {CMS_PFS} CY2022 (up to twice a month)",
        ),
        BillingCode(
            "99495",
            "TCM, moderate complexity: contact within 2 business days, visit within 14 days",
            TimeKind.NONE,
            0,
            visit_within_days=14,
            source=f"CPT descriptor; {TCM_BOOKLET}",
        ),
        BillingCode(
            "99496",
            "TCM, high complexity: contact within 2 business days, visit within 7 days",
            TimeKind.NONE,
            0,
            visit_within_days=7,
            source=f"CPT descriptor; {TCM_BOOKLET}",
        ),
    )
}
