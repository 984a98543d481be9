"""文书 written after the transaction (zhengwu.documents.jobs), as in production: the number and
wording are fixed when the notice is issued, the PDF follows from the queue."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from zhengwu.cases import services
from zhengwu.cases.models import Case
from zhengwu.cases.tests.conftest import full_materials, pdf_text, person
from zhengwu.documents import jobs
from zhengwu.documents.models import RenderJob


@pytest.fixture
def deferred(settings):
    settings.ZHENGWU_DOCUMENTS_DEFERRED = True


def _submitted(item, applicant, key="d-1"):
    return services.case_submit(actor=applicant, item_id=item.pk, applicant=person(), materials=full_materials(item),
                                idempotency_key=key)


def test_the_number_is_fixed_at_once_and_the_pdf_follows_from_the_queue(deferred, item, applicant, clerk):
    case = services.case_accept(actor=clerk, case_no=_submitted(item, applicant).case_no)
    case = Case.objects.get(pk=case.pk)
    assert case.acceptance_no and not case.acceptance_pdf
    job = RenderJob.objects.get(model_label="cases.case", object_id=str(case.pk), field_name="acceptance_pdf")
    assert job.rendered_at is None and job.params["number"] == case.acceptance_no
    assert jobs.documents_render_pending() == 1
    case.refresh_from_db()
    text = pdf_text(case.acceptance_pdf)
    assert case.acceptance_no.replace(" ", "") in text and "决定予以受理" in text
    job.refresh_from_db()
    assert job.rendered_at is not None and job.attempts == 1
    assert jobs.documents_render_pending() == 0  # exactly once


def test_a_pending_document_is_written_on_first_download(deferred, client, item, applicant, clerk):
    case = services.case_accept(actor=clerk, case_no=_submitted(item, applicant).case_no)
    client.force_login(applicant)
    page = client.get(reverse("cases:my_detail", args=[case.case_no])).content.decode()
    assert "下载 受理通知书" in page  # listed from its number before the PDF exists
    response = client.get(reverse("cases:document", args=[case.case_no, "acceptance"]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert PdfReader(io.BytesIO(body)).pages
    assert not RenderJob.objects.filter(rendered_at__isnull=True).exists()
    assert jobs.documents_render_pending() == 0


def test_a_failing_render_is_retried_and_does_not_block_the_others(deferred, item, applicant, clerk, monkeypatch):
    first = services.case_accept(actor=clerk, case_no=_submitted(item, applicant, "d-1").case_no)
    second = services.case_accept(actor=clerk, case_no=_submitted(item, applicant, "d-2").case_no)
    real = jobs._renderer("notice")

    def flaky(obj, params):
        if params["number"] == first.acceptance_no:
            raise OSError("disk full")
        return real(obj, params)

    jobs._renderer.cache_clear()
    monkeypatch.setattr(jobs, "_renderer", lambda name: flaky)
    assert jobs.documents_render_pending() == 1
    broken = RenderJob.objects.get(object_id=str(first.pk))
    assert broken.rendered_at is None and broken.attempts == 1 and "disk full" in broken.last_error
    assert Case.objects.get(pk=second.pk).acceptance_pdf
    monkeypatch.undo()
    jobs._renderer.cache_clear()
    assert jobs.documents_render_pending() == 1  # the next pass writes it
    assert Case.objects.get(pk=first.pk).acceptance_pdf


def test_a_rolled_back_notice_leaves_no_job(deferred, item, applicant, clerk, monkeypatch):
    submitted = _submitted(item, applicant)

    def crash(*args, **kwargs):
        raise RuntimeError("crash after the voucher was numbered")

    monkeypatch.setattr(services, "_start_decision_clocks", crash)
    with pytest.raises(RuntimeError):
        services.case_accept(actor=clerk, case_no=submitted.case_no)
    assert not RenderJob.objects.exists()
    assert Case.objects.get(pk=submitted.pk).acceptance_no == ""


def test_the_clock_process_writes_pending_documents_and_certificates(deferred, awaiting_decision,
                                                                    chief_representative, clerk, leader, item):
    from zhengwu.licences.services import licence_type_create, licence_verify

    licence_type_create(actor="test", code="11100000000013338W001", name="食品经营许可证")
    services.case_item_policy_set(actor=leader, item_id=item.pk, deemed_approval_enabled=False,
                                  joint_handling=False, licence_type_code="11100000000013338W001", validity_years=5)
    services.case_decide(actor=chief_representative, case_no=awaiting_decision.case_no, outcome="approve")
    certificate = services.case_issue_certificate(actor=clerk, case_no=awaiting_decision.case_no)
    assert not certificate.pdf and licence_verify(certificate).ok  # signed before it is printed
    pending = RenderJob.objects.filter(rendered_at__isnull=True).count()
    assert pending >= 2
    call_command("run_clock", "--once")
    assert not RenderJob.objects.filter(rendered_at__isnull=True).exists()
    certificate.refresh_from_db()
    text = "".join(p.extract_text() for p in PdfReader(certificate.pdf.open("rb")).pages)
    certificate.pdf.close()
    assert certificate.number in text.replace(" ", "").replace("\n", "")
    decision = Case.objects.get(pk=awaiting_decision.pk).decision_record
    assert "准予行政许可" in pdf_text(decision.pdf)
