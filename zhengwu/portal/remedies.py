"""Remedies printed on every 办事指南 of an administrative-power item (RULES.md §2.1).

行政许可法 §38 requires a refusal to tell the applicant of these rights; the guide states them up
front so the applicant knows them before applying.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Remedy:
    name: str
    limit: str
    text: str
    basis: str


RECONSIDERATION_DAYS = 60  # 行政复议法 (2023) §20
LITIGATION_MONTHS = 6  # 行政诉讼法 §46: directly, from knowing of the act
LITIGATION_AFTER_RECONSIDERATION_DAYS = 15  # 行政诉讼法 §45

REMEDIES = (
    Remedy(
        name="行政复议",
        limit=f"{RECONSIDERATION_DAYS} 日内",
        text=(f"申请人认为本事项的行政行为侵犯其合法权益的，可以自知道或者应当知道该行政行为之日起 "
              f"{RECONSIDERATION_DAYS} 日内提出行政复议申请。"),
        basis="《中华人民共和国行政复议法》第二十条",
    ),
    Remedy(
        name="行政诉讼",
        limit=f"{LITIGATION_MONTHS} 个月内",
        text=(f"也可以自知道或者应当知道作出行政行为之日起 {LITIGATION_MONTHS} 个月内直接向人民法院提起行政诉讼；"
              f"对行政复议决定不服的，可以在收到复议决定书之日起 {LITIGATION_AFTER_RECONSIDERATION_DAYS} "
              f"日内向人民法院提起诉讼。"),
        basis="《中华人民共和国行政诉讼法》第四十五条、第四十六条",
    ),
)
