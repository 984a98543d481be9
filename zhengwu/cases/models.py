"""办件 (Case) and everything recorded on it. The timeline is the append-only CaseEvent log.

Only `services.py` writes these models; `Case.status` is assigned by one executor
(`services._transition`) against the table in `states.py`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from zhengwu.cases.states import Role, Status
from zhengwu.catalog.codes import LimitUnit, SpecialProcedureKind
from zhengwu.core.fields import EncryptedCharField, KeyedIndexField


class ApplicantType(models.TextChoices):
    PERSON = "person", "自然人"
    ORGANISATION = "organisation", "法人或其他组织"


class IdType(models.TextChoices):
    ID_CARD = "id_card", "居民身份证"
    PASSPORT = "passport", "护照"
    HK_MACAO_PERMIT = "hk_macao_permit", "港澳居民来往内地通行证"
    TAIWAN_PERMIT = "taiwan_permit", "台湾居民来往大陆通行证"
    USCC = "uscc", "统一社会信用代码"
    OTHER = "other", "其他证件"


class Channel(models.TextChoices):
    """申报来源 (GB/T 39046 A.5 办理形式)."""

    WINDOW = "window", "窗口办理"
    ONLINE_PC = "online_pc", "电脑端网上办理"
    ONLINE_MOBILE = "online_mobile", "移动端网上申请"
    POST = "post", "快递申请"


class DecisionOutcome(models.TextChoices):
    APPROVE = "approve", "准予许可"
    DENY = "deny", "不予许可"


class CaseItemPolicy(models.Model):
    """Per-item case settings the catalog does not carry: 超时默许 and §26 joint handling."""

    item = models.OneToOneField("catalog.ServiceItem", verbose_name="事项", on_delete=models.CASCADE,
                                related_name="case_policy")
    deemed_approval_enabled = models.BooleanField("超时默许", default=False,
                                                  help_text="承诺时限届满未作决定的，视为准予")
    joint_handling = models.BooleanField("统一/联合/集中办理（行政许可法第二十六条）", default=False)
    licence_type_code = models.CharField("电子证照类型代码", max_length=21, blank=True,
                                         help_text="准予后制发的电子证照类型（licences 证照类型代码）")
    validity_years = models.PositiveSmallIntegerField("证照有效期（年）", default=0, help_text="0 = 长期有效")
    note = models.CharField("依据说明", max_length=300, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "事项办件设置"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"{self.item}"


class CaseNumberCounter(models.Model):
    """Per department and year, the last case sequence number handed out (row-locked)."""

    department = models.ForeignKey("org.Department", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["department", "year"], name="cases_counter_unique")]


class Case(models.Model):
    case_no = models.CharField("办件编号", max_length=40, unique=True)
    query_code = models.CharField("查询码", max_length=8)
    item = models.ForeignKey("catalog.ServiceItem", verbose_name="事项", on_delete=models.PROTECT,
                             related_name="cases")
    item_version = models.ForeignKey("catalog.ServiceItemVersion", verbose_name="适用实施清单版本",
                                     on_delete=models.PROTECT, related_name="cases", db_index=False)
    department = models.ForeignKey("org.Department", verbose_name="受理部门", on_delete=models.PROTECT,
                                   related_name="cases", db_index=False)
    window = models.ForeignKey("org.Window", verbose_name="收件窗口", null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="cases", db_index=False)
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="申请人账户", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="cases", db_index=False)
    # Snapshot of the applicant at submission (GB/T 39046 Table 5).
    applicant_type = models.CharField("申请人类型", max_length=12, choices=ApplicantType.choices)
    applicant_name = models.CharField("申请人名称", max_length=200)
    applicant_id_type = models.CharField("证件类型", max_length=20, choices=IdType.choices)
    # 身份证 / USCC / other document numbers: SM4-GCM at rest, searched only through the keyed index
    # (zhengwu/core/fields.py); shown masked except through the audited 查看完整证件号 action.
    applicant_id_number = EncryptedCharField("证件号码", max_length=40)
    applicant_id_index = KeyedIndexField("证件号码索引（SM3-HMAC）", source="applicant_id_number")
    applicant_phone = models.CharField("联系电话", max_length=20, blank=True)
    applicant_address = models.CharField("通讯地址", max_length=300, blank=True)
    legal_representative = models.CharField("法定代表人", max_length=50, blank=True)
    agent_name = models.CharField("代办人姓名", max_length=50, blank=True)
    agent_id_number = EncryptedCharField("代办人身份证号", max_length=40, blank=True)
    agent_id_index = KeyedIndexField("代办人身份证号索引（SM3-HMAC）", source="agent_id_number")
    agent_phone = models.CharField("代办人电话", max_length=20, blank=True)
    summary = models.CharField("申请摘要", max_length=300, blank=True)
    channel = models.CharField("申报来源", max_length=14, choices=Channel.choices)
    idempotency_key = models.CharField("幂等键", max_length=80, null=True, blank=True, unique=True)

    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField("版本", default=1, help_text="乐观并发控制")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    received_at = models.DateTimeField("收件时间", null=True, blank=True)
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    completed_at = models.DateTimeField("办结时间", null=True, blank=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True,
                                     help_text="不予受理、撤回或终止的时间")
    completed_on_site = models.BooleanField("现场办结", default=False)
    first_responder = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="首问负责人", null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+", db_index=False)
    current_step = models.ForeignKey("catalog.ProcessStep", verbose_name="当前环节", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+", db_index=False)
    joint_handling = models.BooleanField("统一/联合/集中办理", default=False)
    deemed_accepted = models.BooleanField("视为受理", default=False)
    deemed_approved = models.BooleanField("超时默许", default=False)
    acceptance_no = models.CharField("受理文书编号", max_length=60, blank=True)
    acceptance_pdf = models.FileField("受理通知书", upload_to="cases/notices/%Y/", blank=True)
    rejection_reason = models.TextField("不予受理理由", blank=True)
    competent_agency = models.CharField("有权机关", max_length=200, blank=True)
    rejection_no = models.CharField("不予受理文书编号", max_length=60, blank=True)
    rejection_pdf = models.FileField("不予受理通知书", upload_to="cases/notices/%Y/", blank=True)
    decision = models.CharField("决定", max_length=10, choices=DecisionOutcome.choices, blank=True)
    decision_reasons = models.TextField("决定理由", blank=True)
    close_reason = models.TextField("撤回/终止理由", blank=True)

    class Meta:
        verbose_name = "办件"
        verbose_name_plural = verbose_name
        ordering = ["-created_at", "-id"]
        # Every transition changes `status`, so every index is written on every transition: only the
        # lookups the code makes have one. The department's and applicant's lead two of them; the
        # version, window, first responder and current step are reached from the case, never
        # searched by (a protected row's deletion scans, and such deletions are rare admin acts).
        indexes = [
            models.Index(fields=["department", "status"]),
            models.Index(fields=["applicant", "created_at"]),
            models.Index(fields=["status"], name="cases_case_status_idx"),  # supervisors' open cases
        ]

    def __str__(self) -> str:
        return self.case_no

    @property
    def is_organisation(self) -> bool:
        return self.applicant_type == ApplicantType.ORGANISATION


class CaseMaterial(models.Model):
    class State(models.TextChoices):
        RECEIVED = "received", "已收取"
        MISSING = "missing", "缺失"
        NON_COMPLIANT = "non_compliant", "不符合要求"

    case = models.ForeignKey(Case, verbose_name="办件", on_delete=models.CASCADE, related_name="materials")
    requirement = models.ForeignKey("catalog.MaterialRequirement", verbose_name="材料要求", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    name = models.CharField("材料名称", max_length=300)
    file = models.FileField("文件", upload_to="cases/materials/%Y/%m/", blank=True)
    content_type = models.CharField("文件类型", max_length=60, blank=True)
    size = models.PositiveIntegerField("大小（字节）", default=0)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    # A licence from the licence library used instead of an upload: its 电子证照标识 (RULES §7).
    reused_certificate = models.CharField("复用证照标识", max_length=120, blank=True)
    state = models.CharField("状态", max_length=14, choices=State.choices, default=State.RECEIVED)
    note = models.CharField("说明", max_length=300, blank=True)
    received_at = models.DateTimeField("收取时间")

    class Meta:
        verbose_name = "办件材料"
        verbose_name_plural = verbose_name
        ordering = ["case", "id"]

    def __str__(self) -> str:
        return self.name


class CorrectionNotice(models.Model):
    """一次性告知: ONE per application (行政许可法 §32(4)), listing everything to correct."""

    case = models.OneToOneField(Case, verbose_name="办件", on_delete=models.CASCADE, related_name="correction_notice")
    items = models.JSONField("补正事项", help_text="[{requirement_id, name, reason}]")
    issued_at = models.DateTimeField("告知时间")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="告知人", on_delete=models.PROTECT,
                                  related_name="+")
    deadline = models.DateField("补正期限")
    notice_no = models.CharField("文书编号", max_length=60, blank=True)
    pdf = models.FileField("一次性告知书", upload_to="cases/notices/%Y/", blank=True)
    answered_at = models.DateTimeField("补正时间", null=True, blank=True)

    class Meta:
        verbose_name = "一次性告知书"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"{self.case} 补正告知"


class StepAction(models.TextChoices):
    """业务动作 (GB/T 39046 Table 7)."""

    PASS = "pass", "通过"
    RETURN = "return", "退回"
    OTHER = "other", "其他"


class CaseStepRecord(models.Model):
    case = models.ForeignKey(Case, verbose_name="办件", on_delete=models.CASCADE, related_name="step_records")
    step = models.ForeignKey("catalog.ProcessStep", verbose_name="环节", on_delete=models.PROTECT, related_name="+")
    step_name = models.CharField("环节名称", max_length=100)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="处理人", on_delete=models.PROTECT,
                              related_name="+")
    acting_for = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="代岗（A岗）", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    action = models.CharField("业务动作", max_length=10, choices=StepAction.choices)
    opinion = models.TextField("处理意见")
    returned_to = models.ForeignKey("catalog.ProcessStep", verbose_name="退回至", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField("环节开始")
    ended_at = models.DateTimeField("环节结束")

    class Meta:
        verbose_name = "环节办理记录"
        verbose_name_plural = verbose_name
        ordering = ["case", "ended_at", "id"]

    def __str__(self) -> str:
        return f"{self.case} {self.step_name} {self.get_action_display()}"


class SpecialProcedure(models.Model):
    """特别程序 (行政许可法 §45): time not counted; expected duration told in writing."""

    case = models.ForeignKey(Case, verbose_name="办件", on_delete=models.CASCADE, related_name="special_procedures")
    kind = models.CharField("种类", max_length=14, choices=SpecialProcedureKind.choices)
    reason = models.CharField("启动理由或依据", max_length=500)
    expected_value = models.PositiveIntegerField("预计时限")
    expected_unit = models.CharField("单位", max_length=14, choices=LimitUnit.choices,
                                     default=LimitUnit.WORKING_DAYS)
    notice_no = models.CharField("告知书编号", max_length=60, blank=True)
    notice_pdf = models.FileField("特别程序告知书", upload_to="cases/notices/%Y/", blank=True)
    resume_status = models.CharField("恢复后状态", max_length=20, choices=Status.choices)
    started_at = models.DateTimeField("开始时间")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="启动人", on_delete=models.PROTECT,
                                   related_name="+")
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="结束人", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    result = models.TextField("特别程序结果", blank=True)

    class Meta:
        verbose_name = "特别程序"
        verbose_name_plural = verbose_name
        ordering = ["case", "started_at"]
        constraints = [models.UniqueConstraint(fields=["case"], condition=models.Q(ended_at__isnull=True),
                                               name="cases_one_open_special")]

    def __str__(self) -> str:
        return f"{self.case} {self.get_kind_display()}"


class Extension(models.Model):
    """延期 (行政许可法 §42): once per case, +10 WD (+15 under §26), approved by a leader."""

    case = models.OneToOneField(Case, verbose_name="办件", on_delete=models.CASCADE, related_name="extension")
    days = models.PositiveSmallIntegerField("延长工作日")
    reason = models.CharField("延期理由", max_length=500)
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="批准人", on_delete=models.PROTECT,
                                 related_name="+")
    approver_position = models.CharField("批准人岗位", max_length=24)
    approved_at = models.DateTimeField("批准时间")
    notice_no = models.CharField("延期告知书编号", max_length=60, blank=True)
    notice_pdf = models.FileField("延期告知书", upload_to="cases/notices/%Y/", blank=True)

    class Meta:
        verbose_name = "延期"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"{self.case} +{self.days}"


class ExtensionRequest(models.Model):
    """延期申请 (行政许可法 §42): the handling official asks, the department's leader (or section
    head) approves — the Extension then takes effect — or refuses with a reason.

    At most one request is pending per case, and only while the case is clocked: the services that
    move a case out of the clocked states (decided, withdrawn, terminated) store a pending request
    as lapsed in the same transaction (§42 extends a running limit)."""

    class State(models.TextChoices):
        PENDING = "pending", "待审批"
        APPROVED = "approved", "已批准"
        REFUSED = "refused", "不予批准"
        LAPSED = "lapsed", "已失效"

    case = models.ForeignKey(Case, verbose_name="办件", on_delete=models.CASCADE, related_name="extension_requests")
    days = models.PositiveSmallIntegerField("申请延长工作日")
    reason = models.CharField("延期理由", max_length=500)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="申请人（经办人）",
                                     on_delete=models.PROTECT, related_name="+")
    requested_position = models.CharField("申请人岗位", max_length=24)
    requested_at = models.DateTimeField("申请时间")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审批人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_position = models.CharField("审批人岗位", max_length=24, blank=True)
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    refusal_reason = models.CharField("不予批准理由", max_length=500, blank=True)
    extension = models.OneToOneField("Extension", verbose_name="延期", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="request")

    class Meta:
        verbose_name = "延期申请"
        verbose_name_plural = verbose_name
        ordering = ["case", "requested_at", "id"]
        constraints = [models.UniqueConstraint(fields=["case"], condition=models.Q(state="pending"),
                                               name="cases_one_pending_extension_request")]

    def __str__(self) -> str:
        return f"{self.case} 延期申请 +{self.days}"


class Decision(models.Model):
    case = models.OneToOneField(Case, verbose_name="办件", on_delete=models.CASCADE, related_name="decision_record")
    outcome = models.CharField("决定", max_length=10, choices=DecisionOutcome.choices)
    reasons = models.TextField("理由", blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="决定人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField("决定时间")
    deemed = models.BooleanField("超时默许", default=False)
    document_no = models.CharField("决定书编号", max_length=60, blank=True)
    pdf = models.FileField("决定书", upload_to="cases/decisions/%Y/", blank=True)

    class Meta:
        verbose_name = "决定"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"{self.case} {self.get_outcome_display()}"


class DenialReport(models.Model):
    """否定报备: every denial reported with reasons to the department's 分管领导; supervisors see it."""

    decision = models.OneToOneField(Decision, verbose_name="决定", on_delete=models.CASCADE,
                                    related_name="denial_report")
    case = models.ForeignKey(Case, verbose_name="办件", on_delete=models.CASCADE, related_name="denial_reports")
    reported_to = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="报备对象", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    reasons = models.TextField("理由")
    reported_at = models.DateTimeField("报备时间")

    class Meta:
        verbose_name = "否定报备"
        verbose_name_plural = verbose_name
        ordering = ["-reported_at"]

    def __str__(self) -> str:
        return f"{self.case} 否定报备"


