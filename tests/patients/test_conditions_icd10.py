import pytest

from apps.patients import icd10


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("E11.22", "E11.22"),
        ("e1122", "E11.22"),
        (" i50.9 ", "I50.9"),
        ("B20", "B20"),
        ("C4A.0", "C4A.0"),
        ("S72.001A", "S72.001A"),
        ("M1A.0710", "M1A.0710"),
    ],
)
def test_known_codes_are_accepted_and_normalized(raw, expected):
    assert icd10.validate(raw) == expected
    assert icd10.title(expected)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Enter an ICD-10-CM code"),
        ("E11.", "not shaped like"),
        ("11.22", "not shaped like"),
        ("E1.22", "not shaped like"),
        ("E11.22345", "not shaped like"),
        ("E11-22", "not shaped like"),
        ("E11.99", "is not an ICD-10-CM code"),
        ("E99", "is not an ICD-10-CM code"),
        ("U99.9", "is not an ICD-10-CM code"),
    ],
)
def test_malformed_or_unknown_codes_are_refused_with_a_reason(raw, message):
    with pytest.raises(icd10.InvalidCode, match=message):
        icd10.validate(raw)


def test_the_shipped_list_is_the_whole_icd10cm():
    codes = icd10.all_codes()
    assert len(codes) > 95_000
    assert "I50.9" in codes
    assert "E11.22" in codes


@pytest.mark.parametrize(
    ("raw", "example"), [("K72", "K72.00"), ("K72.9", "K72.90"), ("E11", "E11.00")]
)
def test_a_category_that_is_not_billable_is_refused_asking_for_the_specific_code(raw, example):
    with pytest.raises(icd10.InvalidCode, match="not a billable code") as refused:
        icd10.validate(raw)
    assert "enter the specific code" in str(refused.value)
    assert example in str(refused.value)


def test_billable_codes_with_no_code_under_them_are_accepted():
    assert icd10.is_billable("K72.90")
    assert icd10.is_billable("B20")
    assert not icd10.is_billable("K72")
