"""manage.py rotate_data_key: every encrypted value re-encrypted and every keyed index rebuilt under a
new ZHENGWU_DATA_KEY, in resumable batches, refusing a wrong previous key (zhengwu/core/keyrotation.py)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models
from django.db.models.functions import Cast

from zhengwu.cases import selectors, services
from zhengwu.cases.models import Case
from zhengwu.core import keyrotation
from zhengwu.core.crypto import LEGACY_PREFIX, DecryptionFailed, cipher_prefix, key_id, key_id_of
from zhengwu.core.fields import CiphertextField, EncryptedCharField, KeyedIndexField, id_number_index
from zhengwu.core.models import AuditEvent
from zhengwu.licences import services as licence_services
from zhengwu.licences.models import Certificate, SigningKey
from zhengwu.licences.selectors import licences_of_holder
from zhengwu.notify.models import Outgoing

from .conftest import ID_PERSON, full_materials, person

OLD = "old-master-key-for-personal-data-0123456789"
NEW = "new-master-key-for-personal-data-9876543210"
AGENT = "33010219800101000X"
HOLDER = "11010519491231002X"
MINISTRY_USCC = "11100000000013338W"


@pytest.fixture
def old_key(settings):
    settings.ZHENGWU_DATA_KEY, settings.ZHENGWU_DATA_KEY_PREVIOUS = OLD, ""
    return settings


@pytest.fixture
def data(old_key, item, applicant, clerk, dept_market):
    """Under the old key: three cases (one with an agent), a certificate and its department's signing key."""
    cases = [services.case_submit(actor=applicant, item_id=item.pk, materials=full_materials(item),
                                  applicant=person(**extra))
             for extra in ({}, {"agent_name": "王代办", "agent_id_number": AGENT}, {"id_number": "440524188001010014"})]
    licence_type = licence_services.licence_type_create(actor=clerk, code=MINISTRY_USCC + "009", name="食品经营许可证",
                                                        ministry="国家市场监督管理总局")
    certificate = licence_services.licence_issue(
        actor=clerk, licence_type=licence_type, issuer=dept_market, holder_name="张三丰", holder_id_type="id_card",
        holder_id_number=HOLDER, number="JY13301050012345", content={"经营场所": "城关县解放路 1 号"},
        valid_from=dt.date(2026, 3, 2), valid_until=dt.date(2031, 3, 1))
    # The test's transaction never commits, so the submissions' SMS would still wait in the outbox
    # (encrypted too, and rotated like any column: see the last test); a running system has sent
    # them seconds later, so the counts below are of the lasting columns only.
    Outgoing.objects.all().delete()
    return cases, certificate


def _rotate_to_new(settings) -> None:
    settings.ZHENGWU_DATA_KEY, settings.ZHENGWU_DATA_KEY_PREVIOUS = NEW, OLD


def _raw_columns() -> dict[tuple[str, object, str], str]:
    """Every stored value of every encrypted column and keyed index, as the database holds it."""
    out = {}
    for column in keyrotation.encrypted_columns():
        names = [column.field] + ([column.index_field] if column.index_field else [])
        for name in names:
            rows = column.model._base_manager.annotate(_raw=Cast(name, output_field=models.TextField()))
            out.update({(column.name, pk, name): raw for pk, raw in rows.values_list("pk", "_raw")})
    return out


