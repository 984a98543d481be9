import threading

import pytest
from django.db import IntegrityError, connection, transaction

from zhengwu.core.models import AuditEvent
from zhengwu.documents import NoticeKind
from zhengwu.licences.models import DocumentCounter
from zhengwu.licences.services import document_number_next


def test_numbers_are_sequential_per_department_kind_and_year(department, other_department, clerk):
    def nxt(dept=department, kind=NoticeKind.ACCEPTANCE, year=2026):
        return document_number_next(department=dept, kind=kind, year=year, actor=clerk)

    assert nxt() == "城关市监受字〔2026〕第0001号"
    assert nxt() == "城关市监受字〔2026〕第0002号"
    assert nxt(kind="correction_notice") == "城关市监补字〔2026〕第0001号"
    assert nxt(year=2027) == "城关市监受字〔2027〕第0001号"
    assert nxt(dept=other_department) == "城关卫健受字〔2026〕第0001号"
    assert nxt() == "城关市监受字〔2026〕第0003号"
    assert AuditEvent.objects.filter(action="document_number.allocate").count() == 6


def test_a_rolled_back_notice_gives_its_number_back(department):
    document_number_next(department=department, kind="denial", year=2026)
    with pytest.raises(RuntimeError), transaction.atomic():
        assert document_number_next(department=department, kind="denial", year=2026).endswith("第0002号")
        raise RuntimeError("the notice failed to render")
    assert document_number_next(department=department, kind="denial", year=2026).endswith("第0002号")


def test_one_counter_row_per_department_kind_and_year(department):
    DocumentCounter.objects.create(department=department, kind="notice:acceptance", year=2026)
    with pytest.raises(IntegrityError), transaction.atomic():
        DocumentCounter.objects.create(department=department, kind="notice:acceptance", year=2026)


@pytest.mark.django_db(transaction=True)
def test_concurrent_allocations_never_repeat_or_skip(department):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(("file:memorydb", ":memory:")):
        pytest.skip("threads cannot share SQLite's in-memory test database; PostgreSQL runs this")
    workers, per_worker = 4, 10
    results: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(workers)

    def work():
        try:
            barrier.wait()
            for _ in range(per_worker):
                results.append(document_number_next(department=department, kind="acceptance", year=2026))
        except BaseException as exc:  # surfaced below, a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    expected = {f"城关市监受字〔2026〕第{n:04d}号" for n in range(1, workers * per_worker + 1)}
    assert sorted(results) == sorted(expected)


def test_year_out_of_range_is_refused(department):
    from zhengwu.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        document_number_next(department=department, kind="acceptance", year=26)
    assert not DocumentCounter.objects.exists()
