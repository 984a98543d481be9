import io
import subprocess
from datetime import date

import pytest
import time_machine
import zxingcpp
from django.db import connection
from PIL import Image
from pypdf import PdfReader

from zhengwu.core.errors import Conflict, NotFound, ValidationFailed
from zhengwu.core.models import AuditEvent
from zhengwu.licences import services
from zhengwu.licences.identifier import parse_identifier
from zhengwu.licences.models import Certificate, CertificateReuse, SigningKey
from zhengwu.licences.pdf import verification_url
from zhengwu.licences.selectors import licence_get_by_identifier, licences_of_holder

from .conftest import COMPANY_USCC, MINISTRY_USCC, PERSON_ID

pytestmark = pytest.mark.django_db

TODAY = "2026-11-22 10:00 +08:00"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


def test_issue_builds_identifier_from_type_issuer_and_serial(issue, department):
    certificate = issue()
    parsed = parse_identifier(certificate.identifier)
    assert parsed.type_code == MINISTRY_USCC + "009"
    assert parsed.issuer_code == department.uscc
    assert parsed.serial == "2026000001"
    assert parsed.version == "001"
    assert certificate.issued_on == date(2026, 11, 22)
    assert certificate.name == "食品经营许可证"
    assert certificate.issuer_name == department.name
    second = issue(number="JY2")
    assert parse_identifier(second.identifier).serial == "2026000002"


def test_issued_certificate_verifies(issue):
    result = services.licence_verify(issue())
    assert result.ok
    assert result.signature_valid and result.digest_valid and result.identifier_valid
    assert result.status == "valid"
    assert result.reasons == []


@pytest.mark.parametrize("field, value", [
    ("content", {"经营场所": "城关县解放路 99 号", "主体业态": "餐饮服务经营者", "经营项目": ["热食类食品制售"]}),
    ("holder_name", "李四"),
    ("number", "JY99999999"),
    ("valid_until", date(2036, 11, 21)),
])
def test_tampered_row_fails_verification(issue, field, value):
    certificate = issue()
    Certificate.objects.filter(pk=certificate.pk).update(**{field: value})
    result = services.licence_verify(Certificate.objects.get(pk=certificate.pk))
    assert not result.ok
    assert not result.digest_valid
    assert not result.signature_valid
    assert "证照内容与签发时不一致，数据可能被篡改" in result.reasons


def test_recomputed_digest_does_not_rescue_a_tampered_row(issue):
    certificate = issue()
    certificate.content = {"经营场所": "伪造地址"}
    certificate.content_digest = services.sm3_hex(services.signed_payload(certificate, PERSON_ID))
    Certificate.objects.filter(pk=certificate.pk).update(content=certificate.content,
                                                         content_digest=certificate.content_digest)
    result = services.licence_verify(Certificate.objects.get(pk=certificate.pk))
    assert result.digest_valid
    assert not result.signature_valid
    assert not result.ok


def test_swapped_holder_ciphertext_is_detected(issue):
    first = issue()
    second = issue(holder_name="李四", holder_id_number="440524188001010014")
    Certificate.objects.filter(pk=first.pk).update(holder_id_cipher=second.holder_id_cipher)
    result = services.licence_verify(Certificate.objects.get(pk=first.pk))
    assert not result.ok
    assert "持证主体代码无法解密，数据可能被篡改" in result.reasons


def test_signature_by_another_departments_key_is_refused(issue, clerk, other_department):
    certificate = issue()
    foreign = services.signing_key_rotate(actor=clerk, department=other_department)
    Certificate.objects.filter(pk=certificate.pk).update(signing_key=foreign)
    result = services.licence_verify(Certificate.objects.get(pk=certificate.pk))
    assert not result.ok and not result.signature_valid
    assert "签名密钥不属于颁发机构" in result.reasons


def test_holder_id_is_stored_encrypted_and_found_through_the_index(issue):
    certificate = issue()
    with connection.cursor() as cursor:
        cursor.execute("SELECT holder_id_cipher, holder_id_index, content FROM licences_certificate WHERE id = %s",
                       [certificate.pk])
        cipher, index, content = cursor.fetchone()
    for column in (cipher, index, str(content)):
        assert PERSON_ID not in column
        assert PERSON_ID.lower() not in column
    assert cipher.startswith(services.crypto.cipher_prefix())
    assert services.holder_id_decrypt(certificate) == PERSON_ID
    issue(holder_name="某公司", holder_id_type="uscc", holder_id_number=COMPANY_USCC)
    assert list(licences_of_holder(PERSON_ID)) == [certificate]
    assert list(licences_of_holder(" 11010519491231002x ")) == [certificate]
    assert list(licences_of_holder("440524188001010014")) == []
    assert [c.holder_name for c in licences_of_holder(COMPANY_USCC)] == ["某公司"]


