"""Notice templates of the supervision app, registered into the notify template table at start-up."""

from __future__ import annotations

from zhengwu.notify import templates

# notify.render formats the body and the SMS text only: titles carry no placeholders.
TEMPLATES = {
    "supervision.warning": templates.NoticeTemplate(
        "电子监察时限提醒", "{subject}：{description}。监察编号 {number}，截止 {due}。请抓紧办理。",
        "【电子监察】{subject}：{description}，监察编号{number}。"),
    "supervision.order_issued": templates.NoticeTemplate(
        "督办单", "督办单 {number}：{content}。请于 {due} 前回复情况说明及整改措施。",
        "【电子监察】收到督办单{number}，请于{due}前回复。"),
    "supervision.order_replied": templates.NoticeTemplate(
        "督办单已回复", "督办单 {number} 已由 {department} 回复，请审核。", "【电子监察】督办单{number}已回复。"),
    "supervision.order_reviewed": templates.NoticeTemplate(
        "督办单审核结果", "督办单 {number}：{result}。{note}", "【电子监察】督办单{number}{result}。"),
    "supervision.card": templates.NoticeTemplate(
        "黄牌/红牌通知", "{target}被出示{colour}（{number}）。理由：{reason}", "【电子监察】{target}被出示{colour}。"),
    "supervision.card_appealed": templates.NoticeTemplate(
        "黄牌/红牌申诉", "{number} 收到申诉：{grounds}。请于 {due} 前裁决。", "【电子监察】{number}收到申诉，请于{due}前裁决。"),
    "supervision.card_ruled": templates.NoticeTemplate(
        "黄牌/红牌申诉裁决", "{number} 的申诉裁决：{result}。{ruling}", "【电子监察】{number}申诉裁决：{result}。"),
}


def register() -> None:
    for key, tpl in TEMPLATES.items():
        templates.TEMPLATES.setdefault(key, tpl)
