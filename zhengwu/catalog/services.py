"""Every write to the catalog. Each function is atomic and records an audit event.

Editing never changes a published 实施清单: `item_edit` writes a draft version (copied from the
current one on the first edit), `item_publish` makes the draft current and supersedes the old
version with effective dates. Versions are never deleted, so a case can always show the elements
it was applied under.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from zhengwu.catalog import excel, states
from zhengwu.catalog.models import (
    MaterialRequirement,
    ServiceItem,
    ServiceItemVersion,
    Theme,
)
from zhengwu.catalog.search import build_search_text
from zhengwu.catalog.spec import (
    CHILD_FIELDS,
    CHILDREN,
    ELEMENT_FIELDS,
    empty_spec,
    implementation_code_for,
    spec_from_version,
    spec_merge,
    validate_spec,
)
from zhengwu.core.audit import Entry, audit_record, audit_record_many
from zhengwu.core.errors import Conflict, DomainError, ValidationFailed
from zhengwu.org.models import Department, Window

ItemStatus = ServiceItem.Status
VersionStatus = ServiceItemVersion.Status

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# Blank forms, samples and result samples are served to the public: only document and image
# types, checked by their first bytes, not by the name the uploader chose.
_MAGIC = {
    ".pdf": (b"%PDF-",),
    ".xlsx": (b"PK\x03\x04",),
    ".docx": (b"PK\x03\x04",),
    ".xls": (b"\xd0\xcf\x11\xe0",),
    ".doc": (b"\xd0\xcf\x11\xe0",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
}


def _raise_problems(problems) -> None:
    if problems:
        first = problems[0]
        raise ValidationFailed(
            first.message_zh if len(problems) == 1 else f"实施清单有 {len(problems)} 处问题：{first.message_zh} 等",
            first.message_en if len(problems) == 1 else f"{len(problems)} problems, first: {first.message_en}",
            field=first.field,
            details=[pr.as_dict() for pr in problems],
        )


def _with_derived_codes(spec: dict[str, Any], uscc: str, explicit: Iterable[str]) -> dict[str, Any]:
    if "implementation_code" not in explicit or not spec.get("implementation_code"):
        spec = {**spec, "implementation_code": implementation_code_for(uscc, spec.get("exercise_level") or "",
                                                                        spec.get("basic_code") or "")}
    return spec


def _write_version(version: ServiceItemVersion, spec: dict[str, Any]) -> None:
    """Write elements and children of a draft (the caller has checked it is a draft)."""
    fresh = version.pk is None
    for element in ELEMENT_FIELDS:
        setattr(version, element.name, spec[element.name])
    version.save()
    for key, model in CHILDREN.items():
        if not fresh:
            getattr(version, key).all().delete()
        if spec[key]:
            names = [f.name for f in CHILD_FIELDS[key]]
            model._default_manager.bulk_create([model(version=version, **{n: row.get(n) for n in names if n in row})
                                       for row in spec[key]])
    if fresh:
        through = ServiceItemVersion.themes.through
        through.objects.bulk_create([through(serviceitemversion_id=version.pk, theme_id=pk)
                                     for pk in Theme.objects.filter(code__in=spec["themes"]).values_list("pk",
                                                                                                        flat=True)])
    else:
        version.themes.set(Theme.objects.filter(code__in=spec["themes"]))


def _lock(item: ServiceItem) -> ServiceItem:
    return ServiceItem.objects.select_for_update().get(pk=item.pk)


def _draft_of(item: ServiceItem) -> ServiceItemVersion | None:
    return item.versions.filter(status=VersionStatus.DRAFT).first()


def item_create(*, actor, department: Department, spec: dict[str, Any], windows: Iterable[Window] = (),
                change_note: str = "", publish: bool = False) -> ServiceItem:
    """A new item at `department`, with its first (draft) 实施清单 version; `publish` publishes it
    in the same transaction (the spec was just validated, so it is not read back and re-checked)."""
    merged = _with_derived_codes(spec_merge(empty_spec(), spec), department.uscc, spec)
    _raise_problems(validate_spec(merged, uscc=department.uscc))
    with transaction.atomic():
        if ServiceItem.objects.filter(basic_code=merged["basic_code"]).exists():
            raise Conflict(f"基本编码 {merged['basic_code']} 已存在", "basic code already exists", field="basic_code")
        item = ServiceItem.objects.create(basic_code=merged["basic_code"], department=department)
        version = ServiceItemVersion(item=item, number=1, status=VersionStatus.DRAFT,
                                     change_note=change_note or "新增事项", created_by=_user(actor))
        _write_version(version, merged)
        windows = list(windows)
        if windows:
            _check_windows(item, windows)
            through = ServiceItem.windows.through
            through.objects.bulk_create([through(serviceitem_id=item.pk, window_id=w.pk) for w in windows])
        entries = [Entry("catalog.item_create", item, {"basic_code": item.basic_code, "name": merged["name"],
                                                       "department": department.pk,
                                                       "windows": [w.pk for w in windows]})]
        if publish:
            entries += _make_current(actor, item, version)
        audit_record_many(actor=actor, entries=entries)
    return item


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def item_edit(*, actor, item: ServiceItem, changes: dict[str, Any], change_note: str = "") -> ServiceItemVersion:
    """Change elements: continue the draft, or start one from the current published version."""
    with transaction.atomic():
        item = _lock(item)
        if item.status == ItemStatus.CANCELLED:
            raise Conflict("已取消的事项不能再修改", "a cancelled item cannot be edited")
        if "basic_code" in changes and changes["basic_code"] != item.basic_code:
            raise ValidationFailed("基本编码是事项的身份，不能修改；请新增事项并取消原事项",
                                   "the basic code identifies the item and cannot change", field="basic_code")
        draft = _draft_of(item)
        source = draft or item.current_version
        if source is None:
            raise Conflict("事项没有可编辑的版本", "the item has no version to edit")
        base = spec_from_version(source)
        merged = _with_derived_codes(spec_merge(base, changes), item.department.uscc, changes)
        if draft is None and merged == base:
            raise ValidationFailed("没有任何要素变更，未生成新版本", "nothing changed; no new version made")
        _raise_problems(validate_spec(merged, uscc=item.department.uscc))
        if draft is None:
            number = (item.versions.aggregate(m=Max("number"))["m"] or 0) + 1
            draft = ServiceItemVersion(item=item, number=number, status=VersionStatus.DRAFT,
                                       created_by=_user(actor))
        if change_note:
            draft.change_note = change_note[:500]
        _write_version(draft, merged)
        changed = sorted(k for k in merged if merged[k] != base.get(k))
        audit_record(actor=actor, action="catalog.item_edit", obj=item,
                     data={"version": draft.number, "changed": changed})
    return draft


def item_publish(*, actor, item: ServiceItem) -> ServiceItemVersion:
    """Make the draft the current 实施清单; the previous version stays, superseded from now on."""
    with transaction.atomic():
        item = _lock(item)
        if item.status == ItemStatus.CANCELLED:
            raise Conflict("已取消的事项不能发布", "a cancelled item cannot be published")
        draft = _draft_of(item)
        if draft is None:
            raise Conflict("没有待发布的草稿版本", "there is no draft version to publish")
        # Re-checked: the department's USCC (part of the implementation code) may have changed.
        _raise_problems(validate_spec(spec_from_version(draft), uscc=item.department.uscc))
        audit_record_many(actor=actor, entries=_make_current(actor, item, draft))
    return draft


def _make_current(actor, item: ServiceItem, draft: ServiceItemVersion) -> list[Entry]:
    """Supersede the current version by `draft` (item row locked or new); returns the audit entries."""
    now = timezone.now()
    old = item.current_version
    if old is not None:
        old.status = VersionStatus.SUPERSEDED
        old.effective_to = now
        old.save(update_fields=["status", "effective_to", "updated_at"])
    draft.status = VersionStatus.PUBLISHED
    draft.published_at = now
    draft.published_by = _user(actor)
    draft.effective_from = now
    draft.save(update_fields=["status", "published_at", "published_by", "effective_from", "updated_at"])
    item.current_version = draft
    item.search_text = build_search_text(draft.name, item.basic_code, aliases=(draft.result_name,))
    fields = ["current_version", "search_text", "updated_at"]
    if item.first_published_at is None:
        item.first_published_at = now
        fields.append("first_published_at")
    entries = []
    if item.status == ItemStatus.DRAFT:
        entries.append(_apply_transition(item, "publish", save=False))
        fields += ["status", "status_changed_at", "cancelled_reason"]
    item.save(update_fields=fields)
    entries.append(Entry("catalog.item_publish", item, {"version": draft.number,
                                                        "superseded": old.number if old else None,
                                                        "effective_from": now.isoformat()}))
    return entries


def _item_transition(*, actor, item: ServiceItem, name: str, reason: str = "") -> ServiceItem:
    """The one executor of states.TRANSITIONS (the caller holds the row lock)."""
    audit_record_many(actor=actor, entries=[_apply_transition(item, name, reason)])
    return item


def _apply_transition(item: ServiceItem, name: str, reason: str = "", *, save: bool = True) -> Entry:
    transition = states.transition_for(name, item.status)
    if transition is None:
        raise Conflict(f"事项当前状态为“{item.get_status_display()}”，不能{_label(name)}",
                       f"cannot {name} an item in status {item.status}")
    reason = (reason or "").strip()
    if transition.needs_reason and not reason:
        raise ValidationFailed(f"{transition.label}事项须说明原因", f"a reason is required to {name}",
                               field="reason")
    if transition.target == ItemStatus.PUBLISHED and item.current_version_id is None:
        raise Conflict("事项没有已发布的版本", "the item has no published version")
    source = item.status
    item.status = transition.target
    item.status_changed_at = timezone.now()
    if transition.needs_reason:
        item.cancelled_reason = reason[:500]
    if save:
        item.save(update_fields=["status", "status_changed_at", "cancelled_reason", "updated_at"])
    return Entry(f"catalog.item_status_{name}", item, {"from": source, "to": transition.target, "reason": reason})


def _label(name: str) -> str:
    return next((t.label for t in states.TRANSITIONS if t.name == name), name)


def item_suspend(*, actor, item: ServiceItem, reason: str) -> ServiceItem:
    with transaction.atomic():
        return _item_transition(actor=actor, item=_lock(item), name="suspend", reason=reason)


def item_resume(*, actor, item: ServiceItem) -> ServiceItem:
    with transaction.atomic():
        return _item_transition(actor=actor, item=_lock(item), name="resume")


def item_cancel(*, actor, item: ServiceItem, reason: str) -> ServiceItem:
    with transaction.atomic():
        return _item_transition(actor=actor, item=_lock(item), name="cancel", reason=reason)


def item_discard_draft(*, actor, item: ServiceItem) -> None:
    """Drop an unpublished draft of an item that has a published version (nothing was applied under it)."""
    with transaction.atomic():
        item = _lock(item)
        draft = _draft_of(item)
        if draft is None:
            raise Conflict("没有草稿版本", "there is no draft")
        if item.current_version_id is None:
            raise Conflict("事项的第一个版本不能丢弃；不再需要时请不要发布", "the first version cannot be discarded")
        number = draft.number
        draft.delete()
        audit_record(actor=actor, action="catalog.item_discard_draft", obj=item, data={"version": number})


def _check_windows(item: ServiceItem, windows: list[Window]) -> None:
    for window in windows:
        if not window.is_active:
            raise ValidationFailed(f"窗口 {window} 已停用", f"window {window.pk} is inactive", field="windows")
        if not window.is_comprehensive and window.department_id not in (None, item.department_id):
            raise ValidationFailed(f"窗口 {window} 属于其他部门，只有综合窗口可办理其他部门的事项",
                                   f"window {window.pk} belongs to another department", field="windows")


def item_set_windows(*, actor, item: ServiceItem, windows: Iterable[Window]) -> ServiceItem:
    """Which counters serve the item; an operational assignment, not an element of the 实施清单."""
    windows = list(windows)
    with transaction.atomic():
        item = _lock(item)
        _check_windows(item, windows)
        before = sorted(item.windows.values_list("pk", flat=True))
        item.windows.set(windows)
        audit_record(actor=actor, action="catalog.item_set_windows", obj=item,
                     data={"before": before, "after": sorted(w.pk for w in windows)})
    return item


def _check_upload(upload: UploadedFile) -> str:
    ext = os.path.splitext(upload.name or "")[1].lower()
    if ext not in _MAGIC:
        raise ValidationFailed(f"不支持的文件类型：{ext or '无扩展名'}（支持 PDF、Word、Excel、PNG、JPG）",
                               "unsupported file type", field="file")
    if upload.size is None or upload.size > MAX_UPLOAD_BYTES:
        raise ValidationFailed("文件不能超过 10 MB", "file larger than 10 MB", field="file")
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not any(head.startswith(m) for m in _MAGIC[ext]):
        raise ValidationFailed("文件内容与扩展名不符", "file content does not match its extension", field="file")
    return ext


def material_file_attach(*, actor, material: MaterialRequirement, field: str,
                         upload: UploadedFile) -> MaterialRequirement:
    """Attach a blank form or sample to a material of a draft version."""
    if field not in ("blank_form", "sample_file"):
        raise ValidationFailed("只能上传空白表格或示例样表", "field must be blank_form or sample_file", field="field")
    _check_upload(upload)
    with transaction.atomic():
        material = MaterialRequirement.objects.select_related("version").select_for_update().get(pk=material.pk)
        if material.version.status != VersionStatus.DRAFT:
            raise Conflict("已发布版本的材料不能修改，请先编辑事项生成草稿", "materials of a published version are immutable")
        getattr(material, field).save(upload.name, upload, save=False)
        material.save(update_fields=[field])
        audit_record(actor=actor, action="catalog.material_file_attach", obj=material.version.item,
                     data={"version": material.version.number, "material": material.name, "field": field,
                           "file": getattr(material, field).name})
    return material


def version_result_sample_attach(*, actor, version: ServiceItemVersion, upload: UploadedFile) -> ServiceItemVersion:
    _check_upload(upload)
    with transaction.atomic():
        version = ServiceItemVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != VersionStatus.DRAFT:
            raise Conflict("已发布版本不能修改，请先编辑事项生成草稿", "a published version is immutable")
        version.result_sample.save(upload.name, upload, save=False)
        version.save()
        audit_record(actor=actor, action="catalog.result_sample_attach", obj=version.item,
                     data={"version": version.number, "file": version.result_sample.name})
    return version


# ------------------------------------------------------------------ Excel import


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    status_changed: list[str] = field(default_factory=list)
    errors: list[excel.RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            return f"导入失败：共 {len(self.errors)} 处错误，未作任何修改"
        verb = "检查通过，将" if self.dry_run else "导入完成："
        return (f"{verb}新增 {len(self.created)} 项，更新 {len(self.updated)} 项，状态变更 {len(self.status_changed)} 项，"
                f"未变 {len(self.unchanged)} 项")


@dataclass
class _Plan:
    parsed: excel.ParsedItem
    department: Department
    spec: dict[str, Any]
    target: str
    reason: str
    windows: list[Window]
    existing: ServiceItem | None
    changed: bool


_STATUS_STEPS: dict[tuple[str, str], tuple[str, ...]] = {
    # (from, to) → transitions to run after any new version is published
    (ItemStatus.PUBLISHED, ItemStatus.SUSPENDED): ("suspend",),
    (ItemStatus.PUBLISHED, ItemStatus.CANCELLED): ("cancel",),
    (ItemStatus.SUSPENDED, ItemStatus.PUBLISHED): ("resume",),
    (ItemStatus.SUSPENDED, ItemStatus.CANCELLED): ("cancel",),
    (ItemStatus.DRAFT, ItemStatus.SUSPENDED): ("suspend",),
    (ItemStatus.DRAFT, ItemStatus.CANCELLED): ("cancel",),
}


def _plan_import(parsed: excel.ParsedWorkbook) -> tuple[list[_Plan], list[excel.RowError]]:
    errors = list(parsed.errors)
    parsed_errors = tuple(parsed.errors)
    usccs = {p.values.get("department_uscc") for p in parsed.items}
    departments = {d.uscc: d for d in Department.objects.filter(uscc__in=usccs).select_related("centre")}
    existing_items = {
        i.basic_code: i for i in ServiceItem.objects.filter(basic_code__in=[p.spec["basic_code"] for p in parsed.items])
        .select_related("current_version", "department").prefetch_related("windows")
    }
    plans = []
    for p in parsed.items:
        sheet, row = excel.ITEM_SHEET, p.row
        values = p.values
        dept = departments.get(str(values.get("department_uscc") or ""))
        if dept is None:
            errors.append(excel.RowError(sheet, row, "实施主体统一社会信用代码",
                                         f"未找到统一社会信用代码为 {values.get('department_uscc')} 的部门"))
            continue
        spec = _with_derived_codes(p.spec, dept.uscc, [k for k, v in p.spec.items()
                                                       if k == "implementation_code" and v])
        unparsed = {(e.sheet, e.row, e.column) for e in parsed_errors}
        for problem in validate_spec(spec, uscc=dept.uscc):
            s, r, column = excel.problem_location(p, problem.field, problem.row)
            error = excel.RowError(s, r, column, problem.message_zh)
            # A cell that did not parse is reported once, by the parser.
            if (s, r, column) not in unparsed and error not in errors:
                errors.append(error)
        windows, missing = excel.windows_for(values.get("windows") or "", dept)
        if missing:
            errors.append(excel.RowError(sheet, row, "办理窗口", f"未找到窗口：{'、'.join(missing)}"))
        existing = existing_items.get(spec["basic_code"])
        current_status = existing.status if existing else ItemStatus.DRAFT
        target = values.get("status") or (existing.status if existing else ItemStatus.PUBLISHED)
        reason = values.get("status_reason") or ""
        changed = True
        if existing is not None:
            if existing.department_id != dept.pk:
                errors.append(excel.RowError(sheet, row, "实施主体统一社会信用代码",
                                             f"事项 {existing.basic_code} 属于{existing.department.name}，实施主体不能变更"))
                continue
            version = excel.export_version(existing)
            changed = version is None or spec_from_version(version) != spec
            if existing.status == ItemStatus.CANCELLED and (changed or target != ItemStatus.CANCELLED):
                errors.append(excel.RowError(sheet, row, "事项状态", "已取消的事项不能再修改或恢复"))
                continue
        if target == ItemStatus.DRAFT and current_status != ItemStatus.DRAFT:
            errors.append(excel.RowError(sheet, row, "事项状态", "已发布过的事项不能改回草稿"))
        if target in (ItemStatus.SUSPENDED, ItemStatus.CANCELLED) and target != current_status and not reason.strip():
            errors.append(excel.RowError(sheet, row, "暂停/取消原因", "暂停或取消事项须填写原因"))
        plans.append(_Plan(p, dept, spec, target, reason, windows, existing, changed))
    return plans, errors


def _apply_plan(actor, plan: _Plan, report: ImportReport) -> None:
    code = plan.spec["basic_code"]
    note = plan.parsed.values.get("change_note") or "Excel 导入"
    item = plan.existing
    if item is None:
        item = item_create(actor=actor, department=plan.department, spec=plan.spec, windows=plan.windows,
                           change_note=note)
        report.created.append(code)
        if plan.target != ItemStatus.DRAFT:
            item_publish(actor=actor, item=item)
    else:
        if plan.changed:
            item_edit(actor=actor, item=item, changes=plan.spec, change_note=note)
            if plan.target != ItemStatus.DRAFT:
                item_publish(actor=actor, item=item)
            report.updated.append(code)
        if {w.pk for w in item.windows.all()} != {w.pk for w in plan.windows}:
            item_set_windows(actor=actor, item=item, windows=plan.windows)
            if not plan.changed:
                report.updated.append(code)
    item.refresh_from_db()
    if item.status == ItemStatus.DRAFT and plan.target == ItemStatus.PUBLISHED:
        item_publish(actor=actor, item=item)
        item.refresh_from_db()
    for name in _STATUS_STEPS.get((item.status, plan.target), ()):
        with transaction.atomic():
            _item_transition(actor=actor, item=_lock(item), name=name, reason=plan.reason)
        report.status_changed.append(code)
    if plan.existing is not None and code not in report.updated and code not in report.status_changed:
        report.unchanged.append(code)


def catalog_import(*, actor, data: bytes, dry_run: bool = False) -> ImportReport:
    """Import a workbook in the layout of excel.py, all or nothing.

    Every cell and every business rule is checked first and every bad row is reported (sheet,
    row, column, Chinese message); if there is any, nothing is written. `dry_run` checks and
    reports what would change, then rolls back.
    """
    report = ImportReport(dry_run=dry_run)
    plans, errors = _plan_import(excel.parse_workbook(data))
    if errors:
        report.errors = errors
        return report
    with transaction.atomic():
        for plan in plans:
            try:
                _apply_plan(actor, plan, report)
            except DomainError as exc:
                # A rule only the write itself can see (e.g. a concurrent change): all or nothing.
                report.errors.append(excel.RowError(excel.ITEM_SHEET, plan.parsed.row, "", exc.message_zh))
                transaction.set_rollback(True)
                report.created, report.updated, report.unchanged, report.status_changed = [], [], [], []
                return report
        audit_record(actor=actor, action="catalog.import", object_type="catalog.import",
                     data={"created": len(report.created), "updated": len(report.updated),
                           "status_changed": len(report.status_changed), "unchanged": len(report.unchanged),
                           "dry_run": dry_run})
        if dry_run:
            transaction.set_rollback(True)
    return report


def item_start_draft(*, actor, item: ServiceItem) -> ServiceItemVersion:
    """Open a revision: copy the current published version into a new draft (or return the draft)."""
    with transaction.atomic():
        item = _lock(item)
        if item.status == ItemStatus.CANCELLED:
            raise Conflict("已取消的事项不能再修改", "a cancelled item cannot be edited")
        draft = _draft_of(item)
        if draft is not None:
            return draft
        if item.current_version is None:
            raise Conflict("事项没有已发布的版本", "the item has no published version")
        number = (item.versions.aggregate(m=Max("number"))["m"] or 0) + 1
        draft = ServiceItemVersion(item=item, number=number, status=VersionStatus.DRAFT, created_by=_user(actor),
                                   change_note="")
        _write_version(draft, spec_from_version(item.current_version))
        audit_record(actor=actor, action="catalog.item_start_draft", obj=item, data={"version": number})
    return draft


def upload_store(*, actor, upload: UploadedFile, prefix: str) -> str:
    """Store a checked upload (blank form, sample, result sample) and return its storage name, for a
    spec to refer to; the version that uses it is written by item_create / item_edit."""
    if prefix not in ("catalog/forms", "catalog/samples", "catalog/results"):
        raise ValidationFailed("不支持的文件类别", "unknown upload category", field="file")
    _check_upload(upload)
    base = os.path.basename(upload.name or "upload")
    name = default_storage.save(f"{prefix}/{timezone.localdate():%Y}/{base}", upload)
    audit_record(actor=actor, action="catalog.upload_store", object_type="file", object_id=name[:64],
                 data={"name": name, "size": upload.size})
    return name


def theme_save(*, actor, theme: Theme | None = None, code: str, name: str, audience: str, kind: str,
               order: int = 0) -> Theme:
    """Create or change a 服务主题 / 人生事件 (a centre's 地方特色主题 next to the standard ones)."""
    from zhengwu.catalog.codes import ThemeAudience, ThemeKind

    code, name = (code or "").strip(), (name or "").strip()
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", code):
        raise ValidationFailed("主题代码应为小写字母开头的字母、数字或下划线", "theme code must be a lower-case slug",
                               field="code")
    if not name:
        raise ValidationFailed("主题名称不能为空", "theme name is required", field="name")
    if audience not in ThemeAudience.values or kind not in ThemeKind.values:
        raise ValidationFailed("面向对象或类别无效", "invalid audience or kind", field="audience")
    with transaction.atomic():
        clash = Theme.objects.filter(code=code)
        if theme is not None:
            clash = clash.exclude(pk=theme.pk)
        if clash.exists():
            raise Conflict(f"主题代码 {code} 已存在", "theme code exists", field="code")
        if theme is None:
            theme = Theme(code=code)
            action = "catalog.theme_create"
        else:
            theme = Theme.objects.select_for_update().get(pk=theme.pk)
            if theme.code != code and theme.versions.exists():
                raise Conflict("已被事项使用的主题不能修改代码", "a theme in use keeps its code", field="code")
            action = "catalog.theme_update"
        theme.code, theme.name, theme.audience, theme.kind, theme.order = code, name, audience, kind, order
        theme.save()
        audit_record(actor=actor, action=action, obj=theme, data={"code": code, "name": name})
    return theme
