"""Forms of the case pages: they check shape only; the services check the rules (STYLE habit 2)."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from zhengwu.cases.models import ApplicantType, DecisionOutcome, Delivery, IdType, RatingLevel
from zhengwu.cases.services import ApplicantInput, CorrectionItem, MaterialInput
from zhengwu.catalog.codes import LimitUnit, SpecialProcedureKind

PERSON_ID_TYPES = [(v, label) for v, label in IdType.choices if v != IdType.USCC]
MAX_FORM_UPLOAD = 25 * 1024 * 1024  # a little above the service's own limit: the service gives the message


def new_idempotency_key() -> str:
    return "web-" + uuid.uuid4().hex


class _Base(forms.Form):
    """Every field gets an error id for aria-describedby, so screen readers read the message."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, (forms.TextInput, forms.NumberInput, forms.Textarea, forms.PasswordInput,
                                   forms.Select, forms.EmailInput)):
                widget.attrs.setdefault("aria-describedby", f"id_{self.add_prefix(name)}-error")


# --- accounts ------------------------------------------------------------------------------------

class SignUpForm(_Base):
    phone = forms.RegexField(label="手机号码", regex=r"^1[3-9]\d{9}$", max_length=11,
                             error_messages={"invalid": "请输入 11 位中国大陆手机号码"},
                             widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "numeric"}))
    real_name = forms.CharField(label="姓名", max_length=50, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    password1 = forms.CharField(label="密码", strip=False, help_text="至少 8 位，包含大写字母、小写字母、数字、符号中的三类",
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label="确认密码", strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", "两次输入的密码不一致")
        return data


class SignInForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "手机号码或密码不正确。",
        "inactive": "该账户已停用。",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "手机号码"
        self.fields["password"].label = "密码"
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "inputmode": "numeric"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


# --- application ---------------------------------------------------------------------------------

class ApplicantFields(_Base):
    applicant_type = forms.ChoiceField(label="申请人类型", choices=ApplicantType.choices, initial=ApplicantType.PERSON,
                                       widget=forms.RadioSelect)
    name = forms.CharField(label="申请人名称（姓名或单位名称）", max_length=200)
    id_type = forms.ChoiceField(label="证件类型", choices=IdType.choices, initial=IdType.ID_CARD,
                                help_text="个人填写居民身份证等；法人或其他组织填写统一社会信用代码")
    id_number = forms.CharField(label="证件号码", max_length=40)
    phone = forms.CharField(label="联系电话", max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"}))
    address = forms.CharField(label="通讯地址", max_length=300, required=False)
    legal_representative = forms.CharField(label="法定代表人（单位申请时填写）", max_length=50, required=False)
    agent_name = forms.CharField(label="代办人姓名（可选）", max_length=50, required=False)
    agent_id_number = forms.CharField(label="代办人身份证号", max_length=40, required=False)
    agent_phone = forms.CharField(label="代办人电话", max_length=20, required=False)
    summary = forms.CharField(label="申请事由（可选）", max_length=300, required=False)

    def applicant(self) -> ApplicantInput:
        d = self.cleaned_data
        return ApplicantInput(applicant_type=d["applicant_type"], name=d["name"], id_type=d["id_type"],
                              id_number=d["id_number"], phone=d["phone"], address=d["address"],
                              legal_representative=d["legal_representative"], agent_name=d["agent_name"],
                              agent_id_number=d["agent_id_number"], agent_phone=d["agent_phone"])


class MaterialFieldsMixin(_Base):
    """One file field per required material, and, where the applicant holds a licence in the
    licence library, a choice to reuse it instead of uploading (国务院令716号 §11)."""

    def add_material_fields(self, requirements, certificates=(), *, only=None):
        self.requirements = [r for r in requirements if only is None or r.pk in only]
        cert_choices = [("", "不复用，上传文件")] + [(c.identifier, f"{c.name}（{c.number}）") for c in certificates]
        self.material_rows = []
        for r in self.requirements:
            file_name, reuse_name = f"material_{r.pk}", f"reuse_{r.pk}"
            self.fields[file_name] = forms.FileField(
                label=f"{r.name}{'' if r.required else '（非必备）'}", required=False,
                help_text="PDF、JPEG、PNG 或 OFD 文件，不超过 20MB")
            self.fields[file_name].widget.attrs.update({"accept": ".pdf,.jpg,.jpeg,.png,.ofd",
                                                        "aria-describedby": f"id_{file_name}-error"})
            row = {"requirement": r, "file": file_name, "reuse": None}
            if certificates:
                self.fields[reuse_name] = forms.ChoiceField(label=f"或复用证照库中的电子证照：{r.name}",
                                                            choices=cert_choices, required=False)
                row["reuse"] = reuse_name
            self.material_rows.append(row)

    def materials(self) -> list[MaterialInput]:
        out = []
        for row in self.material_rows:
            r = row["requirement"]
            reuse = self.cleaned_data.get(row["reuse"]) if row["reuse"] else ""
            upload = self.cleaned_data.get(row["file"])
            if reuse:
                out.append(MaterialInput(requirement_id=r.pk, reused_certificate=reuse))
            elif upload:
                if upload.size > MAX_FORM_UPLOAD:
                    self.add_error(row["file"], "文件过大，不能超过 20MB")
                    continue
                out.append(MaterialInput(requirement_id=r.pk, content=upload.read(), filename=upload.name))
        return out

    def bound_rows(self):
        return [{"requirement": row["requirement"], "file": self[row["file"]],
                 "reuse": self[row["reuse"]] if row["reuse"] else None} for row in self.material_rows]


class ApplyForm(MaterialFieldsMixin, ApplicantFields):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=80)

    def __init__(self, *args, requirements=(), certificates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.add_material_fields(requirements, certificates)


class MaterialsForm(MaterialFieldsMixin, _Base):
    """Uploads to a draft, or the corrections listed in the one-time notice."""

    def __init__(self, *args, requirements=(), certificates=(), only=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_material_fields(requirements, certificates, only=only)


class WithdrawForm(_Base):
    reason = forms.CharField(label="撤回理由（可选）", max_length=500, required=False)


class RateForm(_Base):
    level = forms.ChoiceField(label="满意度", choices=RatingLevel.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label="文字评价（可选）", max_length=1000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))


class ProgressForm(_Base):
    case_no = forms.CharField(label="办件编号", max_length=40)
    query_code = forms.CharField(label="查询码", max_length=8, help_text="受理回执或短信中的 8 位查询码")


# --- staff ---------------------------------------------------------------------------------------

class VersionForm(_Base):
    """Optimistic concurrency: the version the clerk saw; a stale page gets a clear 409 message."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AcceptForm(VersionForm):
    note = forms.CharField(label="受理意见（可选）", max_length=500, required=False)


class RejectForm(VersionForm):
    reason = forms.CharField(label="不予受理理由", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    competent_agency = forms.CharField(label="有权受理的机关（属于他机关职权时填写）", max_length=200, required=False)


class CorrectionNoticeForm(VersionForm):
    """一次性告知: a checkbox and a reason per material, all in one notice."""

    deadline_days = forms.IntegerField(label="补正期限（工作日）", min_value=1, max_value=60, required=False)
    other_name = forms.CharField(label="其他需补正事项（可选）", max_length=300, required=False)
    other_reason = forms.CharField(label="其他事项的补正理由", max_length=500, required=False)

    def __init__(self, *args, requirements=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for r in requirements:
            check, reason = f"fix_{r.pk}", f"reason_{r.pk}"
            self.fields[check] = forms.BooleanField(label=r.name, required=False)
            self.fields[reason] = forms.CharField(label=f"“{r.name}”的补正理由", max_length=500, required=False)
            self.rows.append((r, check, reason))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for _r, check, reason in self.rows:
            if data.get(check) and not (data.get(reason) or "").strip():
                self.add_error(reason, "请填写该材料的补正理由")
        if data.get("other_name") and not data.get("other_reason"):
            self.add_error("other_reason", "请填写补正理由")
        return data

    def items(self) -> list[CorrectionItem]:
        d = self.cleaned_data
        out = [CorrectionItem(requirement_id=r.pk, reason=d[reason]) for r, check, reason in self.rows if d.get(check)]
        if d.get("other_name"):
            out.append(CorrectionItem(name=d["other_name"], reason=d["other_reason"]))
        return out

    def bound_rows(self):
        return [(r, self[check], self[reason]) for r, check, reason in self.rows]


class OpinionForm(VersionForm):
    opinion = forms.CharField(label="处理意见", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class StepReturnForm(VersionForm):
    to_step = forms.TypedChoiceField(label="退回至环节", coerce=int, choices=())
    reason = forms.CharField(label="退回理由", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, steps=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.TypedChoiceField, self.fields["to_step"]).choices = [(s.pk, f"{s.order}. {s.name}") for s in steps]


class SpecialStartForm(VersionForm):
    kind = forms.ChoiceField(label="特别程序种类", choices=SpecialProcedureKind.choices)
    reason = forms.CharField(label="启动理由或依据", max_length=500)
    expected_value = forms.IntegerField(label="预计所需时间", min_value=1, max_value=365)
    expected_unit = forms.ChoiceField(label="时间单位", choices=LimitUnit.choices, initial=LimitUnit.WORKING_DAYS)


class SpecialEndForm(VersionForm):
    result = forms.CharField(label="特别程序结果", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ExtendForm(VersionForm):
    days = forms.IntegerField(label="延长工作日", min_value=1, max_value=15)
    reason = forms.CharField(label="延期理由（将告知申请人）", max_length=500)


class ExtensionRequestForm(VersionForm):
    days = forms.IntegerField(label="申请延长工作日", min_value=1, max_value=15)
    reason = forms.CharField(label="延期理由（批准后告知申请人）", max_length=500)


class ExtensionRefuseForm(VersionForm):
    reason = forms.CharField(label="不予批准的理由（告知申请人延期的经办人）", max_length=500)


class DecideForm(VersionForm):
    outcome = forms.ChoiceField(label="决定", choices=DecisionOutcome.choices, widget=forms.RadioSelect)
    reasons = forms.CharField(label="理由（不予许可时必填，将写入决定书并告知救济途径）", max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


class DeliverForm(VersionForm):
    method = forms.ChoiceField(label="送达方式", choices=Delivery.Method.choices, widget=forms.RadioSelect,
                               initial=Delivery.Method.COLLECTION)
    recipient_name = forms.CharField(label="领取人或收件人", max_length=50, required=False)
    carrier = forms.CharField(label="快递公司（邮寄时）", max_length=50, required=False)
    tracking_no = forms.CharField(label="物流单号（邮寄时）", max_length=50, required=False)
    address = forms.CharField(label="寄送地址（邮寄时）", max_length=300, required=False)


class ConfirmForm(VersionForm):
    recipient_name = forms.CharField(label="签收人", max_length=50, required=False)


class TerminateForm(VersionForm):
    reason = forms.CharField(label="终止理由", max_length=500)


class StaffWithdrawForm(VersionForm):
    reason = forms.CharField(label="撤回理由（申请人书面申请）", max_length=500)


class FeeNoticeForm(_Base):
    """One field per catalogued fee of the case's version, shaped by its standard: a fixed amount
    is ticked (the catalog sets it), a range or a text standard takes the amount, and a text
    standard also how the amount was worked out. Nothing else can be charged."""

    def __init__(self, *args, fees=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fee_rows: list[tuple[Any, str, str | None]] = []
        for f in fees:
            bounds = f.amount_bounds()
            if bounds is not None and bounds[0] == bounds[1]:
                self.fields[f"charge_{f.pk}"] = forms.BooleanField(
                    label=f"{f.name}：按标准收取 {bounds[0]} 元", required=False)
                self.fee_rows.append((f, f"charge_{f.pk}", None))
                continue
            standard = f"{bounds[0]}–{bounds[1]} 元" if bounds else f.standard
            self.fields[f"fee_{f.pk}"] = forms.DecimalField(label=f"{f.name}（元，标准：{standard}）", min_value=0,
                                                            max_digits=16, decimal_places=2, required=False)
            note = None
            if bounds is None:
                note = f"note_{f.pk}"
                self.fields[note] = forms.CharField(label=f"{f.name}的计费说明（如面积、件数及计算过程）",
                                                    max_length=300, required=False)
            self.fee_rows.append((f, f"fee_{f.pk}", note))

    def lines(self):
        from zhengwu.cases.services import FeeLine

        lines = []
        for f, name, note in self.fee_rows:
            value = self.cleaned_data.get(name)
            basis_note = self.cleaned_data.get(note, "") if note else ""
            if name.startswith("charge_"):
                if value:
                    lines.append(FeeLine(fee_item_id=f.pk))
            elif value is not None or basis_note:
                lines.append(FeeLine(fee_item_id=f.pk, amount=value, basis_note=basis_note))
        return lines


class FeeVoidForm(_Base):
    notice_no = forms.CharField(widget=forms.HiddenInput, max_length=60)
    reason = forms.CharField(label="作废理由（将告知申请人）", max_length=500)


class PaymentForm(_Base):
    notice_no = forms.CharField(widget=forms.HiddenInput, max_length=60)
    amount = forms.DecimalField(label="实收金额（元）", max_digits=16, decimal_places=2)
    payer_name = forms.CharField(label="缴款人", max_length=200)


class WalkInForm(MaterialFieldsMixin, ApplicantFields):
    item = forms.TypedChoiceField(label="办理事项", coerce=int, choices=())
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=80)

    def __init__(self, *args, items=(), requirements=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.TypedChoiceField, self.fields["item"]).choices = [(i.pk, f"{i.current_version.name}（{i.department.short_name or i.department.name}）")
                                       for i in items]
        self.add_material_fields(requirements)


class QueueForm(_Base):
    search = forms.CharField(label="办件编号、事项名称或证件号码", max_length=60, required=False,
                             help_text="证件号码须完整输入，按加密索引精确查找，查找记入审计日志")
