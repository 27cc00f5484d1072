from django import forms


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=100,
        label="Search",
        widget=forms.TextInput(
            attrs={
                "placeholder": "Name, MRN or date of birth",
                "type": "search",
                "autocomplete": "off",
            }
        ),
    )
    page = forms.IntegerField(required=False, min_value=1)


class BreakGlassForm(forms.Form):
    mrn = forms.CharField(label="Patient MRN", max_length=32)
    reason = forms.CharField(
        label="Why do you need emergency access?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
    )