def test_private_key_is_stored_encrypted(issue):
    key = issue().signing_key
    assert key.private_key_cipher.startswith(services.crypto.cipher_prefix())
    private_hex = services.crypto.sm4_decrypt(key.private_key_cipher, label=services.SIGNING_KEY_LABEL,
                                              aad=key.reference.encode())
    assert len(private_hex) == 64
    with connection.cursor() as cursor:
        cursor.execute("SELECT private_key_cipher FROM licences_signingkey WHERE id = %s", [key.pk])
        (raw,) = cursor.fetchone()
    assert private_hex not in raw


def test_one_key_per_department_until_rotated_and_old_certificates_still_verify(issue, clerk, department):
    first = issue()
    second = issue(number="JY2")
    assert first.signing_key_id == second.signing_key_id
    new_key = services.signing_key_rotate(actor=clerk, department=department)
    third = issue(number="JY3")
    assert third.signing_key_id == new_key.pk != first.signing_key_id
    assert SigningKey.objects.filter(department=department, is_active=True).count() == 1
    assert services.licence_verify(Certificate.objects.get(pk=first.pk)).ok
    assert services.licence_verify(third).ok


@pytest.mark.parametrize("id_type, number", [
    ("id_card", "110105194912310021"),   # wrong check character
    ("id_card", "11010519491331002X"),   # no 13th month
    ("uscc", "91610800064834709A"),
    ("passport", "E12345678"),
])
def test_invalid_holder_ids_are_refused(issue, id_type, number):
    with pytest.raises(ValidationFailed):
        issue(holder_id_type=id_type, holder_id_number=number)
    assert Certificate.objects.count() == 0


def test_retired_area_code_is_accepted_when_the_check_digit_is_right(issue):
    # RULES §9: 440524 is a retired county code; old holders keep their numbers.
    assert issue(holder_id_number="440524188001010014").pk


def test_validity_range_is_checked(issue):
    with pytest.raises(ValidationFailed):
        issue(valid_from=date(2026, 11, 22), valid_until=date(2026, 11, 21))


def test_revoke_once_then_conflict(issue, clerk):
    certificate = issue()
    services.licence_revoke(actor=clerk, certificate=certificate, reason="申请人申请注销")
    assert certificate.status == "revoked"
    result = services.licence_verify(certificate)
    assert result.authentic and not result.ok
    assert result.status_label == "已注销"
    with pytest.raises(Conflict):
        services.licence_revoke(actor=clerk, certificate=certificate, reason="再次注销")
    with pytest.raises(ValidationFailed):
        services.licence_revoke(actor=clerk, certificate=issue(number="JY2"), reason=" ")
    assert AuditEvent.objects.filter(action="licence.revoke").count() == 1


def test_expiry_is_derived_from_the_dates(issue):
    certificate = issue(valid_until=date(2026, 12, 31))
    with time_machine.travel("2026-12-31 23:59 +08:00", tick=False):
        assert services.licence_verify(certificate).ok
    with time_machine.travel("2027-01-01 00:01 +08:00", tick=False):
        result = services.licence_verify(certificate)
        assert result.status == "expired" and not result.ok
        assert "证照已超过有效期" in result.reasons
    assert Certificate.objects.get(pk=certificate.pk).status == "valid"


def test_not_yet_valid_certificate_does_not_verify(issue):
    result = services.licence_verify(issue(valid_from=date(2026, 12, 1)))
    assert result.authentic and not result.ok
    assert "证照尚未生效" in result.reasons


def test_long_term_certificate_has_no_end(issue):
    certificate = issue(valid_until=None)
    with time_machine.travel("2090-01-01 09:00 +08:00", tick=False):
        assert services.licence_verify(certificate).ok


def test_reuse_counts_and_is_refused_for_revoked_certificates(issue, clerk):
    certificate = issue()
    services.licence_reuse(actor=clerk, certificate=certificate, purpose="食品经营许可变更", reference="城关2026120003")
    reuse = services.licence_reuse(actor=clerk, certificate=certificate, purpose="餐饮招牌设置")
    assert certificate.reuse_count == 2
    assert reuse.used_by == clerk
    assert CertificateReuse.objects.filter(certificate=certificate).count() == 2
    services.licence_revoke(actor=clerk, certificate=certificate, reason="吊销")
    with pytest.raises(Conflict, match="未通过验证"):
        services.licence_reuse(actor=clerk, certificate=certificate, purpose="再次使用")
    assert Certificate.objects.get(pk=certificate.pk).reuse_count == 2


