import pytest

from zhengwu.portal.tests.data import build_county


@pytest.fixture
def county(db):
    return build_county()