def _stored_text_values():
    """Every text value of every table of the project, whatever its field class."""
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        for f in model._meta.local_concrete_fields:
            if isinstance(f, models.CharField | models.TextField):
                raw = Cast(f.name, output_field=models.TextField())
                for value in model._base_manager.annotate(_raw=raw).values_list("_raw", flat=True):
                    yield f"{model._meta.label}.{f.name}", value or ""


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def test_values_are_readable_and_found_by_their_index_after_the_rotation(settings, data, capsys):
    cases, certificate = data
    old_prefix = cipher_prefix(key_id_of(OLD.encode()))
    assert all(raw.startswith(old_prefix) for (_, _, name), raw in _raw_columns().items()
               if not name.endswith("_index") and raw)
    _rotate_to_new(settings)
    # During the window both keys read, and lookups by index find rows not rotated yet.
    assert Case.objects.get(pk=cases[1].pk).agent_id_number == AGENT
    assert {c.pk for c in selectors.case_list_by_id_number(user=cases[0].applicant, id_number=ID_PERSON)} \
        == {cases[0].pk, cases[1].pk}
    assert list(licences_of_holder(HOLDER)) == [certificate]

    call_command("rotate_data_key", "--batch-size", "2")
    out = capsys.readouterr().out
    assert "cases.Case.applicant_id_number  重新加密 3 条" in out and "完成" in out

    settings.ZHENGWU_DATA_KEY_PREVIOUS = ""  # the window is over: only the new key is known
    new_prefix = cipher_prefix(key_id_of(NEW.encode()))
    for (name, pk, column), raw in _raw_columns().items():
        if raw and not column.endswith("_index"):
            assert raw.startswith(new_prefix), (name, pk)
    for case, number in zip(cases, [ID_PERSON, ID_PERSON, "440524188001010014"], strict=True):
        fresh = Case.objects.get(pk=case.pk)
        assert fresh.applicant_id_number == number
        assert Case.objects.filter(applicant_id_index=id_number_index(number), pk=case.pk).exists()
    assert Case.objects.get(pk=cases[1].pk).agent_id_number == AGENT
    assert list(Case.objects.filter(agent_id_index=id_number_index(AGENT))) == [cases[1]]
    assert {c.pk for c in selectors.case_list_by_id_number(user=cases[0].applicant, id_number=ID_PERSON)} \
        == {cases[0].pk, cases[1].pk}
    assert list(licences_of_holder(HOLDER)) == [certificate]
    fresh_certificate = Certificate.objects.get(pk=certificate.pk)
    assert licence_services.holder_id_decrypt(fresh_certificate) == HOLDER
    assert licence_services.licence_verify(fresh_certificate).ok
    key = SigningKey.objects.get(pk=certificate.signing_key_id)
    assert len(licence_services.crypto.sm4_decrypt(key.private_key_cipher, label=licence_services.SIGNING_KEY_LABEL,
                                                   aad=key.reference.encode())) == 64
    # No value anywhere in the database is still under the old key, whatever column holds it.
    stale = [name for name, value in _stored_text_values()
             if value.startswith((old_prefix, LEGACY_PREFIX))]
    assert stale == []
    call_command("rotate_data_key", "--check")


def test_the_rotation_is_audited_with_counts_never_values(settings, data):
    _rotate_to_new(settings)
    call_command("rotate_data_key", "--batch-size", "2")
    batches = _events("data_key.rotate_batch")
    per_column: dict[str, int] = {}
    for event in batches:
        per_column[event.data["column"]] = per_column.get(event.data["column"], 0) + event.data["rows"]
        assert event.data["to"] == key_id() and event.actor_label == "manage.py rotate_data_key"
    assert per_column == {"cases.Case.applicant_id_number": 3, "cases.Case.agent_id_number": 1,
                          "licences.Certificate.holder_id_cipher": 1, "licences.SigningKey.private_key_cipher": 1}
    (summary,) = _events("data_key.rotate")
    assert summary.data["rewritten"]["cases.Case.applicant_id_number"] == 3 and summary.data["remaining"] == {}
    text = str([e.data for e in AuditEvent.objects.filter(action__startswith="data_key.")])
    for secret in (ID_PERSON, AGENT, HOLDER, OLD, NEW):
        assert secret not in text


class Crash(Exception):
    pass


