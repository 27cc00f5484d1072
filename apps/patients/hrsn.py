"""The Accountable Health Communities Health-Related Social Needs screening tool (core items).

Ten core questions in five domains. Question texts here are paraphrased; the
answer options and the rules that make a domain positive are the tool's:

- living situation (2 items): positive if the person is worried about losing
  their housing or has no steady place, or reports any problem with the place
  they live (pests, mold, lead, heat, stove, smoke detectors, leaks);
- food (2 items): positive if either is "often true" or "sometimes true";
- transportation (1 item): positive if "yes";
- utilities (1 item): positive if "yes" or "already shut off";
- interpersonal safety (4 items, 1 = never .. 5 = frequently): the answers are
  added up; a total of 11 or more is positive.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

LIVING_SITUATION = (
    ("steady", "I have a steady place to live"),
    ("worried", "I have a place to live today, but I am worried about losing it in the future"),
    (
        "not_steady",
        "I do not have a steady place to live (staying with others, in a hotel or shelter, "
        "outside, in a car or another place not meant for living)",
    ),
)
HOUSING_PROBLEMS = (
    ("pests", "Pests such as bugs, ants, or mice"),
    ("mold", "Mold"),
    ("lead", "Lead paint or pipes"),
    ("no_heat", "Lack of heat"),
    ("stove", "Oven or stove not working"),
    ("smoke_detectors", "Smoke detectors missing or not working"),
    ("leaks", "Water leaks"),
    ("none", "None of the above"),
)
FOOD = (("often", "Often true"), ("sometimes", "Sometimes true"), ("never", "Never true"))
YES_NO = (("yes", "Yes"), ("no", "No"))
UTILITIES = (("yes", "Yes"), ("no", "No"), ("already_shut_off", "Already shut off"))
FREQUENCY = (
    (1, "Never"),
    (2, "Rarely"),
    (3, "Sometimes"),
    (4, "Fairly often"),
    (5, "Frequently"),
)
SAFETY_POSITIVE_AT = 11


@dataclass(frozen=True)
class Question:
    field: str
    domain: str
    text: str
    options: tuple[tuple[Any, str], ...]
    many: bool = False


QUESTIONS: tuple[Question, ...] = (
    Question(
        "living_situation",
        "housing",
        "Which of these best describes where you live right now?",
        LIVING_SITUATION,
    ),
    Question(
        "housing_problems",
        "housing",
        "Does the place where you live have any of these problems? (all that apply)",
        HOUSING_PROBLEMS,
        many=True,
    ),
    Question(
        "food_worry",
        "food",
        "In the last 12 months: you worried your food would be used up before you had "
        "money to buy more.",
        FOOD,
    ),
    Question(
        "food_ran_out",
        "food",
        "In the last 12 months: the food you bought ran out and there was no money to get more.",
        FOOD,
    ),
    Question(
        "transportation",
        "transportation",
        "In the last 12 months, did not having reliable transport keep you from medical "
        "appointments, work, meetings or getting things you need every day?",
        YES_NO,
    ),
    Question(
        "utilities",
        "utilities",
        "In the last 12 months, has a power, gas, oil or water company threatened to cut off "
        "your service at home?",
        UTILITIES,
    ),
    Question(
        "safety_hurt",
        "safety",
        "How often does anyone, family and friends included, hurt you physically?",
        FREQUENCY,
    ),
    Question(
        "safety_insult",
        "safety",
        "How often does anyone, family and friends included, insult you or talk down to you?",
        FREQUENCY,
    ),
    Question(
        "safety_threaten",
        "safety",
        "How often does anyone, family and friends included, threaten to harm you?",
        FREQUENCY,
    ),
    Question(
        "safety_scream",
        "safety",
        "How often does anyone, family and friends included, scream or curse at you?",
        FREQUENCY,
    ),
)
QUESTION_BY_FIELD = {question.field: question for question in QUESTIONS}
DOMAINS = ("housing", "food", "transportation", "utilities", "safety")
DOMAIN_LABELS = {
    "housing": "living situation",
    "food": "food",
    "transportation": "transportation",
    "utilities": "utilities",
    "safety": "interpersonal safety",
}
SAFETY_FIELDS = ("safety_hurt", "safety_insult", "safety_threaten", "safety_scream")


class InvalidAnswers(ValueError):
    def __init__(self, field_errors: dict[str, list[str]]) -> None:
        super().__init__("Some answers are not options of the screening tool.")
        self.field_errors = field_errors


def _whole_number(value: Any) -> Any:
    """A frequency answer as an int, or the value unchanged when it is not one.

    Only an int (not a bool, which Python counts as 0 or 1) or the text of one is an
    answer: 3.9 or "3.9" is not read as 3, and true is not read as 1.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


