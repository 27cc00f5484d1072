"""The Charlson Comorbidity Index from ICD-10 codes.

Categories are found with Quan et al.'s ICD-10 coding algorithm (Med Care
2005;43:1130-9, table 1) and weighted with the updated weights of Quan et al.,
Am J Epidemiol 2011;173:676-82 (table 2). Codes match a category by prefix,
dots ignored; a category counts once however many of its codes a patient has.

Hierarchy: when the severe form of a condition is present the mild one is
dropped, so it never scores twice (severe liver disease over mild liver
disease, diabetes with chronic complications over diabetes without, metastatic
solid tumour over any malignancy).

ICD-10-CM note: the algorithm was written for WHO ICD-10. Prefixes that exist
only in WHO ICD-10 (F00, E14, I85.9, ...) simply never match a CM code; CM
codes under a listed prefix (E11.22 under E11.2, N18.30 under N18) match.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from apps.patients.icd10 import dotless


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    weight: int
    prefixes: tuple[str, ...]


def _span(letter: str, first: int, last: int) -> tuple[str, ...]:
    """Three-character categories letter+first .. letter+last, e.g. I60..I69."""
    return tuple(f"{letter}{number:02d}" for number in range(first, last + 1))


def _subs(category: str, digits: str) -> tuple[str, ...]:
    """Subcategories of one category, e.g. _subs("K70", "0123") -> K700..K703."""
    return tuple(category + digit for digit in digits)


def _diabetes(digits: str) -> tuple[str, ...]:
    return tuple(code for family in _span("E", 10, 14) for code in _subs(family, digits))


CATEGORIES: tuple[Category, ...] = (
    Category("myocardial_infarction", "myocardial infarction", 0, ("I21", "I22", "I252")),
    Category(
        "heart_failure",
        "congestive heart failure",
        2,
        (
            "I099",
            "I110",
            "I130",
            "I132",
            "I255",
            "I420",
            *_subs("I42", "56789"),
            "I43",
            "I50",
            "P290",
        ),
    ),
    Category(
        "peripheral_vascular",
        "peripheral vascular disease",
        0,
        (
            "I70",
            "I71",
            "I731",
            "I738",
            "I739",
            "I771",
            "I790",
            "I792",
            "K551",
            "K558",
            "K559",
            "Z958",
            "Z959",
        ),
    ),
    Category(
        "cerebrovascular",
        "cerebrovascular disease",
        0,
        ("G45", "G46", "H340", *_span("I", 60, 69)),
    ),
    Category("dementia", "dementia", 2, (*_span("F", 0, 3), "F051", "G30", "G311")),
    Category(
        "chronic_pulmonary",
        "chronic pulmonary disease",
        1,
        ("I278", "I279", *_span("J", 40, 47), *_span("J", 60, 67), "J684", "J701", "J703"),
    ),
    Category(
        "rheumatic",
        "rheumatic disease",
        1,
        ("M05", "M06", "M315", *_span("M", 32, 34), "M351", "M353", "M360"),
    ),
    Category("peptic_ulcer", "peptic ulcer disease", 0, _span("K", 25, 28)),
    Category(
        "mild_liver",
        "mild liver disease",
        2,
        (
            "B18",
            *_subs("K70", "01239"),
            *_subs("K71", "3457"),
            "K73",
            "K74",
            "K760",
            *_subs("K76", "23489"),
            "Z944",
        ),
    ),
    Category(
        "diabetes_uncomplicated",
        "diabetes without chronic complications",
        0,
        _diabetes("01689"),
    ),
    Category(
        "diabetes_complicated",
        "diabetes with chronic complications",
        1,
        _diabetes("23457"),
    ),
    Category(
        "hemiplegia",
        "hemiplegia or paraplegia",
        2,
        ("G041", "G114", "G801", "G802", "G81", "G82", *_subs("G83", "01234"), "G839"),
    ),
    Category(
        "renal",
        "renal disease",
        1,
        (
            "I120",
            "I131",
            *_subs("N03", "234567"),
            *_subs("N05", "234567"),
            "N18",
            "N19",
            "N250",
            *_subs("Z49", "012"),
            "Z940",
            "Z992",
        ),
    ),
    Category(
        "malignancy",
        "malignancy (including lymphoma and leukaemia)",
        2,
        _span("C", 0, 26)
        + _span("C", 30, 34)
        + _span("C", 37, 41)
        + ("C43",)
        + _span("C", 45, 58)
        + _span("C", 60, 76)
        + _span("C", 81, 85)
        + ("C88",)
        + _span("C", 90, 97),
    ),
    Category(
        "severe_liver",
        "moderate or severe liver disease",
        4,
        ("I850", "I859", "I864", "I982", "K704", "K711", "K721", "K729", "K765", "K766", "K767"),
    ),
    Category("metastatic_tumour", "metastatic solid tumour", 6, _span("C", 77, 80)),
    Category("hiv_aids", "AIDS/HIV", 4, ("B20", "B21", "B22", "B24")),
)

BY_KEY: dict[str, Category] = {category.key: category for category in CATEGORIES}
MAX_SCORE = 24

# (severe form, the mild form it replaces)
HIERARCHY: tuple[tuple[str, str], ...] = (
    ("severe_liver", "mild_liver"),
    ("diabetes_complicated", "diabetes_uncomplicated"),
    ("metastatic_tumour", "malignancy"),
)


@cache
def category_of(code: str) -> str | None:
    """The Charlson category a code falls in, or None. No code is in two categories."""
    plain = dotless(code).upper()
    for category in CATEGORIES:
        if plain.startswith(category.prefixes):
            return category.key
    return None


@dataclass(frozen=True)
class CharlsonResult:
    score: int
    categories: tuple[str, ...]  # after the hierarchy, in CATEGORIES order

    def scored(self) -> list[tuple[str, int]]:
        """(label, weight) of the categories that add points, heaviest first."""
        return sorted(
            ((BY_KEY[key].label, BY_KEY[key].weight) for key in self.categories),
            key=lambda item: -item[1],
        )


def categories_after_hierarchy(found: Iterable[str]) -> tuple[str, ...]:
    present = set(found)
    for severe, mild in HIERARCHY:
        if severe in present:
            present.discard(mild)
    return tuple(category.key for category in CATEGORIES if category.key in present)


def charlson_from_categories(found: Iterable[str]) -> CharlsonResult:
    categories = categories_after_hierarchy(found)
    return CharlsonResult(
        score=sum(BY_KEY[key].weight for key in categories), categories=categories
    )


def charlson_index(codes: Iterable[str]) -> CharlsonResult:
    """The index for one patient's active codes."""
    found = {category_of(code) for code in codes}
    found.discard(None)
    return charlson_from_categories(key for key in found if key is not None)
