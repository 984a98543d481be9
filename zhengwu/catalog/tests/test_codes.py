import pytest

from zhengwu.catalog.codes import (
    ServiceObject,
    ServiceObjectExchange,
    SpecialProcedureKind,
    service_object_from_exchange,
    service_object_to_exchange,
    special_procedure_category,
)


def test_service_object_mapping_between_the_two_code_sets():
    assert service_object_to_exchange(ServiceObject.GOVERNMENT) == ServiceObjectExchange.GOVERNMENT == "6"
    assert service_object_to_exchange("6") == "9"
    assert service_object_from_exchange("6") == "5"
    assert service_object_from_exchange("5") == ServiceObject.OTHER_ORGANISATION
    for code in ServiceObject.values:
        assert service_object_from_exchange(service_object_to_exchange(code)) == code
    with pytest.raises(ValueError):
        service_object_to_exchange("9")
    with pytest.raises(ValueError):
        service_object_from_exchange("7")


def test_all_eight_special_procedures_of_article_45():
    assert set(SpecialProcedureKind.labels) == {"听证", "招标", "拍卖", "检验", "检测", "检疫", "鉴定", "专家评审"}
    assert special_procedure_category("hearing") == "2"
    with pytest.raises(ValueError):
        special_procedure_category("extension")
