"""Which of our translations fits a patient's preferred language.

Staff type the preferred language freely ("Spanish", "español", "es-MX", "spa"),
so the words are matched loosely; a language we have no translation for gets
English, the language the plan was written in.
"""

import re
import unicodedata

from django.conf import settings

FALLBACK_LANGUAGE = "en"

# Names, ISO 639-1/639-2 codes and endonyms staff are likely to type.
_LANGUAGE_WORDS: dict[str, str] = {
    "en": "en",
    "eng": "en",
    "english": "en",
    "ingles": "en",
    "es": "es",
    "spa": "es",
    "spanish": "es",
    "espanol": "es",
    "castellano": "es",
    "castilian": "es",
}


def _plain(text: str) -> str:
    without_accents = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return without_accents.strip().lower()


def patient_language_code(preferred_language: str) -> str:
    """The code of the translation to use for a patient ("es", "en"), never empty."""
    available = {code for code, _name in settings.LANGUAGES}
    words = re.split(r"[\s,;/()_-]+", _plain(preferred_language))
    for word in words:
        code = _LANGUAGE_WORDS.get(word)
        if code in available:
            return code
    return FALLBACK_LANGUAGE
