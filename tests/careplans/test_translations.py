"""The Spanish catalogue in the repository is complete and its compiled copy is current."""

import gettext
import re
from pathlib import Path

from django.conf import settings

PO = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
ENTRY = re.compile(
    r'(?:^msgctxt "(?P<context>.*)"\n)?'
    r'^msgid (?P<msgid>(?:".*"\n)+)'
    r'^msgstr (?P<msgstr>(?:".*"\n?)+)',
    re.MULTILINE,
)


def _joined(quoted: str) -> str:
    text = "".join(re.findall(r'^"(.*)"$', quoted, re.MULTILINE))
    return re.sub(r"\\(.)", lambda escape: {"n": "\n", "t": "\t"}.get(escape[1], escape[1]), text)


def po_messages() -> dict[str, str]:
    messages = {}
    for match in ENTRY.finditer(PO.read_text(encoding="utf-8")):
        msgid = _joined(match["msgid"])
        if not msgid:
            continue  # the header
        key = f"{match['context']}\x04{msgid}" if match["context"] else msgid
        messages[key] = _joined(match["msgstr"])
    return messages


def test_every_message_of_the_patients_copy_has_a_spanish_translation():
    messages = po_messages()
    assert len(messages) > 30
    assert "#, fuzzy" not in PO.read_text(encoding="utf-8")
    untranslated = [msgid for msgid, msgstr in messages.items() if not msgstr]
    assert untranslated == []


def test_the_compiled_spanish_catalogue_matches_the_translations_in_the_repository():
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    catalogue = compiled._catalog  # type: ignore[attr-defined]
    stale = {
        msgid: msgstr for msgid, msgstr in po_messages().items() if catalogue.get(msgid) != msgstr
    }
    assert stale == {}, "run `manage.py compilemessages -l es` and commit django.mo"
