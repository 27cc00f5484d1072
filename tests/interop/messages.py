"""HL7 v2 ADT test messages in the shapes senders really use."""

import itertools
from datetime import datetime

from django.utils import timezone

_control = itertools.count(1)

# PV1 fields by number (1-based) for a message builder.
PV1_FIELDS = 52


def ts(moment: datetime) -> str:
    """HL7 DTM with an explicit offset, as most engines send it."""
    return timezone.localtime(moment).strftime("%Y%m%d%H%M%S%z")


def adt(
    event: str,
    *,
    control_id: str | None = None,
    version: str = "2.5.1",
    identifiers: str = "H12345^^^GENHOSP^MR",
    name: str = "Garcia^Rosa^M",
    birth_date: str = "19500101",
    sex: str = "F",
    patient_class: str = "I",
    location: str = "3W^301^A^GENHOSP",
    visit_number: str = "V1",
    admitted_at: datetime | None = None,
    discharged_at: datetime | None = None,
    disposition: str = "",
    discharged_to: str = "",
    sending_facility: str = "GENHOSP",
    message_type: str = "ADT",
    processing_id: str = "P",
    evn: bool = True,
    pv1: bool = True,
    extra_segments: tuple[str, ...] = (),
    segment_separator: str = "\r",
    address: str = "",
    phone: str = "",
    language: str = "",
    died_at: datetime | None = None,
    deceased: str = "",
) -> str:
    """An ADT message; v2.3 and v2.4 leave out MSH-9.3 like their senders did."""
    control_id = control_id or f"MSG{next(_control):06d}"
    structure = f"{message_type}^{event}" + (f"^{message_type}_{event}" if version >= "2.5" else "")
    now = timezone.now()
    segments = [
        f"MSH|^~\\&|EPICADT|{sending_facility}|CAREGRAPH|NORTHSIDE|{ts(now)}||{structure}|"
        f"{control_id}|{processing_id}|{version}",
    ]
    if evn:
        segments.append(f"EVN|{event}|{ts(now)}")
    pid = ["PID", "1", "", identifiers, "", name, "", birth_date, sex] + [""] * 22
    pid[11], pid[13], pid[15] = address, phone, language
    pid[29], pid[30] = (ts(died_at) if died_at else ""), deceased
    segments.append("|".join(pid).rstrip("|"))
    if pv1:
        fields = [""] * (PV1_FIELDS + 1)
        fields[1] = "1"
        fields[2] = patient_class
        fields[3] = location
        fields[19] = visit_number
        fields[36] = disposition
        fields[37] = discharged_to
        fields[44] = ts(admitted_at) if admitted_at else ""
        fields[45] = ts(discharged_at) if discharged_at else ""
        segments.append("PV1|" + "|".join(fields[1:]).rstrip("|"))
    segments.extend(extra_segments)
    return segment_separator.join(segments) + segment_separator


# A v2.3 discharge as an older engine sends it: LF line ends, no EVN-6, two
# identifiers (hospital MRN and an enterprise id with an HD authority), an
# escaped apostrophe-free surname with an ampersand, a Z-segment.
V23_DISCHARGE = (
    "MSH|^~\\&|SMS|STMARY|CAREGRAPH|NORTHSIDE|20240105093000||ADT^A03|SM0001|P|2.3\n"
    "EVN|A03|20240105092500\n"
    "PID|1||778899^^^STMARY^MR~E-555^^^ENTERPRISE&2.16.840.1.113883.3.1&ISO^PI||"
    "SMITH\\T\\JONES^ANNA^^^^^L||19480312|F|||1 MAIN ST^^SPRINGFIELD^IL^62701\n"
    "PV1|1|I|2N^210^1^STMARY||||||||||||||||SV-42|||||||||||||||||01||||||||"
    "20240101080000|20240105090000\n"
    "ZPV|custom|site-specific|data\n"
)

# A v2.4 admission: custom component separator is not used, but repetitions
# and a hex escape (\X41\ is "A") are, and optional PV1-44 is absent.
V24_ADMISSION = (
    "MSH|^~\\&|CERNER|VALLEY|CAREGRAPH|NORTHSIDE|20240210141500-0600||ADT^A01|VL-9|P|2.4\r"
    "EVN|A01|20240210141000-0600||||20240210140000-0600\r"
    "PID|1||V-1001^^^VALLEY^MR||NGUYEN^B\\X41\\O||19600707|M\r"
    "PV1|1|I|ICU^4^^VALLEY||||||||||||||||VV-7\r"
    "ZAL|allergy-extension\r"
)
