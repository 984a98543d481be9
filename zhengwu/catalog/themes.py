"""The standard 服务主题 and 人生事件 (individual life events, enterprise life-cycle events).

Loaded by migration 0002 so every installation filters by the same codes; a centre may add its
own 地方特色主题 in the admin. Keywords drive the demo seed's theme assignment.
"""

from __future__ import annotations

from zhengwu.catalog.codes import ThemeAudience, ThemeKind

N, L = ThemeAudience.NATURAL_PERSON.value, ThemeAudience.LEGAL_PERSON.value
EVENT, TOPIC = ThemeKind.LIFE_EVENT.value, ThemeKind.TOPIC.value

# (code, name, audience, kind, keywords found in item names)
STANDARD_THEMES: list[tuple[str, str, str, str, tuple[str, ...]]] = [
    ("birth", "出生", N, EVENT, ("出生", "新生儿", "预防接种", "出生医学证明")),
    ("school", "上学", N, EVENT, ("学生", "入学", "学校", "教师资格", "学历", "助学")),
    ("employment", "就业", N, EVENT, ("就业", "失业", "职业", "技能", "人才", "劳动")),
    ("marriage", "结婚", N, EVENT, ("结婚", "婚姻", "离婚")),
    ("childbearing", "生育", N, EVENT, ("生育", "计划生育", "独生子女", "母婴", "二孩", "三孩")),
    ("housing", "住房", N, EVENT, ("住房", "公积金", "不动产", "房屋", "宅基地", "租赁")),
    ("medical", "就医", N, EVENT, ("医疗", "医保", "就医", "医师", "诊所", "护士", "药品")),
    ("travel", "出行", N, EVENT, ("驾驶", "机动车", "道路", "出入境", "护照", "公路", "车辆")),
    ("retirement", "退休", N, EVENT, ("退休", "养老", "老年", "高龄")),
    ("after_death", "身后事", N, EVENT, ("死亡", "丧葬", "殡葬", "遗属", "抚恤")),
    ("household", "户籍", N, EVENT, ("户口", "户籍", "身份证", "居住证")),
    ("assistance", "社会救助", N, TOPIC, ("救助", "低保", "最低生活保障", "特困", "临时救助", "残疾")),
    ("veterans", "退役军人", N, TOPIC, ("退役", "军人", "优抚", "烈士", "伤残")),
    ("social_security", "社会保障", N, TOPIC, ("社会保险", "社保", "参保", "工伤", "养老保险", "医疗保险")),
    ("start_business", "开办企业", L, EVENT, ("设立登记", "公司", "个体工商户", "营业执照", "合作社", "名称")),
    ("permits", "准营", L, EVENT, ("经营许可", "许可证", "卫生许可", "经营备案")),
    ("construction", "工程建设", L, EVENT, ("建设工程", "建筑", "施工", "规划", "选址", "用地", "竣工",
                                         "人防", "消防", "节能审查")),
    ("business_change", "变更", L, EVENT, ("变更",)),
    ("business_closure", "注销", L, EVENT, ("注销", "歇业")),
    ("food", "食品药品", L, TOPIC, ("食品", "餐饮", "药品", "保健食品", "医疗器械")),
    ("agriculture", "农林牧渔", L, TOPIC, ("农药", "种子", "兽药", "动物", "林木", "草原", "渔业", "农业",
                                        "畜禽", "农机", "取水", "水利", "河道")),
    ("environment", "生态环境", L, TOPIC, ("环境", "排污", "环评", "辐射", "危险废物")),
    ("transport", "交通运输", L, TOPIC, ("运输", "道路", "出租", "客运", "货运", "港口", "航道")),
    ("culture_tourism", "文化旅游", L, TOPIC, ("娱乐", "文化", "旅游", "演出", "网吧", "互联网上网", "出版",
                                            "印刷", "广播", "文物")),
    ("education_org", "教育培训", L, TOPIC, ("民办学校", "培训", "幼儿园")),
    ("safety", "安全生产", L, TOPIC, ("安全", "危险化学品", "烟花爆竹", "特种设备")),
    ("health_org", "医疗卫生", L, TOPIC, ("医疗机构", "公共场所卫生", "卫生许可", "放射")),
    ("social_org", "社会组织", L, TOPIC, ("社会团体", "民办非企业", "社会组织", "基金会")),
]
