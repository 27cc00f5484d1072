"""ICD-10-CM codes: the shape of a code, and whether the code exists.

The list of known codes is CDC's ICD-10-CM tabular list (April 1, 2026 update,
public domain), shipped as data/icd10cm.tsv.gz and built by
scripts/build_icd10cm_table.py. Every category, subcategory and full code is
known, so "E11" and "E11.22" are accepted and "E11.99" or "E99" are not.
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
    """The normalized code when it exists in ICD-10-CM; InvalidCode otherwise."""
    code = normalize(raw)
    if dotless(code) not in _titles():
        raise InvalidCode(f"{code} is not an ICD-10-CM code ({RELEASE}).")
    return code


def title(code: str) -> str:
    return _titles().get(dotless(code), "")


def all_codes() -> list[str]:
    """Every known code, with its dot; for tests and tooling."""
    return [with_dot(code) for code in _titles()]