class Delivery(models.Model):
    class Method(models.TextChoices):
        COLLECTION = "collection", "窗口领取"
        POST = "post", "邮寄送达"

    case = models.ForeignKey(Case, verbose_name="办件", on_delete=models.CASCADE, related_name="deliveries")
    method = models.CharField("送达方式", max_length=12, choices=Method.choices)
    carrier = models.CharField("快递公司", max_length=50, blank=True)
    tracking_no = models.CharField("物流单号", max_length=50, blank=True)
    address = models.CharField("寄送地址", max_length=300, blank=True)
    recipient_name = models.CharField("签收人", max_length=50, blank=True)
    sent_at = models.DateTimeField("送出时间")
    received_at = models.DateTimeField("签收时间", null=True, blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="经办人", on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        verbose_name = "送达"
        verbose_name_plural = verbose_name
        ordering = ["case", "sent_at"]

    def __str__(self) -> str:
        return f"{self.case} {self.get_method_display()}"


class FeeNotice(models.Model):
    """缴费通知 (一口收费): only the fee items of the version the case was applied under."""

    class State(models.TextChoices):
        UNPAID = "unpaid", "待缴费"
        PAID = "paid", "已缴费"
        VOIDED = "voided", "已作废"

    case = models.ForeignKey(Case, verbose_name="办件", on_delete=models.CASCADE, related_name="fee_notices")
    notice_no = models.CharField("缴款单号", max_length=60, unique=True)
    total = models.DecimalField("金额（元）", max_digits=16, decimal_places=2)
    state = models.CharField("状态", max_length=8, choices=State.choices, default=State.UNPAID)
    issued_at = models.DateTimeField("开具时间")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="开具人", on_delete=models.PROTECT,
                                  related_name="+")
    # 作废: a notice issued wrongly, while unpaid; the case may then get a new one.
    voided_at = models.DateTimeField("作废时间", null=True, blank=True)
    voided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="作废人", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    void_reason = models.CharField("作废理由", max_length=500, blank=True)

    class Meta:
        verbose_name = "缴费通知"
        verbose_name_plural = verbose_name
        # 一口收费: one standing (unpaid or paid) notice per case; a voided one makes room for the next.
        constraints = [models.UniqueConstraint(fields=["case"], condition=~models.Q(state="voided"),
                                               name="cases_one_standing_fee_notice")]

    def __str__(self) -> str:
        return self.notice_no


