"""The default rule set, loaded by migration 0002 and by `rule_defaults_ensure`.

Rules are data (RULES §12: "make the rules data-driven (rule ID + version)"): an office switches a
rule off or changes its parameters through `rule_update`, which bumps the version.
"""

from __future__ import annotations

from typing import Any

WARNING_CLOCK_KINDS = ["case.legal", "case.promised", "case.certificate", "supervision.order_reply"]

DEFAULT_RULES: list[dict[str, Any]] = [
    {"code": "W01", "name": "办理时限预警（黄牌）", "kind": "warning", "warning_type": "1", "severity": "yellow",
     "description": "时钟进入预警期：默认剩余 2 个工作日或已用 80% 时限（取较早者），法定与承诺时限分别计算；"
                    "办件时限的阈值可按事项类型在“预警阈值”页单独设置。",
     "parameters": {"clock_kinds": WARNING_CLOCK_KINDS}},
    {"code": "W02", "name": "办理超期（红牌）", "kind": "warning", "warning_type": "2", "severity": "red",
     "description": "时钟已过截止时间仍未办结（法定、承诺、制证时限及督办单回复期限）。",
     "parameters": {"clock_kinds": WARNING_CLOCK_KINDS}},
    {"code": "A01", "name": "补正告知超过5个工作日", "kind": "anomaly", "warning_type": "3", "severity": "red",
     "description": "一次性告知补正晚于收件后第 5 个工作日（行政许可法第三十二条第四项：应当场或者五日内一次告知）。",
     "parameters": {"max_working_days": 5}},
    {"code": "A02", "name": "同一申请多次补正告知", "kind": "anomaly", "warning_type": "3", "severity": "red",
     "description": "同一办件出现第二次补正告知，违反“一次性告知”（行政许可法第三十二条、第七十二条）。",
     "parameters": {"actions": ["request_correction"]}},
    {"code": "A03", "name": "不予受理/不予许可未说明理由或未否定报备", "kind": "anomaly", "warning_type": "3",
     "severity": "red",
     "description": "不予受理或不予许可决定没有理由（行政许可法第三十八条、第七十二条），或不予许可未向分管领导否定报备。",
     "parameters": {"min_reason_chars": 4}},
    {"code": "A04", "name": "特别程序未书面告知", "kind": "anomaly", "warning_type": "3", "severity": "yellow",
     "description": "启动特别程序但没有书面告知书（行政许可法第四十五条：所需时间应书面告知申请人）。",
     "parameters": {}},
    {"code": "A05", "name": "延期未经批准或超过法定上限", "kind": "anomaly", "warning_type": "3", "severity": "red",
     "description": "延期没有批准记录、批准人不是科室负责人或分管领导，或延长超过 10 个工作日"
                    "（统一/联合/集中办理 15 个工作日）（行政许可法第四十二条）。",
     "parameters": {"max_days": 10, "max_days_joint": 15,
                    "approver_positions": ["section_head", "leader", "chief_representative"]}},
    {"code": "A06", "name": "体外循环嫌疑：有现场核查或专家评审的事项受理后过快决定", "kind": "anomaly",
     "warning_type": "3", "severity": "yellow",
     "description": "办理流程含现场核查/勘验或专家评审等环节的事项，受理后不足规定工作日即作出决定，疑似线下先办。",
     "parameters": {"min_working_days": 1, "step_keywords": ["现场", "核查", "勘验", "踏勘", "专家", "评审"],
                    "special_kinds": ["expert_review", "inspection", "test", "appraisal", "hearing"]}},
    {"code": "A07", "name": "先办后补（登记晚于决定）", "kind": "anomaly", "warning_type": "3", "severity": "red",
     "description": "办件在系统中登记或受理的时间晚于其决定时间。",
     "parameters": {"tolerance_minutes": 0}},
    {"code": "A08", "name": "收费项目不在目录内", "kind": "anomaly", "warning_type": "3", "severity": "red",
     "description": "缴费通知的收费项目不属于办件所适用实施清单版本的收费目录，或该版本不收费（行政许可法第五十八条）。",
     "parameters": {}},
    {"code": "A09", "name": "非本事项窗口人员办理", "kind": "anomaly", "warning_type": "3", "severity": "yellow",
     "description": "窗口环节（收件、受理、当场决定、送达）由未派驻到办理该事项窗口的人员操作。",
     "parameters": {"roles": ["clerk", "chief_representative"],
                    "actions": ["submit", "accept", "reject", "request_correction", "approve_on_spot",
                                "deliver_post", "complete"]}},
    {"code": "A10", "name": "差评未回访整改", "kind": "anomaly", "warning_type": "3", "severity": "yellow",
     "description": "“不满意”“非常不满意”评价在规定工作日内（评价次日起算）没有部门登记的回访整改记录，"
                    "或回访整改晚于期限（实名差评回访整改率 100%）。",
     "parameters": {"follow_up_working_days": 15, "follow_up_actions": ["rating_follow_up", "rectification"]}},
]
