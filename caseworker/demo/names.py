"""Made-up Chinese names, addresses, phone numbers and valid-looking ID numbers."""

from __future__ import annotations

import random
from datetime import date, timedelta

from caseworker.domain import idnumber

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN_MALE = "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛"
GIVEN_FEMALE = "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽"
STREETS = [
    "和平",
    "建设",
    "解放",
    "人民",
    "胜利",
    "长安",
    "文化",
    "朝阳",
    "幸福",
    "光明",
    "团结",
    "新华",
    "东风",
    "红旗",
    "前进",
    "友谊",
    "青年",
    "育才",
    "振兴",
    "民主",
]
ROAD_KINDS = ("路", "街", "巷", "大道")
BUILDING_WORDS = ("小区", "花园", "家园", "新村", "公寓", "苑")
# Made-up district code in the 110105 (Beijing Chaoyang) form; synthetic data, not a real person.
AREA_CODES = ("110105", "110106", "110108", "110101")


def person_name(rng: random.Random, sex: str) -> str:
    pool = GIVEN_MALE if sex == "男" else GIVEN_FEMALE
    given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def id_number(rng: random.Random, birth: date, sex: str) -> str:
    seq = rng.randrange(0, 500) * 2 + (1 if sex == "男" else 0)
    return idnumber.make(rng.choice(AREA_CODES), birth, seq)


def birth_for_age(rng: random.Random, today: date, min_age: int, max_age: int) -> date:
    years = rng.randint(min_age, max_age)
    start = date(today.year - years - 1, today.month, 1) + timedelta(days=1)
    return min(start + timedelta(days=rng.randrange(0, 364)), today)


def phone(rng: random.Random) -> str:
    return (
        rng.choice(("138", "139", "135", "150", "186", "177", "133"))
        + f"{rng.randrange(10**8):08d}"
    )


def address(rng: random.Random, community: str) -> str:
    if community.endswith("村"):
        return f"{community}{rng.randint(1, 12)}组{rng.randint(1, 80)}号"
    street = rng.choice(STREETS) + rng.choice(ROAD_KINDS)
    estate = rng.choice(STREETS) + rng.choice(BUILDING_WORDS)
    return (
        f"{street}{rng.randint(1, 300)}号{estate}{rng.randint(1, 30)}号楼"
        f"{rng.randint(1, 6)}单元{rng.randint(1, 18)}{rng.randint(1, 4):02d}室"
    )