class FeeNoticeLine(models.Model):
    fee_notice = models.ForeignKey(FeeNotice, on_delete=models.CASCADE, related_name="lines")
    fee_item = models.ForeignKey("catalog.FeeItem", verbose_name="收费项目", on_delete=models.PROTECT,
                                 related_name="+")
    name = models.CharField("收费项目名称", max_length=200)
    amount = models.DecimalField("金额（元）", max_digits=16, decimal_places=2)
    basis_note = models.CharField("计费说明", max_length=300, blank=True,
                                  help_text="收费标准不能直接读出金额时，金额的计算依据（如面积、件数）")

    class Meta:
        verbose_name = "缴费明细"
        verbose_name_plural = verbose_name


class Payment(models.Model):
    fee_notice = models.OneToOneField(FeeNotice, verbose_name="缴费通知", on_delete=models.PROTECT,
                                      related_name="payment")
    amount = models.DecimalField("收费金额（元）", max_digits=16, decimal_places=2)
    payer_name = models.CharField("缴款人", max_length=200)
    method = models.CharField("缴费方式", max_length=20, default="window")
    paid_at = models.DateTimeField("收费时间")
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="收费人员", on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        verbose_name = "缴费记录"
        verbose_name_plural = verbose_name


class Receipt(models.Model):
    payment = models.OneToOneField(Payment, verbose_name="缴费记录", on_delete=models.PROTECT, related_name="receipt")
    receipt_no = models.CharField("票据号", max_length=60, unique=True)
    issued_at = models.DateTimeField("开具时间")

    class Meta:
        verbose_name = "收费票据"
        verbose_name_plural = verbose_name


