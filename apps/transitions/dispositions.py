"""Where a discharge sends the patient, from the discharge disposition (PV1-36).

Senders fill PV1-36 with the NUBC patient discharge status codes (UB-04 form
locator 17), the de-facto content of HL7 user table 0112 in the US. Codes 81
to 95 are the same destinations with a planned readmission.
"""

from apps.transitions.models import Setting

_DESTINATIONS: dict[str, Setting] = {
    "01": Setting.HOME,
    "02": Setting.HOSPITAL,
    "03": Setting.SNF,
    "04": Setting.COMMUNITY,
    "05": Setting.HOSPITAL,
    "06": Setting.HOME_HEALTH,
    "07": Setting.HOME,
    "09": Setting.HOSPITAL,
    "20": Setting.EXPIRED,
    "21": Setting.UNKNOWN,
    "30": Setting.HOSPITAL,
    "40": Setting.EXPIRED,
    "41": Setting.EXPIRED,
    "42": Setting.EXPIRED,
    "43": Setting.HOSPITAL,
    "50": Setting.HOME,
    "51": Setting.HOSPICE,
    "61": Setting.SNF,
    "62": Setting.REHAB,
    "63": Setting.LONG_TERM_CARE,
    "64": Setting.SNF,
    "65": Setting.PSYCHIATRIC,
    "66": Setting.HOSPITAL,
    "69": Setting.HOSPITAL,
    "70": Setting.UNKNOWN,
    "81": Setting.HOME,
    "82": Setting.HOSPITAL,
    "83": Setting.SNF,
    "84": Setting.COMMUNITY,
    "85": Setting.HOSPITAL,
    "86": Setting.HOME_HEALTH,
    "87": Setting.UNKNOWN,
    "88": Setting.HOSPITAL,
    "89": Setting.SNF,
    "90": Setting.REHAB,
    "91": Setting.LONG_TERM_CARE,
    "92": Setting.SNF,
    "93": Setting.PSYCHIATRIC,
    "94": Setting.HOSPITAL,
    "95": Setting.UNKNOWN,
}

# Settings after which the post-discharge follow-up starts. An unknown
# destination counts: a needless call is cheaper than a missed follow-up, and
# the coordinator can cancel it.
FOLLOW_UP_SETTINGS = frozenset(
    {Setting.HOME, Setting.COMMUNITY, Setting.HOME_HEALTH, Setting.UNKNOWN}
)

# HL7 table 0004 patient classes that are not a stay: an ED treat-and-release
# or an outpatient visit ends the episode without the post-discharge follow-up.
NON_STAY_CLASSES = frozenset({"E", "O", "R"})


def setting_for_disposition(disposition: str, discharged_to: str = "") -> Setting:
    """The destination setting; no disposition and no location means home."""
    code = disposition.strip()
    if code.isdigit() and len(code) < 2:
        code = code.zfill(2)
    if code:
        return _DESTINATIONS.get(code, Setting.UNKNOWN)
    if discharged_to.strip():
        return Setting.UNKNOWN
    return Setting.HOME


def known_disposition(disposition: str) -> bool:
    code = disposition.strip()
    return (code.zfill(2) if code.isdigit() else code) in _DESTINATIONS
