from django import forms

from apps.core.exceptions import ApplicationError
from apps.core.form_actions import form_write


class _NoteForm(forms.Form):
    note = forms.CharField(max_length=10)


def test_a_refused_write_keeps_the_services_message_on_the_field_and_reports_nothing_written():
    form = _NoteForm({"note": "hello"})

    def refuse(values):
        raise ApplicationError("No.", field_errors={"note": ["Not this note."]})

    assert form_write(form, refuse) is False
    assert form.errors["note"] == ["Not this note."]


def test_an_invalid_form_never_reaches_the_service():
    calls = []
    form = _NoteForm({"note": "far too long for the field"})
    assert form_write(form, calls.append) is False
    assert calls == []
    assert "note" in form.errors


def test_a_valid_form_hands_its_cleaned_data_to_the_service():
    calls = []
    assert form_write(_NoteForm({"note": " hi "}), calls.append) is True
    assert calls == [{"note": "hi"}]