def test_issue_is_audited_with_masked_holder(issue):
    certificate = issue()
    event = AuditEvent.objects.get(action="licence.issue")
    assert event.object_id == str(certificate.pk)
    assert event.data["holder_id"] == "110105********002X"
    assert event.data["holder_name"] == "张**"
    assert PERSON_ID not in str(event.data)


def test_get_by_identifier(issue):
    certificate = issue()
    assert licence_get_by_identifier(certificate.identifier.lower()) == certificate
    with pytest.raises(NotFound):
        licence_get_by_identifier("1.2.156.3005.2.X.Y.Z.001.0")


def _pdf_page_png(certificate, tmp_path, dpi=150) -> Image.Image:
    source = tmp_path / "certificate.pdf"
    with certificate.pdf.open("rb") as handle:
        source.write_bytes(handle.read())
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-f", "1", "-l", "1", "-singlefile", str(source),
                    str(tmp_path / "certificate")], check=True)
    return Image.open(tmp_path / "certificate.png")


def test_pdf_reads_back_with_name_number_identifier_and_fields(issue):
    certificate = issue()
    with certificate.pdf.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text().replace("\n", "")
    for expected in ("食品经营许可证", "JY13301050012345", certificate.identifier, "张三丰", "城关县解放路 1 号",
                     "热食类食品制售、冷食类食品制售", "城关县市场监督管理局", "2026年11月22日", "2031年11月21日"):
        assert expected in text, expected
    # A person's ID number lies outside the encrypted column on the file, so it is masked there.
    assert PERSON_ID not in text
    assert "110105********002X" in text
    assert reader.metadata is not None and reader.metadata.subject == certificate.identifier


def test_pdf_qr_code_decodes_to_the_verification_url(issue, tmp_path, settings):
    settings.ZHENGWU_PUBLIC_BASE_URL = "https://zwfw.chengguan.gov.cn"
    certificate = issue()
    codes = zxingcpp.read_barcodes(_pdf_page_png(certificate, tmp_path))
    assert [code.text for code in codes] == [
        f"https://zwfw.chengguan.gov.cn/licences/verify/{certificate.identifier}/"]
    assert verification_url(certificate.identifier) == codes[0].text


def test_many_printed_fields_shrink_to_one_page_and_too_many_are_refused(issue):
    content = {f"许可项目{n:02d}": "预包装食品（含冷藏冷冻食品）销售" for n in range(10)}
    certificate = issue(content=content)
    with certificate.pdf.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    assert len(reader.pages) == 1
    assert "许可项目09" in reader.pages[0].extract_text()
    with pytest.raises(ValidationFailed, match="照面信息过多"):
        issue(content={f"许可项目{n:02d}": "预包装食品销售" for n in range(40)})
    assert Certificate.objects.count() == 1
    assert parse_identifier(issue(number="JY3").identifier).serial == "2026000002"


@pytest.mark.parametrize("code", [
    "11100000000013338W09",      # 2 digits
    "11100000000013338A009",     # ministry USCC check fails
    "11100000000013338W0A9",
])
def test_licence_type_code_is_checked(clerk, code):
    with pytest.raises(ValidationFailed):
        services.licence_type_create(actor=clerk, code=code, name="某证")


def test_licence_type_code_is_unique(clerk, licence_type):
    with pytest.raises(Conflict):
        services.licence_type_create(actor=clerk, code=licence_type.code.lower(), name="重复")


def test_inactive_type_or_issuer_cannot_issue(issue, licence_type, department):
    licence_type.is_active = False
    licence_type.save()
    with pytest.raises(ValidationFailed, match="证照类型“食品经营许可证”已停用"):
        issue()
    licence_type.is_active = True
    licence_type.save()
    department.is_active = False
    department.save()
    with pytest.raises(ValidationFailed, match="颁发机构“城关县市场监督管理局”已停用"):
        issue()


def test_later_changes_to_the_department_do_not_invalidate_issued_certificates(issue, department):
    certificate = issue()
    department.name = "城关县市场监督管理局（更名）"
    department.uscc = "11450721348531435D"
    department.save()
    assert services.licence_verify(Certificate.objects.get(pk=certificate.pk)).ok
    later = issue(number="JY2")
    assert services.licence_verify(later).ok
    assert later.issuer_name == "城关县市场监督管理局（更名）"
    assert parse_identifier(later.identifier).issuer_code == "11450721348531435D"
