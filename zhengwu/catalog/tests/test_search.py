from zhengwu.catalog.search import build_search_text, query_tokens


def test_search_text_holds_name_full_pinyin_and_initials():
    text = build_search_text("营业执照遗失补领", "000123")
    assert text.split("|") == ["营业执照遗失补领", "yingyezhizhaoyishibuling", "yyzzysbl", "000123"]


def test_polyphones_follow_phrases():
    assert "yinhang" in build_search_text("银行业务")
    assert "xingzheng" in build_search_text("行政许可")


def test_query_tokens():
    assert query_tokens("  YYZZ  补领|x ") == ["yyzz", "补领", "x"]
    assert query_tokens(None) == []


def test_result_name_is_searchable_after_the_name():
    text = build_search_text("公司设立登记", "000123", aliases=("营业执照",))
    assert text.split("|") == ["公司设立登记", "gongsishelidengji", "gssldj", "营业执照", "yingyezhizhao", "yyzz",
                               "000123"]
