"""ICD-10-CM codes: the shape of a code, and whether the code exists.

The list of known codes is CDC's ICD-10-CM tabular list (April 1, 2026 update,
public domain), shipped as data/icd10cm.tsv.gz and built by
scripts/build_icd10cm_table.py. Every category, subcategory and full code is
known, so "E11.99" or "E99" is refused as unknown. Only a billable code (one
with no more specific code under it) is accepted for a patient's condition: a
category such as K72 says too little to score (Charlson counts K72.90 as severe
liver disease, K72 as nothing), so it is refused with a request for the
specific code.
"""

import gzip
import re
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "icd10cm.tsv.gz"
RELEASE = "ICD-10-CM April 1, 2026"

# A letter, a digit, a digit or letter (C4A, M1A, Z3A are real categories),
# then optionally a dot and one to four more characters.
_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
_DOTLESS = re.compile(r"^[A-Z][0-9][0-9A-Z][0-9A-Z]{0,4}$")


class InvalidCode(ValueError):
    """A code that is malformed or not in ICD-10-CM; the message says which."""


@cache
def _titles() -> dict[str, str]:
    titles: dict[str, str] = {}
    with gzip.open(DATA_FILE, "rt", encoding="utf-8") as rows:
        for line in rows:
            if line.startswith("#"):
                continue
            code, _, title = line.rstrip("\n").partition("\t")
            titles[code] = title
    return titles


@cache
def _headings() -> frozenset[str]:
    """Codes that have a more specific code under them: categories, not billable."""
    return frozenset(
        code[:length] for code in _titles() for length in range(3, len(code)) if len(code) > 3
    )


def is_billable(code: str) -> bool:
    plain = dotless(code)
    return plain in _titles() and plain not in _headings()


def dotless(code: str) -> str:
    return code.replace(".", "")


def with_dot(code: str) -> str:
    """E1122 -> E11.22 (the dot always follows the three-character category)."""
    plain = dotless(code)
    return plain if len(plain) <= 3 else f"{plain[:3]}.{plain[3:]}"


def normalize(raw: str) -> str:
    """Upper case, no spaces, dot after the category; raises InvalidCode for a bad shape."""
    text = "".join(str(raw).split()).upper()
    if not text:
        raise InvalidCode("Enter an ICD-10-CM code.")
    if "." in text:
        if not _SHAPE.match(text):
            raise InvalidCode(
                f"“{text}” is not shaped like an ICD-10-CM code "
                "(a letter, two characters, then optionally a dot and up to four more)."
            )
    elif not _DOTLESS.match(text):
        raise InvalidCode(
            f"“{text}” is not shaped like an ICD-10-CM code "
            "(a letter, two characters, then optionally a dot and up to four more)."
        )
    return with_dot(text)


def validate(raw: str) -> str:
    """The normalized code when it is a billable ICD-10-CM code; InvalidCode otherwise."""
    code = normalize(raw)
    if dotless(code) not in _titles():
        raise InvalidCode(f"{code} is not an ICD-10-CM code ({RELEASE}).")
    if dotless(code) in _headings():
        raise InvalidCode(
            f"{code} is not a billable code (it groups more specific codes): enter the "
            f"specific code, for example {with_dot(_first_billable_under(code))}."
        )
    return code


def _first_billable_under(code: str) -> str:
    plain = dotless(code)
    return min(known for known in _titles() if known.startswith(plain) and known not in _headings())


def title(code: str) -> str:
    return _titles().get(dotless(code), "")


def all_codes() -> list[str]:
    """Every known code, with its dot; for tests and tooling."""
    return [with_dot(code) for code in _titles()]
