from datetime import date

import pytest

from zhengwu.accounts.models import User
from zhengwu.licences import services
from zhengwu.org.models import Department, Region

MINISTRY_USCC = "11100000000013338W"
PERSON_ID = "11010519491231002X"
COMPANY_USCC = "91610800064834709T"


@pytest.fixture
def region(db):
    return Region.objects.create(code="610802", name="榆阳区", level=Region.Level.COUNTY)


@pytest.fixture
def department(region):
    return Department.objects.create(name="城关县市场监督管理局", short_name="城关市监", uscc="11330105002500287C",
                                     region=region)


@pytest.fixture
def other_department(region):
    return Department.objects.create(name="城关县卫生健康局", short_name="城关卫健", uscc="11430000006122244L",
                                     region=region)


@pytest.fixture
def clerk(db):
    return User.objects.create_user(username="clerk", password="x-Secret-12345", real_name="王窗口")


@pytest.fixture
def licence_type(clerk):
    return services.licence_type_create(actor=clerk, code=MINISTRY_USCC + "009", name="食品经营许可证",
                                        ministry="国家市场监督管理总局")


@pytest.fixture
def issue(clerk, department, licence_type):
    def _issue(**overrides):
        arguments = dict(
            actor=clerk, licence_type=licence_type, issuer=department, holder_name="张三丰",
            holder_id_type="id_card", holder_id_number=PERSON_ID, number="JY13301050012345",
            content={"经营场所": "城关县解放路 1 号", "主体业态": "餐饮服务经营者", "经营项目": ["热食类食品制售", "冷食类食品制售"]},
            valid_from=date(2026, 11, 22), valid_until=date(2031, 11, 21), source="城关2026110001",
        )
        arguments.update(overrides)
        return services.licence_issue(**arguments)
    return _issue
