"""Applicant identifier and upload checks (RULES.md §9), without the database."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhengwu.cases.identifiers import applicant_id_validate, id_card_validate
from zhengwu.cases.uploads import sniff, upload_check
from zhengwu.core.errors import ValidationFailed

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def gb11643_check(body17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(body17, WEIGHTS, strict=True)) % 11]


@pytest.mark.parametrize("number", ["11010519491231002X", "11010519491231002x", "440524188001010014",
                                    " 110105 19491231 002X "])
def test_rules_vectors_are_valid_including_a_retired_area_code(number):
    assert id_card_validate(number) == number.replace(" ", "").upper()


@pytest.mark.parametrize(("number", "message"), [
    ("110105194912310021", "校验位"),
    ("11010519491231002", "18 位"),
    ("110105194902300028", "出生日期"),     # 30 February
    ("990105194912310026", "地址码"),       # no province 99
])
def test_invalid_numbers_are_refused_with_a_chinese_reason(number, message):
    with pytest.raises(ValidationFailed, match=message):
        id_card_validate(number)


def test_future_birth_dates_are_refused():
    body = "110105" + "20990101" + "001"
    with pytest.raises(ValidationFailed, match="出生日期"):
        id_card_validate(body + gb11643_check(body), today=dt.date(2026, 3, 2))


@given(st.sampled_from(["110105", "330729", "440524", "650102"]),
       st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31)),
       st.integers(min_value=0, max_value=999))
def test_any_well_formed_number_validates_and_any_other_check_char_fails(area, born, seq):
    body = f"{area}{born:%Y%m%d}{seq:03d}"
    good = gb11643_check(body)
    assert id_card_validate(body + good) == body + good
    for wrong in "0123456789X":
        if wrong != good:
            with pytest.raises(ValidationFailed):
                id_card_validate(body + wrong)


def test_uscc_and_other_documents():
    assert applicant_id_validate("uscc", "91610800064834709t") == "91610800064834709T"
    with pytest.raises(ValidationFailed) as info:
        applicant_id_validate("uscc", "91610800064834709A")
    assert info.value.field == "applicant_id_number"
    assert applicant_id_validate("passport", " e1234 5678 ") == "E12345678"
    with pytest.raises(ValidationFailed):
        applicant_id_validate("passport", "#!")


def _zip(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


def test_content_types_come_from_the_bytes():
    assert sniff(b"%PDF-1.7 ...") == ("application/pdf", "pdf")
    assert sniff(b"\xff\xd8\xff\xe0 jfif") == ("image/jpeg", "jpg")
    assert sniff(_zip(["OFD.xml", "Doc_0/Document.xml"])) == ("application/ofd", "ofd")
    assert sniff(_zip(["word/document.xml"])) is None          # a .docx is not an OFD
    assert sniff(b"PK\x03\x04 broken") is None
    assert sniff(b"GIF89a") is None


def test_upload_limits(settings):
    settings.ZHENGWU_UPLOAD_MAX_BYTES = 10
    with pytest.raises(ValidationFailed, match="为空"):
        upload_check(b"", name="a.pdf")
    with pytest.raises(ValidationFailed, match="超过大小上限"):
        upload_check(b"%PDF-" + b"x" * 10, name="a.pdf")
    checked = upload_check(b"%PDF-1.4", name="a.pdf")
    assert checked.content_type == "application/pdf" and len(checked.sha256) == 64