def test_an_interrupted_rotation_finishes_when_run_again(settings, data, monkeypatch):
    cases, _certificate = data
    _rotate_to_new(settings)
    real_audit, batches = keyrotation.audit_record, []

    def audit_then_crash(**kwargs):
        # The third batch dies after rewriting its rows, before it commits (a kill, a lost connection).
        if kwargs["action"] == "data_key.rotate_batch":
            batches.append(kwargs["data"])
            if len(batches) == 3:
                raise Crash
        return real_audit(**kwargs)

    monkeypatch.setattr(keyrotation, "audit_record", audit_then_crash)
    with pytest.raises(Crash):
        call_command("rotate_data_key", "--batch-size", "1")
    monkeypatch.setattr(keyrotation, "audit_record", real_audit)
    left = {r.name: r.pending for r in keyrotation.data_key_survey()}
    assert sum(left.values()) == 6 - 2, "two batches of one row committed, the third rolled back"
    assert {c.pk: Case.objects.get(pk=c.pk).applicant_id_number for c in cases} == \
        {cases[0].pk: ID_PERSON, cases[1].pk: ID_PERSON, cases[2].pk: "440524188001010014"}

    call_command("rotate_data_key", "--batch-size", "2")
    assert sum(e.data["rows"] for e in _events("data_key.rotate_batch")) == 6, "no value rewritten twice"
    settings.ZHENGWU_DATA_KEY_PREVIOUS = ""
    assert [Case.objects.get(pk=c.pk).applicant_id_number for c in cases] == \
        [ID_PERSON, ID_PERSON, "440524188001010014"]
    assert list(Case.objects.filter(agent_id_index=id_number_index(AGENT))) == [cases[1]]
    call_command("rotate_data_key", "--check")


@pytest.mark.parametrize(("previous", "message"), [
    ("wrong-master-key-for-personal-data-000000000", "ZHENGWU_DATA_KEY_PREVIOUS 不是这些数据加密时所用的密钥"),
    ("", "请把原密钥设为 ZHENGWU_DATA_KEY_PREVIOUS"),
])
def test_a_wrong_or_missing_previous_key_is_refused_and_nothing_changes(settings, data, previous, message):
    before = _raw_columns()
    settings.ZHENGWU_DATA_KEY, settings.ZHENGWU_DATA_KEY_PREVIOUS = NEW, previous
    with pytest.raises(CommandError, match=message) as refused:
        call_command("rotate_data_key")
    assert "未作任何修改" in str(refused.value)
    assert _raw_columns() == before
    assert _events("data_key.rotate_batch") == []
    (failure,) = _events("data_key.rotate")
    assert failure.outcome == AuditEvent.Outcome.FAILURE and ID_PERSON not in str(failure.data)
    with pytest.raises(CommandError, match="仍有数据不在当前密钥下"):
        call_command("rotate_data_key", "--check")


def test_a_wrong_previous_key_with_a_colliding_key_id_is_still_refused(settings, data, monkeypatch):
    # A 4-hex id can collide: the sample decryption, not the id, decides.
    before = _raw_columns()
    settings.ZHENGWU_DATA_KEY, settings.ZHENGWU_DATA_KEY_PREVIOUS = NEW, "wrong-master-key-for-personal-data-000000000"
    monkeypatch.setattr(keyrotation, "previous_key_id", lambda: key_id_of(OLD.encode()))
    monkeypatch.setattr("zhengwu.core.crypto._keyring", lambda current, previous: {
        key_id_of(OLD.encode()): previous, key_id_of(current): current})
    with pytest.raises(CommandError, match="无法解密"):
        call_command("rotate_data_key")
    assert _raw_columns() == before


def test_an_altered_value_stops_its_batch_with_the_row_named_and_never_the_value(settings, data):
    cases, _certificate = data
    raw = Case.objects.annotate(_raw=Cast("applicant_id_number", output_field=models.TextField())) \
        .values_list("_raw", flat=True).get(pk=cases[2].pk)
    altered = raw[:20] + ("A" if raw[20] != "A" else "B") + raw[21:]
    Case.objects.filter(pk=cases[2].pk).update(
        applicant_id_number=Cast(models.Value(altered), output_field=models.TextField()))
    _rotate_to_new(settings)
    with pytest.raises(CommandError, match=f"cases.Case.applicant_id_number 第 {cases[2].pk} 行无法") as stopped:
        call_command("rotate_data_key", "--batch-size", "1")
    assert "本批已回滚" in str(stopped.value) and altered not in str(stopped.value)
    left = {r.name: r.pending for r in keyrotation.data_key_survey() if r.pending}
    assert left == {"cases.Case.applicant_id_number": 1}, "the rows before it are done, it stays as it was"
    assert _raw_columns()[("cases.Case.applicant_id_number", cases[2].pk, "applicant_id_number")] == altered


