import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from enterprises.validators import check_digit, make_tax_code, normalise_tax_code


@pytest.mark.parametrize("code", ["0100109106", "0300588569"])
def test_known_real_codes_are_valid(code):
    assert normalise_tax_code(code) == code


def test_branch_code_is_normalised_with_a_hyphen():
    assert normalise_tax_code(" 0100109106001 ") == "0100109106-001"
    assert normalise_tax_code("0100109106-002") == "0100109106-002"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("0100109107", "check digit"),
        ("12345", "10 digits"),
        ("0100109106-000", "000"),
        ("01001091O6", "10 digits"),
    ],
)
def test_invalid_codes_say_why(code, message):
    with translation.override("en"), pytest.raises(ValidationError) as error:
        normalise_tax_code(code)
    with translation.override("en"):
        assert message in " ".join(error.value.messages)


def test_reasons_are_in_vietnamese_by_default():
    with pytest.raises(ValidationError) as error:
        normalise_tax_code("0100109107")
    assert "chữ số kiểm tra" in " ".join(error.value.messages).lower()


def test_generated_codes_validate():
    for n in range(100_000_000, 100_000_200):
        code = make_tax_code(f"{n:09d}")
        if code is None:
            assert check_digit(f"{n:09d}") is None
        else:
            assert normalise_tax_code(code) == code
