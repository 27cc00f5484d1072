import pytest

from apps.patients import hrsn

NEGATIVE = {
    "living_situation": "steady",
    "housing_problems": ["none"],
    "food_worry": "never",
    "food_ran_out": "never",
    "transportation": "no",
    "utilities": "no",
    "safety_hurt": 1,
    "safety_insult": 1,
    "safety_threaten": 1,
    "safety_scream": 1,
}


def screen(**changes):
    return hrsn.score(hrsn.clean_answers({**NEGATIVE, **changes}))


def test_all_negative_answers_give_no_positive_domain():
    result = screen()
    assert result.positive_domains == []
    assert result.safety_score == 4


@pytest.mark.parametrize(
    ("changes", "domain"),
    [
        ({"living_situation": "worried"}, "housing"),
        ({"living_situation": "not_steady"}, "housing"),
        ({"housing_problems": ["mold"]}, "housing"),
        ({"housing_problems": ["pests", "leaks"]}, "housing"),
        ({"food_worry": "sometimes"}, "food"),
        ({"food_ran_out": "often"}, "food"),
        ({"transportation": "yes"}, "transportation"),
        ({"utilities": "yes"}, "utilities"),
        ({"utilities": "already_shut_off"}, "utilities"),
    ],
)
def test_each_positive_answer_makes_its_domain_positive(changes, domain):
    assert screen(**changes).positive_domains == [domain]


@pytest.mark.parametrize(
    ("answers", "positive"),
    [
        ((2, 3, 2, 3), False),  # 10
        ((2, 3, 3, 3), True),  # 11
        ((5, 1, 1, 1), False),  # 8: one "frequently" alone is not positive
        ((5, 5, 5, 5), True),
    ],
)
def test_safety_is_positive_when_the_four_items_add_up_to_11_or_more(answers, positive):
    result = screen(**dict(zip(hrsn.SAFETY_FIELDS, answers, strict=True)))
    assert result.safety is positive
    assert result.safety_score == sum(answers)


def test_answers_outside_the_tools_options_are_refused_field_by_field():
    with pytest.raises(hrsn.InvalidAnswers) as refused:
        hrsn.clean_answers(
            {
                **NEGATIVE,
                "food_worry": "rarely",
                "safety_hurt": 6,
                "housing_problems": ["mold", "none"],
                "utilities": None,
            }
        )
    assert set(refused.value.field_errors) == {
        "food_worry",
        "safety_hurt",
        "housing_problems",
        "utilities",
    }


@pytest.mark.parametrize(
    ("field", "answer"),
    [
        ("safety_hurt", 3.9),
        ("safety_hurt", "3.9"),
        ("safety_insult", True),
        ("safety_scream", False),
        ("housing_problems", {"mold": False}),
        ("housing_problems", [True]),
        ("transportation", True),
    ],
)
def test_an_answer_that_is_not_exactly_an_option_is_refused_not_coerced(field, answer):
    with pytest.raises(hrsn.InvalidAnswers) as refused:
        hrsn.clean_answers({**NEGATIVE, field: answer})
    assert set(refused.value.field_errors) == {field}


def test_frequency_answers_posted_as_text_by_the_form_are_still_read():
    assert screen(safety_hurt="3", safety_insult="3", safety_threaten="3", safety_scream="2").safety