def _many(value: Any) -> list[Any] | None:
    """The answers to an "all that apply" question, or None when the shape is not a list."""
    if isinstance(value, str):
        return [value]
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return None


def clean_answers(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Answers as the tool's option values; InvalidAnswers lists every field that is not.

    Answers are checked, never coerced: a value that is not exactly one of the
    question's options (a fraction, true/false, an object) is refused.
    """
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for question in QUESTIONS:
        value = raw.get(question.field)
        allowed = [option for option, _ in question.options]
        if question.many:
            values = _many(value)
            if values is None:
                errors[question.field] = ["Give a list of answer options."]
                continue
            if not values:
                errors[question.field] = ["Choose at least one answer (or “None of the above”)."]
                continue
            bad = [str(item) for item in values if not isinstance(item, str) or item not in allowed]
            if bad:
                errors[question.field] = [f"Not an answer option: {', '.join(bad)}."]
                continue
            unique = [option for option in allowed if option in values]
            if "none" in unique and len(unique) > 1:
                errors[question.field] = ["“None of the above” cannot go with a problem."]
                continue
            cleaned[question.field] = unique
            continue
        if isinstance(allowed[0], int):
            value = _whole_number(value)
        if value is None or value == "":
            errors[question.field] = ["This question needs an answer."]
        elif type(value) is not type(allowed[0]) or value not in allowed:
            errors[question.field] = [f"Not an answer option: {value}."]
        else:
            cleaned[question.field] = value
    if errors:
        raise InvalidAnswers(errors)
    return cleaned


@dataclass(frozen=True)
class ScreenResult:
    housing: bool
    food: bool
    transportation: bool
    utilities: bool
    safety: bool
    safety_score: int

    @property
    def positive_domains(self) -> list[str]:
        return [domain for domain in DOMAINS if getattr(self, domain)]


def score(answers: Mapping[str, Any]) -> ScreenResult:
    """Scores cleaned answers exactly as the tool does."""
    safety_score = sum(int(answers[field]) for field in SAFETY_FIELDS)
    return ScreenResult(
        housing=answers["living_situation"] in {"worried", "not_steady"}
        or any(problem != "none" for problem in answers["housing_problems"]),
        food=answers["food_worry"] in {"often", "sometimes"}
        or answers["food_ran_out"] in {"often", "sometimes"},
        transportation=answers["transportation"] == "yes",
        utilities=answers["utilities"] in {"yes", "already_shut_off"},
        safety=safety_score >= SAFETY_POSITIVE_AT,
        safety_score=safety_score,
    )


# --- triage: needs that cannot wait for the next routine contact --------------------------
# The one rule, read by the same-day triage queue (apps.measures.triage) and the huddle
# agenda: no steady place to live, an unsafe home (the safety domain positive), food that
# often ran out with no money for more, utilities already shut off.
URGENT_ANSWERS = {
    "housing": ("living_situation", "not_steady"),
    "food": ("food_ran_out", "often"),
    "utilities": ("utilities", "already_shut_off"),
}
URGENT_NEEDS = ("housing", "safety", "food", "utilities")
URGENT_LABELS = {
    "housing": "No steady place to live",
    "safety": "Unsafe at home",
    "food": "Often no food and no money for more",
    "utilities": "Utilities already shut off",
}


def urgent_needs(answers: Mapping[str, Any], *, safety_positive: bool) -> list[str]:
    """The urgent needs (URGENT_NEEDS order) a screen's answers show."""
    needs = []
    for need in URGENT_NEEDS:
        if need == "safety":
            if safety_positive:
                needs.append(need)
            continue
        field, answer = URGENT_ANSWERS[need]
        if answers.get(field) == answer:
            needs.append(need)
    return needs
