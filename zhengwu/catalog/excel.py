"""Excel layout of the catalog: export, and parsing for the all-or-nothing import.

One workbook, sheets keyed by 基本编码:

- 事项: one row per item, every element of its current 实施清单 plus department, status, windows;
- 材料, 流程, 收费, 特别程序, 常见问题: one row per child row;
- 说明: every column of every sheet with its meaning and allowed values.

Code lists are written as their Chinese labels (staff read them); the import accepts the label
or the code. Yes/no cells are 是/否; multi-valued cells are separated by ";". The column list is
built from the models, so a new element appears in the workbook, the import and the 说明 sheet
at once. docs/catalog.md shows the layout.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from zhengwu.catalog.codes import HandlingForm, ServiceObject
from zhengwu.catalog.models import ServiceItem, Theme
from zhengwu.catalog.spec import CHILD_FIELDS, ELEMENT_FIELDS, spec_from_version
from zhengwu.org.models import Window

ITEM_SHEET = "事项"
CHILD_SHEETS = {"materials": "材料", "steps": "流程", "fees": "收费", "special_procedures": "特别程序",
                "faqs": "常见问题"}
README_SHEET = "说明"
SEP = ";"
YES, NO = "是", "否"
_MULTI = {"service_objects": ServiceObject, "handling_forms": HandlingForm}
_STATUS_LABELS = {s.value: s.label for s in ServiceItem.Status}


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str  # text | int | decimal | bool | choice | multi | file | themes | windows | status
    choices: tuple[tuple[str, str], ...] = ()
    required: bool = False
    help: str = ""
    integer: bool = False

    def allowed(self) -> str:
        if self.kind in ("choice", "multi", "status"):
            values = "、".join(label for _, label in self.choices)
            return f"{values}（可填代码或名称{'，多个用 ; 分隔' if self.kind == 'multi' else ''}）"
        return {"int": "非负整数", "decimal": "金额（元），可留空", "bool": "是 / 否", "file": "媒体库中的文件路径（由系统上传后生成）",
                "themes": "服务主题代码或名称，多个用 ; 分隔", "windows": "窗口号，多个用 ; 分隔"}.get(self.kind, "文本")


_HELP = {
    "implementation_code": "留空时按 实施主体信用代码(18) + 行使层级(1) + 基本编码(12) 生成；填写则须一致",
    "legal_limit_value": "0 表示法律法规未规定时限",
    "promised_limit_value": "即办件填 0；承诺件须大于 0 且不超过法定时限",
    "onsite_visits": "网办深度四级时须为 0",
    "onsite_reason": "到现场次数大于 0 时必填",
    "fee_basis": "是否收费为“是”时必填，并须在“收费”表列出收费项目",
    "complaint_phone": "不得与咨询电话相同",
    "handling_forms": "到现场次数为 0 且不支持网办时须含“快递申请”",
    "budget_days": "各环节合计不得超过承诺办结时限",
    "duration_value": "《行政许可法》第四十五条：所需时间须书面告知申请人",
}


def _column_for(f: models.Field) -> Column:
    header = str(f.verbose_name)
    help_text = _HELP.get(f.name, str(f.help_text or ""))
    # Business rules (validate_spec) say which elements are required, with their own messages.
    required = False
    if f.name in _MULTI:
        enum = _MULTI[f.name]
        return Column(f.name, header, "multi", tuple((str(v), str(lbl)) for v, lbl in enum.choices), help=help_text)
    if isinstance(f, models.FileField):
        return Column(f.name, header, "file", help=help_text)
    if isinstance(f, models.BooleanField):
        return Column(f.name, header, "bool", help=help_text)
    if f.choices:
        return Column(f.name, header, "choice", tuple((str(v), str(lbl)) for v, lbl in f.choices),
                      required=required, help=help_text, integer=isinstance(f, models.IntegerField))
    if isinstance(f, models.IntegerField):
        return Column(f.name, header, "int", required=required, help=help_text)
    if isinstance(f, models.DecimalField):
        return Column(f.name, header, "decimal", required=required, help=help_text)
    return Column(f.name, header, "text", required=required, help=help_text)


ITEM_COLUMNS: list[Column] = [
    Column("basic_code", "基本编码", "text", required=True, help="事项的身份，各工作表以此关联"),
    Column("department_uscc", "实施主体统一社会信用代码", "text", required=True),
    Column("department_name", "实施主体名称", "text", help="仅供阅读，导入时以信用代码为准"),
    Column("status", "事项状态", "status", tuple((s.value, s.label) for s in ServiceItem.Status)),
    Column("status_reason", "暂停/取消原因", "text"),
    Column("windows", "办理窗口", "windows"),
    Column("change_note", "变更说明", "text", help="导入产生新版本时记入版本"),
    *[_column_for(f) for f in ELEMENT_FIELDS if f.name != "basic_code"],
    Column("themes", "服务主题", "themes"),
]
CHILD_COLUMNS: dict[str, list[Column]] = {
    key: [Column("basic_code", "基本编码", "text", required=True), *[_column_for(f) for f in fields]]
    for key, fields in CHILD_FIELDS.items()
}


def sheet_columns() -> dict[str, list[Column]]:
    return {ITEM_SHEET: ITEM_COLUMNS, **{CHILD_SHEETS[k]: cols for k, cols in CHILD_COLUMNS.items()}}


# ------------------------------------------------------------------ export


def _cell_value(col: Column, value: Any) -> Any:
    if col.kind == "bool":
        return YES if value else NO
    if col.kind in ("choice", "status"):
        return dict(col.choices).get(str(value), str(value)) if value not in (None, "") else ""
    if col.kind == "multi":
        labels = dict(col.choices)
        return SEP.join(labels.get(str(v), str(v)) for v in value or [])
    if col.kind == "int":
        return value
    return value if value is not None else ""


def _write_row(ws, row: int, columns: list[Column], values: dict[str, Any]) -> None:
    for c, col in enumerate(columns, start=1):
        value = _cell_value(col, values.get(col.key))
        cell = ws.cell(row=row, column=c, value=value if value != "" else None)
        if isinstance(value, str) and value:
            # Never a formula: a legal text starting with "=" stays text (and no CSV/formula injection).
            cell.data_type = "s"


def _header(ws, columns: list[Column]) -> None:
    fill = PatternFill("solid", fgColor="DDEBF7")
    for c, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=c, value=col.header)
        cell.font = Font(bold=True, color="C00000" if col.required else "000000")
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(c)].width = max(10, min(40, len(col.header) * 2 + 4))
    ws.freeze_panes = "B2"


def _readme(ws) -> None:
    ws.append(["工作表", "列名", "字段", "是否必填", "取值", "说明"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.append(["（全部）", "", "", "", "",
               "各工作表以“基本编码”关联；导入为全有或全无：任何一行有误则不作任何修改，并列出全部错误（工作表、行、列、原因）。"
               "代码类列可填代码或中文名称；是/否列填“是”或“否”；多值以英文分号 ; 分隔。"])
    for sheet, columns in sheet_columns().items():
        for col in columns:
            ws.append([sheet, col.header, col.key, "是" if col.required else "", col.allowed(), col.help])
    for letter, width in zip("ABCDEF", (10, 26, 24, 8, 60, 60), strict=True):
        ws.column_dimensions[letter].width = width


def item_row_values(item: ServiceItem, spec: dict[str, Any], theme_names: dict[str, str]) -> dict[str, Any]:
    return {
        **spec,
        "department_uscc": item.department.uscc,
        "department_name": item.department.name,
        "status": item.status,
        "status_reason": item.cancelled_reason,
        "windows": SEP.join(w.number for w in item.windows.all()),
        "change_note": "",
        "themes": SEP.join(theme_names.get(code, code) for code in spec["themes"]),
    }


def export_version(item: ServiceItem):
    """The version an export shows: the current one, or the draft of a never-published item."""
    if item.current_version_id:
        return item.current_version
    return item.versions.order_by("-number").first()


def catalog_export_workbook(items: Iterable[ServiceItem]) -> bytes:
    wb = Workbook()
    ws_item = wb.active
    ws_item.title = ITEM_SHEET
    _header(ws_item, ITEM_COLUMNS)
    child_ws = {}
    for key, title in CHILD_SHEETS.items():
        ws = wb.create_sheet(title)
        _header(ws, CHILD_COLUMNS[key])
        child_ws[key] = ws
    _readme(wb.create_sheet(README_SHEET))
    theme_names = dict(Theme.objects.values_list("code", "name"))
    row = 2
    child_rows = dict.fromkeys(CHILD_SHEETS, 2)
    for item in items:
        version = export_version(item)
        if version is None:
            continue
        spec = spec_from_version(version)
        _write_row(ws_item, row, ITEM_COLUMNS, item_row_values(item, spec, theme_names))
        row += 1
        for key in CHILD_SHEETS:
            for child in spec[key]:
                _write_row(child_ws[key], child_rows[key], CHILD_COLUMNS[key], {**child, "basic_code": item.basic_code})
                child_rows[key] += 1
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# ------------------------------------------------------------------ parsing


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = f"{self.sheet}" + (f" 第 {self.row} 行" if self.row else "") + (f"「{self.column}」" if self.column else "")
        return f"{where}：{self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}


@dataclass
class ParsedItem:
    row: int
    values: dict[str, Any]
    spec: dict[str, Any]
    child_rows: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))


@dataclass
class ParsedWorkbook:
    items: list[ParsedItem]
    errors: list[RowError]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() if not isinstance(value, str) else value.strip()


class _CellError(Exception):
    pass


def _parse_cell(col: Column, raw: Any, themes: dict[str, str]) -> Any:
    text = _text(raw)
    if col.kind == "text" or col.kind == "file" or col.kind == "windows":
        return text
    if col.kind == "int":
        if text == "":
            return 0
        try:
            number = float(text)
        except ValueError:
            raise _CellError(f"应为整数，实为“{text}”") from None
        if not number.is_integer() or number < 0:
            raise _CellError(f"应为非负整数，实为“{text}”")
        return int(number)
    if col.kind == "decimal":
        if text == "":
            return None
        try:
            amount = Decimal(text.replace(",", "").replace("，", ""))
        except ArithmeticError:
            raise _CellError(f"应为金额（元），实为“{text}”") from None
        if not amount.is_finite() or amount < 0:
            raise _CellError(f"应为不小于 0 的金额（元），实为“{text}”")
        return amount  # validate_spec checks the standard (two decimals, bounds in order)
    if col.kind == "bool":
        if text in (YES, "1", "Y", "y", "TRUE", "True", "true"):
            return True
        if text in (NO, "0", "", "N", "n", "FALSE", "False", "false"):
            return False
        raise _CellError(f"应填“是”或“否”，实为“{text}”")
    if col.kind in ("choice", "status"):
        if text == "" and not col.required:
            return None if col.kind == "status" or col.integer else ""
        value = _choice(col, text)
        return int(value) if col.integer else value
    if col.kind == "multi":
        return [_choice(col, part.strip()) for part in text.replace("；", SEP).split(SEP) if part.strip()]
    if col.kind == "themes":
        codes = []
        for part in (p.strip() for p in text.replace("；", SEP).split(SEP)):
            if not part:
                continue
            if part not in themes:
                raise _CellError(f"未知的服务主题“{part}”")
            codes.append(themes[part])
        return sorted(set(codes))
    raise AssertionError(col.kind)


def _choice(col: Column, text: str) -> str:
    for value, label in col.choices:
        if text in (value, label, f"{value} {label}"):
            return value
    raise _CellError(f"“{text}”不是有效取值（{'、'.join(label for _, label in col.choices)}）")


def _theme_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    names: dict[str, list[str]] = defaultdict(list)
    for code, name in Theme.objects.values_list("code", "name"):
        lookup[code] = code
        names[name].append(code)
    for name, codes in names.items():
        if len(codes) == 1:
            lookup.setdefault(name, codes[0])
    return lookup


def _read_sheet(wb, title: str, columns: list[Column], errors: list[RowError], themes: dict[str, str],
                required_sheet: bool) -> list[tuple[int, dict[str, Any]]]:
    if title not in wb.sheetnames:
        if required_sheet:
            errors.append(RowError(title, None, "", "缺少工作表"))
        return []
    ws = wb[title]
    rows = ws.iter_rows(values_only=True)
    header = [(_text(h)) for h in next(rows, ())]
    by_header = {h: i for i, h in enumerate(header) if h}
    missing = [c.header for c in columns if c.header not in by_header and (c.required or required_sheet)]
    if missing:
        errors.append(RowError(title, 1, "、".join(missing), "缺少列"))
        return []
    result = []
    for r, raw in enumerate(rows, start=2):
        if raw is None or all(v is None or _text(v) == "" for v in raw):
            continue
        values: dict[str, Any] = {}
        for col in columns:
            idx = by_header.get(col.header)
            cell = raw[idx] if idx is not None and idx < len(raw) else None
            try:
                values[col.key] = _parse_cell(col, cell, themes)
            except _CellError as exc:
                errors.append(RowError(title, r, col.header, str(exc)))
                continue
            if col.required and values[col.key] in ("", None):
                errors.append(RowError(title, r, col.header, "不能为空"))
        result.append((r, values))
    return result


def parse_workbook(data: bytes) -> ParsedWorkbook:
    """Read every sheet; collect every cell-level error. Business rules are checked by the caller."""
    errors: list[RowError] = []
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises zipfile/KeyError/InvalidFileException for non-xlsx input
        return ParsedWorkbook([], [RowError("", None, "", "无法读取文件：请上传 .xlsx 格式的 Excel 工作簿")])
    themes = _theme_lookup()
    item_rows = _read_sheet(wb, ITEM_SHEET, ITEM_COLUMNS, errors, themes, required_sheet=True)
    items: dict[str, ParsedItem] = {}
    for r, values in item_rows:
        code = values.get("basic_code") or ""
        if not code:
            continue
        if code in items:
            errors.append(RowError(ITEM_SHEET, r, "基本编码", f"基本编码 {code} 重复（第 {items[code].row} 行已出现）"))
            continue
        spec = {f.name: values.get(f.name) for f in ELEMENT_FIELDS}
        spec["basic_code"] = code
        spec["themes"] = values.get("themes") or []
        for key in CHILD_SHEETS:
            spec[key] = []
        items[code] = ParsedItem(row=r, values=values, spec=spec)
    for key, title in CHILD_SHEETS.items():
        rows = _read_sheet(wb, title, CHILD_COLUMNS[key], errors, themes, required_sheet=False)
        for r, values in rows:
            code = values.pop("basic_code", "")
            if code not in items:
                if code:
                    errors.append(RowError(title, r, "基本编码", f"事项表中没有基本编码 {code}"))
                continue
            items[code].spec[key].append(values)
            items[code].child_rows[key].append(r)
    wb.close()
    return ParsedWorkbook(list(items.values()), errors)


def header_of(field_name: str) -> str:
    key = field_name.split(".")
    for col in ITEM_COLUMNS:
        if col.key == key[0]:
            return col.header
    if len(key) == 2 and key[0] in CHILD_COLUMNS:
        for col in CHILD_COLUMNS[key[0]]:
            if col.key == key[1]:
                return col.header
    return ""


def problem_location(parsed: ParsedItem, field_name: str, row: int | None) -> tuple[str, int, str]:
    """Where a spec problem sits in the workbook: (sheet, row, column header)."""
    root = field_name.split(".")[0]
    if root in CHILD_SHEETS:
        rows = parsed.child_rows.get(root, [])
        if row is not None and 0 < row <= len(rows):
            return CHILD_SHEETS[root], rows[row - 1], header_of(field_name)
        return ITEM_SHEET, parsed.row, CHILD_SHEETS[root]
    return ITEM_SHEET, parsed.row, header_of(field_name)


def windows_for(numbers: str, department) -> tuple[list[Window], list[str]]:
    found, missing = [], []
    for number in (n.strip() for n in numbers.replace("；", SEP).split(SEP)):
        if not number:
            continue
        qs = Window.objects.filter(number=number)
        if department.centre_id:
            qs = qs.filter(centre_id=department.centre_id)
        matches = list(qs[:2])
        if len(matches) != 1:
            missing.append(number)
        else:
            found.append(matches[0])
    return found, missing
