"""身份证 numbers of cases: SM4 at rest, the keyed index, and the migration that encrypts old rows."""

from __future__ import annotations

import pytest
from django.core.exceptions import FieldError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from zhengwu.cases import services
from zhengwu.cases.models import Case
from zhengwu.cases.tests.conftest import full_materials, person
from zhengwu.core.crypto import DecryptionFailed, is_ciphertext
from zhengwu.core.fields import id_number_index

from .conftest import ID_PERSON

AGENT = "33010219800101000X"


def _raw(case_no: str) -> tuple[str, str, str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT applicant_id_number, applicant_id_index, agent_id_number, agent_id_index "
                       "FROM cases_case WHERE case_no = %s", [case_no])
        return cursor.fetchone()


@pytest.fixture
def with_agent(item, applicant):
    return services.case_submit(actor=applicant, item_id=item.pk, materials=full_materials(item),
                                applicant=person(agent_name="王代办", agent_id_number=AGENT))


def test_the_database_holds_ciphertext_and_the_model_the_number(with_agent):
    applicant_cipher, applicant_index, agent_cipher, agent_index = _raw(with_agent.case_no)
    assert is_ciphertext(applicant_cipher) and is_ciphertext(agent_cipher)
    assert ID_PERSON not in applicant_cipher and AGENT not in agent_cipher
    assert ID_PERSON[-4:] not in applicant_cipher
    assert applicant_index == id_number_index(ID_PERSON) and agent_index == id_number_index(AGENT)
    fresh = Case.objects.get(case_no=with_agent.case_no)
    assert fresh.applicant_id_number == ID_PERSON and fresh.agent_id_number == AGENT


def test_equal_numbers_get_different_ciphertexts_but_the_same_index(item, applicant, submitted):
    second = services.case_submit(actor=applicant, item_id=item.pk, applicant=person(),
                                  materials=full_materials(item))
    first_row, second_row = _raw(submitted.case_no), _raw(second.case_no)
    assert first_row[0] != second_row[0]
    assert first_row[1] == second_row[1] != ""


def test_no_agent_leaves_both_agent_columns_empty(submitted):
    _cipher, _index, agent_cipher, agent_index = _raw(submitted.case_no)
    assert agent_cipher == "" and agent_index == ""
    assert Case.objects.filter(agent_id_number="").filter(pk=submitted.pk).exists()


def test_the_index_finds_the_case_and_the_plain_number_cannot_be_queried(with_agent, submitted):
    assert set(Case.objects.filter(applicant_id_index=id_number_index(ID_PERSON))) == {with_agent, submitted}
    assert list(Case.objects.filter(agent_id_index=id_number_index(" 330102-19800101000x"))) == [with_agent]
    for lookup in ("applicant_id_number", "applicant_id_number__icontains", "applicant_id_number__in"):
        value = [ID_PERSON] if lookup.endswith("__in") else ID_PERSON
        with pytest.raises(FieldError):
            list(Case.objects.filter(**{lookup: value}))


def test_a_ciphertext_moved_to_the_other_column_does_not_decrypt(with_agent):
    applicant_cipher = _raw(with_agent.case_no)[0]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_case SET agent_id_number = %s WHERE case_no = %s",
                       [applicant_cipher, with_agent.case_no])
    with pytest.raises(DecryptionFailed, match="agent_id_number"):
        Case.objects.get(case_no=with_agent.case_no)


def test_another_data_key_cannot_read_the_rows(submitted, settings):
    settings.ZHENGWU_DATA_KEY = "a-different-master-key-for-personal-data"
    with pytest.raises(DecryptionFailed, match="ZHENGWU_DATA_KEY"):
        Case.objects.get(pk=submitted.pk)


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_old_rows_and_reverses(item, applicant):
    case = services.case_submit(actor=applicant, item_id=item.pk, materials=full_materials(item),
                                applicant=person(agent_name="王代办", agent_id_number=AGENT))
    executor = MigrationExecutor(connection)
    executor.migrate([("cases", "0001_initial")])
    try:
        plain = _raw_old(case.case_no)
        assert plain == (ID_PERSON, AGENT)
        executor.loader.build_graph()
        executor.migrate([("cases", "0002_encrypt_id_numbers")])
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    applicant_cipher, applicant_index, agent_cipher, agent_index = _raw(case.case_no)
    assert is_ciphertext(applicant_cipher) and is_ciphertext(agent_cipher)
    assert applicant_index == id_number_index(ID_PERSON) and agent_index == id_number_index(AGENT)
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.applicant_id_number, fresh.agent_id_number) == (ID_PERSON, AGENT)


def _raw_old(case_no: str) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT applicant_id_number, agent_id_number FROM cases_case WHERE case_no = %s", [case_no])
        return cursor.fetchone()


def test_the_index_follows_a_changed_number_on_save(submitted):
    submitted.applicant_id_number = AGENT
    submitted.save()
    applicant_cipher, applicant_index, _cipher, _index = _raw(submitted.case_no)
    assert applicant_index == id_number_index(AGENT) and AGENT not in applicant_cipher
    assert Case.objects.get(pk=submitted.pk).applicant_id_number == AGENT


def test_bulk_create_encrypts_and_indexes_too(submitted):
    # The history import (supervision/history.py) writes cases with bulk_create.
    copy = Case.objects.get(pk=submitted.pk)
    copy.pk = None
    copy.case_no, copy.idempotency_key, copy.agent_id_number = "HIST-1", None, AGENT
    Case.objects.bulk_create([copy])
    applicant_cipher, applicant_index, agent_cipher, agent_index = _raw("HIST-1")
    assert is_ciphertext(applicant_cipher) and is_ciphertext(agent_cipher)
    assert (applicant_index, agent_index) == (id_number_index(ID_PERSON), id_number_index(AGENT))