class RatingLevel(models.TextChoices):
    """好差评 five levels (国办发〔2019〕51号), stored by meaning."""

    VERY_SATISFIED = "very_satisfied", "非常满意"
    SATISFIED = "satisfied", "满意"
    BASICALLY_SATISFIED = "basically_satisfied", "基本满意"
    DISSATISFIED = "dissatisfied", "不满意"
    VERY_DISSATISFIED = "very_dissatisfied", "非常不满意"


class RatingChannel(models.TextChoices):
    """评价渠道 (GB/T 39046 Table 9)."""

    PC = "pc", "PC端"
    MOBILE = "mobile", "移动服务端"
    QR_CODE = "qr_code", "二维码"
    HALL_TABLET = "hall_tablet", "政务大厅平板电脑"
    HALL_TERMINAL = "hall_terminal", "政务大厅其他终端"
    PHONE = "phone", "电话"
    SMS = "sms", "短信"


class Rating(models.Model):
    case = models.OneToOneField(Case, verbose_name="办件", on_delete=models.CASCADE, related_name="rating")
    level = models.CharField("满意度", max_length=20, choices=RatingLevel.choices)
    channel = models.CharField("评价渠道", max_length=14, choices=RatingChannel.choices)
    comment = models.TextField("文字评价", blank=True)
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="评价人", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    rated_at = models.DateTimeField("评价时间")

    class Meta:
        verbose_name = "好差评"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"{self.case} {self.get_level_display()}"

    @property
    def is_bad(self) -> bool:
        return self.level in (RatingLevel.DISSATISFIED, RatingLevel.VERY_DISSATISFIED)


class CaseEvent(models.Model):
    """Append-only timeline of a case: every transition and every recorded act."""

    case = models.ForeignKey(Case, verbose_name="办件", on_delete=models.CASCADE, related_name="events")
    occurred_at = models.DateTimeField("时间", db_index=True)
    action = models.CharField("事项", max_length=40)
    from_status = models.CharField("原状态", max_length=20, blank=True)
    to_status = models.CharField("新状态", max_length=20, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    role = models.CharField("身份", max_length=24, choices=Role.choices)
    note = models.TextField("说明", blank=True)
    public = models.BooleanField("对申请人公开", default=True)
    data = models.JSONField("数据", default=dict, blank=True)

    class Meta:
        verbose_name = "办件日志"
        verbose_name_plural = verbose_name
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("办件日志只能追加 / case events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("办件日志只能追加 / case events are append-only")
