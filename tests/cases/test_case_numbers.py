import pytest
from django.core.exceptions import ValidationError

from cases import case_numbers
from cases.case_numbers import CASE_TYPES, Category, Stage


@pytest.mark.parametrize("code", sorted(CASE_TYPES))
def test_every_type_code_parses_and_derives_category(code):
    number = case_numbers.parse(f"（2024）黔0281{code}17号")
    assert number.type_code == code
    assert number.court_code == "黔0281"
    assert number.year == 2024 and number.seq == 17
    assert number.case_type.category in dict(Category.CHOICES)
    assert number.case_type.stage in dict(Stage.CHOICES)


@pytest.mark.parametrize(
    "raw",
    [
        "(2024)黔0281民初1234号",
        "（2024）黔0281民初1234号",
        " ( 2024 ) 黔0281 民初 1234 号 ",
        "（２０２４）黔０２８１民初１２３４号",
        "(2024）黔0281民初1234号",
        "（2024)\u3000黔0281民初1234号",
    ],
)
def test_spellings_normalise_to_one_form(raw):
    assert case_numbers.parse(raw).normal == "（2024）黔0281民初1234号"


@pytest.mark.parametrize(
    ("raw", "court", "type_code", "category", "stage"),
    [
        ("（2023）黔02民终88号", "黔02", "民终", "civil", "second_instance"),
        ("（2023）黔民申5号", "黔", "民申", "civil", "retrial_review"),
        ("（2024）黔0281执恢12号", "黔0281", "执恢", "enforcement", "enforcement"),
        ("（2024）黔0281执12号", "黔0281", "执", "enforcement", "enforcement"),
        ("（2024）黔0281刑初3号", "黔0281", "刑初", "criminal", "first_instance"),
        ("（2024）黔0281行审3号", "黔0281", "行审", "administrative", "non_litigation"),
        ("（2024）黔0281司救3号", "黔0281", "司救", "other", "judicial_aid"),
        ("（2024）黔0281破申3号", "黔0281", "破申", "other", "bankruptcy"),
    ],
)
def test_court_and_type_codes_are_split_correctly(raw, court, type_code, category, stage):
    number = case_numbers.parse(raw)
    assert (number.court_code, number.type_code) == (court, type_code)
    assert (number.case_type.category, number.case_type.stage) == (category, stage)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "2024黔0281民初1234号",
        "（2024）黔0281民初1234",
        "（24）黔0281民初1234号",
        "（2024）0281民初1234号",
        "（2024）黔0281民初号",
        "（2024）黔0281民初0号",
        "（2024）黔0281XX12号",
        "（2024）黔0281民出12号",
        "case 12",
    ],
)
def test_bad_forms_are_rejected_with_the_expected_form(raw):
    with pytest.raises(ValidationError) as exc:
        case_numbers.parse(raw)
    assert case_numbers.EXAMPLE in exc.value.messages[0]