def test_values_of_the_first_format_without_a_key_id_are_rotated_too(settings, data):
    cases, _certificate = data
    # Rows written before ciphertexts named their key: same body, the old prefix.
    for case in cases:
        raw = Case.objects.annotate(_raw=Cast("applicant_id_number", output_field=models.TextField())) \
            .values_list("_raw", flat=True).get(pk=case.pk)
        Case.objects.filter(pk=case.pk).update(applicant_id_number=Cast(models.Value(LEGACY_PREFIX + raw[8:]),
                                                                         output_field=models.TextField()))
    assert Case.objects.get(pk=cases[0].pk).applicant_id_number == ID_PERSON
    _rotate_to_new(settings)
    assert Case.objects.get(pk=cases[0].pk).applicant_id_number == ID_PERSON, "the old key is tried too"
    survey = {r.name: r.by_key for r in keyrotation.data_key_survey()}
    assert survey["cases.Case.applicant_id_number"] == {keyrotation.LEGACY: 3}
    call_command("rotate_data_key")
    settings.ZHENGWU_DATA_KEY_PREVIOUS = ""
    assert [Case.objects.get(pk=c.pk).applicant_id_number for c in cases] == \
        [ID_PERSON, ID_PERSON, "440524188001010014"]
    call_command("rotate_data_key", "--check")


def test_values_under_the_previous_key_cannot_be_read_once_it_is_gone(settings, data):
    cases, _certificate = data
    settings.ZHENGWU_DATA_KEY = NEW
    with pytest.raises(DecryptionFailed, match="ZHENGWU_DATA_KEY"):
        Case.objects.get(pk=cases[0].pk)


_LOOKS_ENCRYPTED = re.compile(r"cipher|encrypt|secret|加密|SM4|HMAC", re.I)


def test_every_encrypted_column_of_every_model_is_rotated():
    """A model that gains an encrypted column the rotation does not cover fails here."""
    covered = {c.name for c in keyrotation.encrypted_columns()}
    indexes = keyrotation.indexed_fields()
    assert {"cases.Case.applicant_id_number", "cases.Case.agent_id_number",
            "licences.Certificate.holder_id_cipher", "licences.SigningKey.private_key_cipher"} <= covered
    assert {"cases.Case.applicant_id_index", "cases.Case.agent_id_index",
            "licences.Certificate.holder_id_index"} <= indexes
    uncovered = []
    for model in apps.get_models():
        for f in model._meta.local_concrete_fields:
            name = f"{model._meta.label}.{f.name}"
            declared = isinstance(f, EncryptedCharField | CiphertextField | KeyedIndexField)
            looks = bool(_LOOKS_ENCRYPTED.search(f"{f.name} {f.verbose_name}"))
            if name in covered | indexes:
                continue
            if declared:
                uncovered.append(name)
            elif looks:
                uncovered.append(f"{name} (encrypted by hand? declare it with CiphertextField)")
    assert uncovered == []



def test_a_certificate_the_rotation_has_not_reached_can_still_be_reused(settings, data, item, applicant):
    from zhengwu.cases.services import MaterialInput

    _cases, certificate = data
    assert HOLDER == ID_PERSON
    _rotate_to_new(settings)  # the new key is current, the command has not run yet
    req = item.current_version.materials.order_by("order").last()
    case = services.case_submit(actor=applicant, item_id=item.pk, applicant=person(), materials=[
        MaterialInput(requirement_id=req.pk, reused_certificate=certificate.identifier)])
    assert case.materials.get(requirement=req).reused_certificate == certificate.identifier
