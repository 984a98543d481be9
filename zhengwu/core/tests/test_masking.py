from zhengwu.core.masking import mask_id_number, mask_name, mask_phone


def test_names_keep_the_surname_only():
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("李") == "李"
    assert mask_name("") == ""


def test_id_numbers_keep_first_six_and_last_four():
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_id_number("110105491231002") == "110105*****1002"


def test_phones_keep_prefix_and_last_four():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("0827-5201234") == "082*****1234"
