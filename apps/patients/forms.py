from typing import Any

from django import forms

from apps.core.widgets import SearchField
from apps.patients.models import BreakGlassReason

LIST_PAGE_SIZE = 25


class PatientSearchForm(forms.Form):
    q = SearchField(placeholder="Name, MRN or date of birth")
    page = forms.IntegerField(required=False, min_value=1)


class BreakGlassForm(forms.Form):
    """Who the patient is (all three must match the record) and why access is needed."""

    mrn = forms.CharField(label="Patient MRN", max_length=32)
    given_name = forms.CharField(label="Patient's given name", max_length=100)
    family_name = forms.CharField(label="Patient's family name", max_length=100)
    date_of_birth = forms.DateField(
        label="Patient's date of birth", widget=forms.DateInput(attrs={"type": "date"})
    )
    reason_code = forms.ChoiceField(
        label="Why do you need emergency access?", choices=BreakGlassReason.choices
    )
    reason = forms.CharField(
        label="Explain",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
    )


# --- complex-needs evidence: the forms only parse; the services validate and decide ---

LIST_FLAGS = [("", "Any"), ("complex", "Complex needs"), ("not_complex", "Not flagged")]
LIST_DOMAINS = [
    ("clinical", "Clinical"),
    ("utilization", "Utilization"),
    ("social", "Social"),
]
LIST_SORTS = [
    ("name", "Name"),
    ("flag", "Complex needs first"),
    ("cci", "Charlson index"),
    ("utilization", "ED visits + admissions"),
    ("cost", "Cost percentile"),
    ("social", "Positive HRSN domains"),
    ("adi", "ADI percentile"),
]


class PatientListFilterForm(PatientSearchForm):
    flag = forms.ChoiceField(choices=LIST_FLAGS, required=False, label="Flag")
    met = forms.MultipleChoiceField(
        choices=LIST_DOMAINS,
        required=False,
        label="Domains over threshold",
        widget=forms.CheckboxSelectMultiple,
    )
    sort = forms.ChoiceField(choices=LIST_SORTS, required=False, label="Sort by")
    page_size = forms.IntegerField(required=False, min_value=1, max_value=100)


def patient_list_filters(cleaned: dict[str, Any]) -> dict[str, Any]:
    """The list selector's arguments from PatientListFilterForm's cleaned data (page and API)."""
    return {
        "query": cleaned.get("q") or "",
        "page": cleaned.get("page") or 1,
        "page_size": cleaned.get("page_size") or LIST_PAGE_SIZE,
        "flag": cleaned.get("flag") or "",
        "domains": cleaned.get("met") or [],
        "sort": cleaned.get("sort") or "name",
    }


class DateInput(forms.DateInput):
    input_type = "date"


class ConditionForm(forms.Form):
    code = forms.CharField(
        label="ICD-10-CM code",
        max_length=12,
        widget=forms.TextInput(attrs={"placeholder": "e.g. I50.9", "autocomplete": "off"}),
    )
    onset_date = forms.DateField(label="Onset", required=False, widget=DateInput)

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("auto_id", "condition-%s")
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


class ConditionResolveForm(forms.Form):
    resolved_date = forms.DateField(label="Resolved on", required=False, widget=DateInput)

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("auto_id", "resolve-%s")
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


class EncounterForm(forms.Form):
    kind = forms.ChoiceField(label="Type", choices=[])
    admit_date = forms.DateField(label="Admitted / seen on", widget=DateInput)
    discharge_date = forms.DateField(label="Discharged on", required=False, widget=DateInput)
    attending_provider = forms.CharField(max_length=120, required=False)
    facility = forms.CharField(max_length=120, required=False)
    cost = forms.DecimalField(
        label="Cost (USD)", required=False, min_value=0, max_digits=12, decimal_places=2
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        from apps.patients.models import EncounterKind

        kwargs.setdefault("auto_id", "encounter-%s")
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["kind"].choices = EncounterKind.choices  # type: ignore[attr-defined]


class AreaDeprivationForm(forms.Form):
    national_percentile = forms.IntegerField(
        label="ADI national percentile", required=False, min_value=1, max_value=100
    )
    state_decile = forms.IntegerField(
        label="ADI state decile", required=False, min_value=1, max_value=10
    )
    suppression_code = forms.ChoiceField(
        label="…or suppression code",
        required=False,
        choices=[
            ("", "None: a value is given"),
            ("PH", "PH"),
            ("GQ", "GQ"),
            ("PH-GQ", "PH-GQ"),
            ("QDI", "QDI"),
        ],
    )
    block_group = forms.CharField(label="Census block group", max_length=12, required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("auto_id", "adi-%s")
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


class SdohScreenForm(forms.Form):
    """The ten AHC HRSN core questions; the field set comes from apps.patients.hrsn."""

    screened_on = forms.DateField(label="Date of the screen", widget=DateInput)

    def __init__(self, *args: object, **kwargs: object) -> None:
        from apps.patients.hrsn import QUESTIONS

        kwargs.setdefault("auto_id", "screen-%s")
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for question in QUESTIONS:
            choices = [(str(value), label) for value, label in question.options]
            if question.many:
                self.fields[question.field] = forms.MultipleChoiceField(
                    label=question.text,
                    choices=choices,
                    widget=forms.CheckboxSelectMultiple,
                )
            else:
                self.fields[question.field] = forms.ChoiceField(
                    label=question.text, choices=choices, widget=forms.RadioSelect
                )

    def answers(self) -> dict[str, object]:
        from apps.patients.hrsn import QUESTIONS

        return {question.field: self.cleaned_data.get(question.field) for question in QUESTIONS}
