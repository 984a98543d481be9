"""Chinese notice templates, one per event. `{…}` fields come from the caller's context."""

from __future__ import annotations

from dataclasses import dataclass

from zhengwu.core.errors import ValidationFailed


@dataclass(frozen=True)
class NoticeTemplate:
    title: str
    body: str
    sms: str


TEMPLATES: dict[str, NoticeTemplate] = {
    "case.submitted": NoticeTemplate(
        "申请已提交", "您申请的“{item_name}”已提交，办件编号 {case_no}，查询码 {query_code}。",
        "【政务服务】您的申请已提交，办件编号{case_no}，查询码{query_code}。"),
    "case.accepted": NoticeTemplate(
        "申请已受理", "办件 {case_no}（{item_name}）已于 {accepted_on} 受理，受理通知书编号 {voucher_no}，"
        "承诺办结日期 {promised_due}。",
        "【政务服务】办件{case_no}已受理，承诺{promised_due}前办结。"),
    "case.deemed_accepted": NoticeTemplate(
        "申请视为受理", "办件 {case_no}（{item_name}）未在法定期限内告知补正，依照《行政许可法》第三十二条，"
        "自收到申请材料之日（{received_on}）起即为受理。",
        "【政务服务】办件{case_no}自{received_on}起视为受理。"),
    "case.rejected": NoticeTemplate(
        "申请不予受理", "办件 {case_no}（{item_name}）不予受理。理由：{reason}。{competent_hint}",
        "【政务服务】办件{case_no}不予受理，详见不予受理通知书。"),
    "case.correction_requested": NoticeTemplate(
        "请补正材料（一次性告知）", "办件 {case_no}（{item_name}）需补正以下材料：{items}。请于 {deadline} 前提交。",
        "【政务服务】办件{case_no}需补正材料，请于{deadline}前提交，详见一次性告知书。"),
    "case.correction_submitted": NoticeTemplate(
        "补正材料已收到", "办件 {case_no} 的补正材料已收到。", "【政务服务】办件{case_no}补正材料已收到。"),
    "case.special_started": NoticeTemplate(
        "特别程序告知", "办件 {case_no} 需进行{kind}，预计需要 {duration}，该期间不计入办理时限（《行政许可法》第四十五条）。",
        "【政务服务】办件{case_no}进入{kind}，预计{duration}，期间不计时限。"),
    "case.special_ended": NoticeTemplate(
        "特别程序结束", "办件 {case_no} 的{kind}已结束，恢复计时。", "【政务服务】办件{case_no}{kind}已结束。"),
    "case.extended": NoticeTemplate(
        "办理期限延长", "办件 {case_no} 的办理期限经批准延长 {days} 个工作日。理由：{reason}。",
        "【政务服务】办件{case_no}期限延长{days}个工作日，理由：{reason}。"),
    "case.extension_requested": NoticeTemplate(
        "延期申请待审批", "办件 {case_no}（{item_name}）的经办人申请延长办理期限 {days} 个工作日，理由：{reason}。请审批。",
        "【政务服务】办件{case_no}有延期申请待审批。"),
    "case.extension_refused": NoticeTemplate(
        "延期申请未获批准", "办件 {case_no} 申请延长 {days} 个工作日，未获批准。理由：{reason}。",
        "【政务服务】办件{case_no}延期申请未获批准。"),
    "case.decided": NoticeTemplate(
        "办理结果", "办件 {case_no}（{item_name}）办理结果：{outcome}。{remedy}",
        "【政务服务】办件{case_no}已作出决定：{outcome}。"),
    "case.deemed_approved": NoticeTemplate(
        "超时默许", "办件 {case_no}（{item_name}）超过承诺时限未作出决定，依本事项“超时默许”规定视为准予。",
        "【政务服务】办件{case_no}超时默许，视为准予。"),
    "case.certificate_issued": NoticeTemplate(
        "证照已制发", "办件 {case_no} 的证照“{certificate_name}”已制发，证照编号 {certificate_no}。",
        "【政务服务】办件{case_no}证照已制发。"),
    "case.delivered": NoticeTemplate(
        "结果已送达", "办件 {case_no} 的结果已{method}。{tracking}", "【政务服务】办件{case_no}结果已{method}。"),
    "case.completed": NoticeTemplate(
        "办件已办结", "办件 {case_no} 已办结。欢迎对本次服务作出评价。", "【政务服务】办件{case_no}已办结，欢迎评价。"),
    "case.withdrawn": NoticeTemplate(
        "申请已撤回", "办件 {case_no} 已撤回。", "【政务服务】办件{case_no}已撤回。"),
    "case.terminated": NoticeTemplate(
        "办件已终止", "办件 {case_no} 已终止办理。理由：{reason}。", "【政务服务】办件{case_no}已终止办理。"),
    "case.fee_notice": NoticeTemplate(
        "缴费通知", "办件 {case_no} 应缴费用 {amount} 元（{items}）。", "【政务服务】办件{case_no}应缴费用{amount}元。"),
    "case.fee_notice_voided": NoticeTemplate(
        "缴费通知已作废", "办件 {case_no} 的缴费通知 {notice_no} 已作废，理由：{reason}。请以新的缴费通知为准。",
        "【政务服务】办件{case_no}缴费通知{notice_no}已作废，请以新通知为准。"),
    "case.denial_report": NoticeTemplate(
        "否定报备", "办件 {case_no}（{item_name}）作出不予许可决定，理由：{reasons}。请审阅。",
        "【政务服务】办件{case_no}不予许可，已报备。"),
}


def render(template: str, context: dict) -> tuple[str, str, str]:
    """(title, body, sms text); a missing field is a programming error reported clearly."""
    try:
        tpl = TEMPLATES[template]
    except KeyError:
        raise ValidationFailed(f"通知模板不存在：{template}", f"unknown notice template {template}") from None
    try:
        return tpl.title.format(**context), tpl.body.format(**context), tpl.sms.format(**context)
    except KeyError as exc:
        raise ValidationFailed(f"通知模板 {template} 缺少字段 {exc}", f"template {template} misses {exc}") from None
