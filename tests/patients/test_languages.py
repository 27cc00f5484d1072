"""A patient's preferred language, typed freely by staff, picks one of our translations."""

import pytest

from apps.patients.languages import patient_language_code


@pytest.mark.parametrize(
    "typed",
    ["Spanish", "spanish", "Español", "espanol", "es", "es-MX", "es_US", "spa", "Spanish (Mexico)"],
)
def test_the_ways_staff_write_spanish_all_pick_the_spanish_translation(typed):
    assert patient_language_code(typed) == "es"


@pytest.mark.parametrize("typed", ["English", "en", "en-US", "", "Portuguese", "Vietnamese", "?"])
def test_english_and_languages_we_have_no_translation_for_pick_english(typed):
    assert patient_language_code(typed) == "en"
