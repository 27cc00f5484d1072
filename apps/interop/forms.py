from django import forms

from apps.patients.models import IDENTIFIER_VALUE_MAX


class CandidateSearchForm(forms.Form):
    q = forms.CharField(
        label="Find the patient by MRN or identifier",
        max_length=IDENTIFIER_VALUE_MAX,
        required=False,
    )


class MatchForm(forms.Form):
    patient = forms.IntegerField(widget=forms.HiddenInput)


class DismissForm(forms.Form):
    reason = forms.CharField(label="Why is this not our patient?", max_length=300)
