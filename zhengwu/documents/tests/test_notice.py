import io
import subprocess
from datetime import date
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader

from zhengwu.documents import FontMissing, NoticeKind, NoticeTable, chinese_date, render_notice
from zhengwu.documents import fonts as fonts_module
from zhengwu.documents.notice import _cn_int, remedies_paragraph

ISSUER = "城关县市场监督管理局"
CORRECTION_PARAGRAPH = ("你（单位）于2026年11月20日提出的食品经营许可申请，经审查，申请材料不齐全。"
                        "现一次性告知你（单位）需要补正的全部内容如下：")


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace("\n", "")


def _png(pdf: bytes, tmp_path, page: int = 1, dpi: int = 50) -> Image.Image:
    source = tmp_path / "notice.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-f", str(page), "-l", str(page), "-singlefile",
                    str(source), str(tmp_path / "page")], check=True)
    return Image.open(tmp_path / "page.png").convert("RGB")


def _red_pixels(image: Image.Image) -> int:
    raw = image.tobytes()
    return sum(1 for i in range(0, len(raw), 3) if raw[i] > 180 and raw[i + 1] < 90 and raw[i + 2] < 90)


def _correction(**overrides) -> bytes:
    arguments: dict[str, Any] = dict(
        kind=NoticeKind.CORRECTION_NOTICE, number="城关市监补字〔2026〕第0001号", recipient="张三",
        paragraphs=[CORRECTION_PARAGRAPH, "补正材料齐全后，本机关将依法予以受理。"],
        tables=[NoticeTable(header=["序号", "材料名称", "补正要求"],
                            rows=[["1", "营业执照复印件", "加盖公章"], ["2", "经营场所平面图", "标明设备布局"]],
                            caption="需补正的材料")],
        issuer_name=ISSUER, issued_on=date(2026, 11, 22),
    )
    arguments.update(overrides)
    return render_notice(**arguments)


def test_correction_notice_reads_back_with_title_number_recipient_body_and_table():
    text = _text(_correction())
    for expected in ("补正材料通知书（一次性告知）", "城关市监补字〔2026〕第0001号", "张三：", "申请材料不齐全",
                     "补正材料齐全后", "营业执照复印件", "标明设备布局", ISSUER, "2026年11月22日"):
        assert expected in text, expected
    assert "行政复议" not in text


@pytest.mark.parametrize("kind", list(NoticeKind))
def test_every_kind_prints_its_name_and_refusals_carry_remedies(kind):
    text = _text(render_notice(kind=kind.code, number="〔2026〕第0007号", recipient="城关县好味道餐饮有限公司",
                               paragraphs=["正文。"], issuer_name=ISSUER, issued_on=date(2026, 1, 5)))
    assert kind.title in text
    assert "2026年1月5日" in text
    has_remedies = "六十日内" in text and "行政复议" in text and "六个月内" in text and "行政诉讼" in text
    assert has_remedies is kind.is_refusal
    assert kind.is_refusal is (kind in (NoticeKind.REJECTION, NoticeKind.DENIAL))


def test_remedies_name_the_review_body_and_court_with_their_articles():
    text = _text(render_notice(kind=NoticeKind.DENIAL, number="〔2026〕第0003号", recipient="李四",
                               paragraphs=["经审查，不符合法定条件。"], issuer_name=ISSUER,
                               issued_on=date(2026, 11, 22), review_body="城关县人民政府", court="城关县人民法院"))
    assert "向城关县人民政府申请行政复议" in text
    assert "向城关县人民法院提起行政诉讼" in text
    assert "第二十条" in text and "第四十六条" in text


def test_remedies_paragraph_counts_sixty_days_and_six_months():
    paragraph = remedies_paragraph()
    assert "六十日内" in paragraph and "六个月内" in paragraph
    assert [_cn_int(n) for n in (6, 10, 15, 20, 60, 99)] == ["六", "十", "十五", "二十", "六十", "九十九"]


def test_markup_in_user_text_is_printed_literally():
    text = _text(_correction(recipient="A&B <公司>", paragraphs=["含 <b>标签</b> & 符号"]))
    assert "A&B <公司>：" in text
    assert "含 <b>标签</b> & 符号" in text


def test_page_renders_with_the_red_seal_only_when_asked(tmp_path):
    sealed = _png(_correction(), tmp_path)
    assert sealed.size[0] > 300
    unsealed = _png(_correction(seal=False), tmp_path)
    # The issuer line above the title is red too; the seal adds far more red ink.
    assert _red_pixels(sealed) > _red_pixels(unsealed) + 500
    lower_half = sealed.crop((0, sealed.size[1] // 2, sealed.size[0], sealed.size[1]))
    assert _red_pixels(lower_half) > 500


def test_long_notice_flows_onto_a_second_page_with_the_seal_on_the_last(tmp_path):
    pdf = _correction(paragraphs=[CORRECTION_PARAGRAPH * 3] * 8)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    last = _png(pdf, tmp_path, page=len(reader.pages))
    assert _red_pixels(last) > 500
    assert "— 2 —" in reader.pages[1].extract_text()


def test_chinese_date_uses_arabic_numerals_per_gbt_9704():
    assert chinese_date(date(2026, 1, 5)) == "2026年1月5日"


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        NoticeKind.of("nonsense")
    assert NoticeKind.of("受理通知书") is NoticeKind.ACCEPTANCE


def test_missing_font_gives_a_clear_error(settings, monkeypatch):
    monkeypatch.setattr(fonts_module, "CJK_FONT_NAME", "ZhengwuTestMissingFont")
    settings.ZHENGWU_CJK_FONT = "/nonexistent/wqy-zenhei.ttc"
    with pytest.raises(FontMissing, match="fonts-wqy-zenhei"):
        fonts_module.register_cjk_font()
