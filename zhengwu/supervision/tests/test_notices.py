"""The supervision notice templates: notify formats bodies and SMS texts, never titles."""

from __future__ import annotations

import string

from zhengwu.notify import templates
from zhengwu.supervision.notices import TEMPLATES


def test_titles_carry_no_placeholders_and_every_template_renders():
    for key, tpl in TEMPLATES.items():
        assert "{" not in tpl.title, key
        fields = {name for text in (tpl.body, tpl.sms) for _, name, _, _ in string.Formatter().parse(text) if name}
        title, body, sms = templates.render(key, dict.fromkeys(fields, "某"))
        assert title == tpl.title and "{" not in body + sms, key


def test_the_warning_sms_names_the_colour_once():
    _, _, sms = templates.render("supervision.warning", {
        "colour": "黄牌", "subject": "办件 A1（食品经营许可）", "description": "承诺办结时限进入预警期黄牌",
        "number": "JC2026000001", "due": "2026-10-09"})
    assert sms.count("黄牌") == 1
