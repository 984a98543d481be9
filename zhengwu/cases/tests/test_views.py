"""Case pages: applicant side, staff workbench, public progress query and the hall's big screen."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from zhengwu.accounts.models import User
from zhengwu.cases import services
from zhengwu.cases.models import Case, CaseEvent, Delivery
from zhengwu.cases.states import Status
from zhengwu.cases.tests.conftest import ID_PERSON, PDF, PNG, full_materials, person

pytestmark = pytest.mark.django_db


def _files(item, content=PDF, ext="pdf"):
    return {f"material_{r.pk}": SimpleUploadedFile(f"{r.name}.{ext}", content)
            for r in item.current_version.materials.all()}


def _apply_data(item, key="web-key-1", **extra):
    data = {"applicant_type": "person", "name": "张三", "id_type": "id_card", "id_number": ID_PERSON,
            "phone": "13912345678", "address": "清溪县城关镇人民路1号", "idempotency_key": key,
            "submit_application": "1"}
    data.update(_files(item))
    data.update(extra)
    return data


# --- sign-up and sign-in ------------------------------------------------------------------------

def test_signup_creates_an_applicant_and_signs_in(client, db):
    response = client.post(reverse("cases:signup"), {"phone": "13800001111", "real_name": "王五",
                                                     "password1": "Qingxi-2026!", "password2": "Qingxi-2026!"})
    assert response.status_code == 302 and response["Location"] == reverse("cases:my_list")
    user = User.objects.get(username="13800001111")
    assert user.kind == User.Kind.APPLICANT and user.phone == "13800001111" and not user.must_change_password
    assert client.get(reverse("cases:my_list")).status_code == 200

    client.logout()
    again = client.post(reverse("cases:signup"), {"phone": "13800001111", "real_name": "王五",
                                                  "password1": "Qingxi-2026!", "password2": "Qingxi-2026!"})
    assert again.status_code == 200 and "该手机号码已注册" in again.content.decode()

    signin = client.post(reverse("cases:signin"), {"username": "13800001111", "password": "Qingxi-2026!"})
    assert signin.status_code == 302 and signin["Location"] == reverse("cases:my_list")


def test_signup_shows_the_password_policy_message(client, db):
    response = client.post(reverse("cases:signup"), {"phone": "13800002222", "real_name": "王五",
                                                     "password1": "12345678", "password2": "12345678"})
    assert response.status_code == 200
    assert not User.objects.filter(username="13800002222").exists()
    assert 'class="form-errors"' in response.content.decode()


# --- applying -----------------------------------------------------------------------------------

def test_apply_page_lists_the_items_materials(client, item, applicant):
    client.force_login(applicant)
    html = client.get(reverse("cases:apply", args=[item.basic_code])).content.decode()
    for r in item.current_version.materials.all():
        assert r.name in html
    assert 'name="idempotency_key"' in html and "统一社会信用代码" in html and "代办人" in html


def test_apply_needs_an_applicant_login(client, item, clerk):
    response = client.get(reverse("cases:apply", args=[item.basic_code]))
    assert response.status_code == 302 and reverse("cases:signin") in response["Location"]
    client.force_login(clerk)
    assert client.get(reverse("cases:apply", args=[item.basic_code])).status_code == 404


def test_submit_online_shows_number_and_query_code_and_a_double_submit_is_one_case(client, item, applicant):
    client.force_login(applicant)
    url = reverse("cases:apply", args=[item.basic_code])
    first = client.post(url, _apply_data(item), follow=True)
    case = Case.objects.get()
    assert case.status == Status.SUBMITTED and case.applicant == applicant
    html = first.content.decode()
    assert case.case_no in html and case.query_code in html
    assert case.materials.count() == item.current_version.materials.count()

    client.post(url, _apply_data(item))  # the same form sent again (double click, back button)
    assert Case.objects.count() == 1


def test_a_refused_upload_shows_the_services_chinese_message_and_creates_nothing(client, item, applicant):
    client.force_login(applicant)
    data = _apply_data(item)
    data.update(_files(item, content=b"MZ\x90\x00 not a document", ext="exe"))
    response = client.post(reverse("cases:apply", args=[item.basic_code]), data)
    assert response.status_code == 200
    assert "PDF、JPEG、PNG、OFD" in response.content.decode()
    assert Case.objects.count() == 0


def test_a_bad_id_number_is_shown_on_its_field(client, item, applicant):
    client.force_login(applicant)
    response = client.post(reverse("cases:apply", args=[item.basic_code]),
                           _apply_data(item, id_number="110105194912310021"))
    assert response.status_code == 200 and Case.objects.count() == 0
    assert 'id="id_id_number-error"' in response.content.decode()


def test_draft_is_kept_then_materials_uploaded_and_submitted(client, item, applicant):
    client.force_login(applicant)
    data = _apply_data(item, key="web-draft-1")
    del data["submit_application"]
    data["save_draft"] = "1"
    client.post(reverse("cases:apply", args=[item.basic_code]), data)
    case = Case.objects.get()
    assert case.status == Status.DRAFT
    page = client.get(reverse("cases:my_detail", args=[case.case_no])).content.decode()
    assert "上传材料并提交" in page

    upload = {**_files(item), "submit": "1"}
    response = client.post(reverse("cases:my_upload", args=[case.case_no]), upload)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED and case.materials.count() == 2


def test_reuse_of_a_licence_from_the_library_instead_of_an_upload(client, item, applicant, submitted, clerk, leader,
                                                                    reviewer, chief_representative):
    from zhengwu.licences.services import licence_type_create

    licence_type_create(actor="test", code="11100000000013338W001", name="食品经营许可证")
    services.case_item_policy_set(actor=leader, item_id=item.pk, deemed_approval_enabled=False, joint_handling=False,
                                  licence_type_code="11100000000013338W001", validity_years=5)
    services.case_accept(actor=clerk, case_no=submitted.case_no)
    services.case_step_pass(actor=reviewer, case_no=submitted.case_no, opinion="符合")
    services.case_step_pass(actor=chief_representative, case_no=submitted.case_no, opinion="拟准予")
    services.case_decide(actor=chief_representative, case_no=submitted.case_no, outcome="approve")
    notice = services.fee_notice_issue(actor=clerk, case_no=submitted.case_no, lines=[
        services.FeeLineInput(fee_item_id=item.current_version.fees.get().pk, amount="10")])
    services.payment_record(actor=clerk, notice_no=notice.notice_no, amount="10", payer_name="张三")
    certificate = services.case_issue_certificate(actor=clerk, case_no=submitted.case_no)

    client.force_login(applicant)
    url = reverse("cases:apply", args=[item.basic_code])
    html = client.get(url).content.decode()
    assert certificate.identifier in html and "复用" in html
    requirement = item.current_version.materials.order_by("order").last()
    data = _apply_data(item, key="web-reuse-1")
    data.pop(f"material_{requirement.pk}")
    data[f"reuse_{requirement.pk}"] = certificate.identifier
    client.post(url, data)
    case = Case.objects.exclude(pk=submitted.pk).get()
    assert case.materials.get(requirement=requirement).reused_certificate == certificate.identifier


# --- my cases -----------------------------------------------------------------------------------

def test_my_case_page_and_404_for_another_applicant(client, submitted, applicant):
    client.force_login(applicant)
    html = client.get(reverse("cases:my_detail", args=[submitted.case_no])).content.decode()
    assert submitted.case_no in html and submitted.query_code in html and "提交申请" in html
    other = User.objects.create_user(username="13700000000", password="x", kind=User.Kind.APPLICANT)
    client.force_login(other)
    assert client.get(reverse("cases:my_detail", args=[submitted.case_no])).status_code == 404
    assert client.get(reverse("cases:document", args=[submitted.case_no, "acceptance"])).status_code == 404
    material = submitted.materials.first()
    assert client.get(reverse("cases:material", args=[submitted.case_no, material.pk])).status_code == 404


def test_correction_round_trip_through_the_pages(client, submitted, applicant, clerk, item):
    req = list(item.current_version.materials.order_by("order"))
    client.force_login(clerk)
    url = reverse("cases:staff_act", args=[submitted.case_no, "correction"])
    # A ticked material without a reason is refused by the form; nothing changes.
    refused = client.post(url, {f"corr-fix_{req[0].pk}": "on", "corr-version": submitted.version})
    assert refused.status_code == 422 and "请填写该材料的补正理由" in refused.content.decode()
    assert Case.objects.get(pk=submitted.pk).status == Status.SUBMITTED

    response = client.post(url, {f"corr-fix_{req[0].pk}": "on", f"corr-reason_{req[0].pk}": "未签字",
                                 f"corr-fix_{req[1].pk}": "on", f"corr-reason_{req[1].pk}": "复印件不清晰",
                                 "corr-version": submitted.version})
    assert response.status_code == 302
    case = Case.objects.get(pk=submitted.pk)
    assert case.status == Status.CORRECTION
    # One notice only: the action is no longer offered.
    staff_html = client.get(reverse("cases:staff_case", args=[case.case_no])).content.decode()
    assert "一次性告知补正</summary>" not in staff_html

    client.force_login(applicant)
    html = client.get(reverse("cases:my_detail", args=[case.case_no])).content.decode()
    assert "未签字" in html and "复印件不清晰" in html and "提交补正材料" in html
    doc = client.get(reverse("cases:document", args=[case.case_no, "correction"]))
    assert doc.status_code == 200 and doc["Content-Type"] == "application/pdf"
    assert b"".join(doc.streaming_content).startswith(b"%PDF")

    files = {f"fix-material_{r.pk}": SimpleUploadedFile(f"{r.name}.png", PNG) for r in req}
    assert client.post(reverse("cases:my_correction", args=[case.case_no]), files).status_code == 302
    assert Case.objects.get(pk=case.pk).status == Status.SUBMITTED


def test_withdraw_and_rate_once(client, submitted, applicant, clerk, item):
    client.force_login(applicant)
    page = client.get(reverse("cases:my_detail", args=[submitted.case_no])).content.decode()
    assert "撤回申请" in page and "好差评" not in page
    assert client.post(reverse("cases:my_withdraw", args=[submitted.case_no]), {"reason": "不办了"}).status_code == 302
    assert Case.objects.get(pk=submitted.pk).status == Status.WITHDRAWN
    # Withdrawn cases are not rated: the service refuses and the page says why.
    response = client.post(reverse("cases:my_rate", args=[submitted.case_no]), {"level": "satisfied"})
    assert response.status_code == 422 and "办结后才能评价" in response.content.decode()


def test_rating_after_completion(client, awaiting_decision, applicant, chief_representative, clerk):
    case_no = awaiting_decision.case_no
    services.case_decide(actor=chief_representative, case_no=case_no, outcome="deny", reasons="不符合条件")
    services.case_deliver(actor=clerk, case_no=case_no, method=Delivery.Method.COLLECTION)
    client.force_login(applicant)
    html = client.get(reverse("cases:my_detail", args=[case_no])).content.decode()
    for level in ("非常满意", "满意", "基本满意", "不满意", "非常不满意"):
        assert level in html
    assert "不予行政许可决定书" in html
    assert client.post(reverse("cases:my_rate", args=[case_no]), {"level": "satisfied", "comment": "快"}).status_code == 302
    html = client.get(reverse("cases:my_detail", args=[case_no])).content.decode()
    assert "我的评价" in html and "提交评价" not in html
    again = client.post(reverse("cases:my_rate", args=[case_no]), {"level": "very_dissatisfied"})
    assert again.status_code == 422


# --- staff --------------------------------------------------------------------------------------

def test_workbench_queues_with_counts(client, submitted, clerk):
    client.force_login(clerk)
    html = client.get(reverse("cases:workbench")).content.decode()
    for label in ("待受理", "待补正", "审查中", "待决定", "待制证", "即将超期", "已超期"):
        assert label in html
    assert re.search(r'queue-pending_acceptance has"[^>]*>.*?<span class="q-count">1</span>', html, re.S)
    assert submitted.case_no in html and "张*" in html and "张三" not in html


def test_workbench_and_case_page_hidden_from_outsiders_and_applicants(client, submitted, outsider, applicant):
    client.force_login(outsider)
    assert submitted.case_no not in client.get(reverse("cases:workbench")).content.decode()
    assert client.get(reverse("cases:staff_case", args=[submitted.case_no])).status_code == 404
    assert client.post(reverse("cases:staff_act", args=[submitted.case_no, "accept"])).status_code == 404
    assert client.get(reverse("cases:material", args=[submitted.case_no, submitted.materials.first().pk])
                      ).status_code == 404
    client.force_login(applicant)
    assert client.get(reverse("cases:workbench")).status_code == 404
    assert client.get(reverse("cases:staff_case", args=[submitted.case_no])).status_code == 404


def test_only_the_actions_the_user_may_take_now_are_offered(client, submitted, clerk, reviewer, leader):
    page = reverse("cases:staff_case", args=[submitted.case_no])
    client.force_login(reviewer)
    html = client.get(page).content.decode()
    assert "当前状态下您没有可执行的操作" in html and "受理</summary>" not in html
    client.force_login(clerk)
    html = client.get(page).content.decode()
    assert "受理</summary>" in html and "一次性告知补正</summary>" in html and "不予受理</summary>" in html
    assert "作出决定</summary>" not in html and "批准延期</summary>" not in html
    # An action the user may not take is refused by the service with its message, not a stack trace.
    client.force_login(reviewer)
    response = client.post(reverse("cases:staff_act", args=[submitted.case_no, "accept"]),
                           {"accept-version": submitted.version})
    assert response.status_code == 422 and "只有本部门的" in response.content.decode()
    assert Case.objects.get(pk=submitted.pk).status == Status.SUBMITTED


def test_staff_page_journey_accept_review_decide_with_clocks(client, submitted, clerk, reviewer,
                                                              chief_representative, leader):
    case_no = submitted.case_no
    act = lambda name: reverse("cases:staff_act", args=[case_no, name])  # noqa: E731
    version = lambda: Case.objects.get(case_no=case_no).version  # noqa: E731
    client.force_login(clerk)
    assert client.post(act("accept"), {"accept-version": version()}).status_code == 302
    html = client.get(reverse("cases:staff_case", args=[case_no])).content.decode()
    assert "法定办结时限" in html and "承诺办结时限" in html and "clock-green" in html and "计算过程" in html
    assert "受理通知书" in html

    client.force_login(leader)
    html = client.get(reverse("cases:staff_case", args=[case_no])).content.decode()
    assert "批准延期</summary>" in html and "本环节通过</summary>" not in html
    assert client.post(act("extend"), {"ext-days": 5, "ext-reason": "需要现场核查", "ext-version": version()}
                       ).status_code == 302

    client.force_login(reviewer)
    assert client.post(act("step_pass"), {"pass-opinion": "材料齐全", "pass-version": version()}).status_code == 302
    client.force_login(chief_representative)
    assert client.post(act("step_pass"), {"pass-opinion": "拟准予", "pass-version": version()}).status_code == 302
    assert Case.objects.get(case_no=case_no).status == Status.AWAITING_DECISION

    # A stale page (old version) is refused with the Chinese conflict message.
    stale = client.post(act("decide"), {"dec-outcome": "approve", "dec-version": version() - 1})
    assert stale.status_code == 422 and "请刷新后重试" in stale.content.decode()
    # A denial without reasons is refused by the service; nothing changes.
    refused = client.post(act("decide"), {"dec-outcome": "deny", "dec-reasons": "", "dec-version": version()})
    assert refused.status_code == 422 and "不予许可的理由" in refused.content.decode()
    assert Case.objects.get(case_no=case_no).status == Status.AWAITING_DECISION
    assert client.post(act("decide"), {"dec-outcome": "approve", "dec-version": version()}).status_code == 302
    assert Case.objects.get(case_no=case_no).status == Status.APPROVED
    assert CaseEvent.objects.filter(case__case_no=case_no, action="approve").exists()


def test_special_procedure_start_and_end_suspend_the_clocks(client, accepted, reviewer):
    client.force_login(reviewer)
    case_no = accepted.case_no
    act = lambda name: reverse("cases:staff_act", args=[case_no, name])  # noqa: E731
    v = Case.objects.get(case_no=case_no).version
    assert client.post(act("special_start"), {"sps-kind": "expert_review", "sps-reason": "需专家评审",
                                              "sps-expected_value": 10, "sps-expected_unit": "working_days",
                                              "sps-version": v}).status_code == 302
    html = client.get(reverse("cases:staff_case", args=[case_no])).content.decode()
    assert "clock-suspended" in html and "结束特别程序</summary>" in html
    v = Case.objects.get(case_no=case_no).version
    assert client.post(act("special_end"), {"spe-result": "专家评审通过", "spe-version": v}).status_code == 302
    assert Case.objects.get(case_no=case_no).status == Status.ACCEPTED


def test_walk_in_registration_by_a_clerk(client, item, clerk):
    client.force_login(clerk)
    url = reverse("cases:walk_in")
    assert item.current_version.name in client.get(url).content.decode()
    form = client.get(url, {"item": item.pk}).content.decode()
    assert "收取的材料" in form
    found = re.search(r'name="idempotency_key" value="([^"]+)"', form)
    assert found is not None
    key = found.group(1)
    data = {"item": item.pk, "applicant_type": "organisation", "name": "清溪县好味餐饮有限公司",
            "id_type": "uscc", "id_number": "91610800064834709T", "phone": "13912345678",
            "legal_representative": "王六", "idempotency_key": key, **_files(item)}
    response = client.post(url, data)
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.status == Status.SUBMITTED and case.first_responder == clerk and case.channel == "window"
    client.post(url, data)
    assert Case.objects.count() == 1


# --- public -------------------------------------------------------------------------------------

def test_progress_query_without_login_shows_masked_data_only(client, submitted):
    url = reverse("cases:progress")
    html = client.get(url, {"case_no": submitted.case_no, "query_code": submitted.query_code}).content.decode()
    assert submitted.case_no in html and "张*" in html
    assert "张三" not in html and ID_PERSON not in html and "13912345678" not in html
    wrong = client.get(url, {"case_no": submitted.case_no, "query_code": "AAAAAAAA"}).content.decode()
    assert "办件编号或查询码不正确" in wrong and "张*" not in wrong


def test_hall_screen_is_public_masked_and_refreshes(client, submitted):
    response = client.get(reverse("cases:hall_screen"))
    html = response.content.decode()
    assert response.status_code == 200 and 'http-equiv="refresh"' in html
    assert submitted.case_no in html and "张*" in html and "张三" not in html and ID_PERSON not in html
    assert "5 工作日" in html


def test_applicant_downloads_the_acceptance_notice(client, accepted, applicant):
    client.force_login(applicant)
    html = client.get(reverse("cases:my_detail", args=[accepted.case_no])).content.decode()
    assert "下载 受理通知书" in html
    response = client.get(reverse("cases:document", args=[accepted.case_no, "acceptance"]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert client.get(reverse("cases:document", args=[accepted.case_no, "decision"])).status_code == 404


def test_material_download_keeps_the_sniffed_type(client, submitted, clerk):
    client.force_login(clerk)
    material = submitted.materials.first()
    response = client.get(reverse("cases:material", args=[submitted.case_no, material.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff" and "attachment" in response["Content-Disposition"]


def test_full_materials_helper_matches_the_item(item):
    assert len(full_materials(item)) == item.current_version.materials.count()
    assert person().name == "张三"


def test_fee_notice_payment_certificate_and_posted_delivery_through_the_pages(client, awaiting_decision, clerk,
                                                                              chief_representative, leader, item,
                                                                              applicant):
    from zhengwu.licences.services import licence_type_create

    licence_type_create(actor="test", code="11100000000013338W001", name="食品经营许可证")
    services.case_item_policy_set(actor=leader, item_id=item.pk, deemed_approval_enabled=False, joint_handling=False,
                                  licence_type_code="11100000000013338W001", validity_years=5)
    case_no = awaiting_decision.case_no
    act = lambda name: reverse("cases:staff_act", args=[case_no, name])  # noqa: E731
    version = lambda: Case.objects.get(case_no=case_no).version  # noqa: E731
    services.case_decide(actor=chief_representative, case_no=case_no, outcome="approve")
    fee = item.current_version.fees.get()
    client.force_login(clerk)
    assert client.post(act("fee_notice"), {f"fee-charge_{fee.pk}": "on"}).status_code == 302
    html = client.get(reverse("cases:staff_case", args=[case_no])).content.decode()
    # Unpaid: no certificate yet, payment offered.
    assert "制发电子证照</summary>" not in html and "登记缴费</summary>" in html
    notice_no = Case.objects.get(case_no=case_no).fee_notices.get().notice_no
    wrong = client.post(act("payment"), {"pay-notice_no": notice_no, "pay-amount": "9", "pay-payer_name": "张三"})
    assert wrong.status_code == 422 and "收费金额应与缴费通知一致" in wrong.content.decode()
    assert client.post(act("payment"), {"pay-notice_no": notice_no, "pay-amount": "10",
                                        "pay-payer_name": "张三"}).status_code == 302
    assert client.post(act("certificate"), {"cert-version": version()}).status_code == 302
    assert Case.objects.get(case_no=case_no).status == Status.CERTIFICATE_ISSUED
    missing = client.post(act("deliver"), {"dlv-method": "post", "dlv-version": version()})
    assert missing.status_code == 422 and "物流单号" in missing.content.decode()
    assert client.post(act("deliver"), {"dlv-method": "post", "dlv-tracking_no": "SF1234567890",
                                        "dlv-carrier": "顺丰", "dlv-address": "清溪县人民路1号",
                                        "dlv-version": version()}).status_code == 302
    assert Case.objects.get(case_no=case_no).status == Status.DELIVERED
    assert client.post(act("delivery_confirm"), {"cfm-recipient_name": "张三", "cfm-version": version()}
                       ).status_code == 302
    assert Case.objects.get(case_no=case_no).status == Status.COMPLETED

    client.force_login(applicant)
    response = client.get(reverse("cases:document", args=[case_no, "certificate"]))
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")


def test_step_return_and_termination(client, accepted, reviewer, chief_representative, item):
    case_no = accepted.case_no
    act = lambda name: reverse("cases:staff_act", args=[case_no, name])  # noqa: E731
    version = lambda: Case.objects.get(case_no=case_no).version  # noqa: E731
    client.force_login(reviewer)
    # The first step has nothing earlier to return to: not offered.
    assert "退回</summary>" not in client.get(reverse("cases:staff_case", args=[case_no])).content.decode()
    client.post(act("step_pass"), {"pass-opinion": "符合", "pass-version": version()})
    client.force_login(chief_representative)
    first = item.current_version.steps.order_by("order").first()
    assert client.post(act("step_return"), {"ret-to_step": first.pk, "ret-reason": "补充核查",
                                            "ret-version": version()}).status_code == 302
    assert Case.objects.get(case_no=case_no).current_step == first
    assert client.post(act("terminate"), {"term-reason": "申请人主体资格已注销", "term-version": version()}
                       ).status_code == 302
    assert Case.objects.get(case_no=case_no).status == Status.TERMINATED


def test_a_supervisor_reads_the_case_page_with_the_applicant_masked(client, accepted, supervisor, clerk):
    client.force_login(clerk)
    own = client.get(reverse("cases:staff_case", args=[accepted.case_no])).content.decode()
    assert "张三" in own and "13912345678" in own
    client.force_login(supervisor)
    response = client.get(reverse("cases:staff_case", args=[accepted.case_no]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "张*" in html and "139****5678" in html
    assert "张三" not in html and "13912345678" not in html and ID_PERSON not in html


def test_extension_request_and_approval_through_the_pages(client, accepted, reviewer, leader):
    from zhengwu.cases.models import Extension, ExtensionRequest

    case_no = accepted.case_no
    act = lambda name: reverse("cases:staff_act", args=[case_no, name])  # noqa: E731
    client.force_login(reviewer)
    refused = client.post(act("extension_request"), {"xrq-days": "12", "xrq-reason": "复杂"})
    assert refused.status_code == 422 and not ExtensionRequest.objects.exists()
    assert client.post(act("extension_request"), {"xrq-days": "5", "xrq-reason": "需现场核查"}).status_code == 302
    html = client.get(reverse("cases:staff_case", args=[case_no])).content.decode()
    assert "需现场核查" in html and "待审批" in html and "申请延期</summary>" not in html
    assert "批准延期申请</summary>" not in html
    client.force_login(leader)
    html = client.get(reverse("cases:staff_case", args=[case_no])).content.decode()
    assert "批准延期申请</summary>" in html and "不予批准延期申请</summary>" in html
    assert "直接批准延期</summary>" not in html
    queue = client.get(reverse("cases:workbench"), {"queue": "extension_requests"})
    assert case_no in queue.content.decode() and "待审批延期" in queue.content.decode()
    assert client.post(act("extension_approve"), {"xap-version": Case.objects.get(case_no=case_no).version}
                       ).status_code == 302
    assert Extension.objects.get(case=accepted).days == 5
    html = client.get(reverse("cases:staff_case", args=[case_no])).content.decode()
    assert "已批准" in html and "延期告知书" in html


def test_fee_void_through_the_pages(client, accepted, clerk):
    case_no = accepted.case_no
    act = lambda name: reverse("cases:staff_act", args=[case_no, name])  # noqa: E731
    fee = accepted.item_version.fees.get()
    client.force_login(clerk)
    assert client.post(act("fee_notice"), {f"fee-charge_{fee.pk}": "on"}).status_code == 302
    notice = accepted.fee_notices.get()
    html = client.get(reverse("cases:staff_case", args=[case_no])).content.decode()
    assert "作废缴费通知</summary>" in html and "开具缴费通知</summary>" not in html
    again = client.post(act("fee_notice"), {f"fee-charge_{fee.pk}": "on"})
    assert again.status_code == 422 and accepted.fee_notices.count() == 1
    missing = client.post(act("fee_void"), {"void-notice_no": notice.notice_no, "void-reason": ""})
    assert missing.status_code == 422
    assert client.post(act("fee_void"), {"void-notice_no": notice.notice_no, "void-reason": "项目选错"}
                       ).status_code == 302
    html = client.get(reverse("cases:staff_case", args=[case_no])).content.decode()
    assert "已作废" in html and "项目选错" in html and "开具缴费通知</summary>" in html
