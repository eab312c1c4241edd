"""Write the messy sample 台账 of the child register and of retrofit households into tests/data/.

    python -m tests.data.generate          # rewrites the files next to this script

The people are synthetic (generated names, ID numbers with valid check digits). Each file has
what offices' files have (DOMAIN.md): a merged title row, group headers merged over a
two-row header, one sheet per community (its name) beside a sheet with a community column,
full-width digits, a lowercase x, names padded with spaces, dates in every spelling (Excel
date cells, 2025.3.1, 2025年3月1日, 20250301), an ID number Excel turned into a number, a 合计
row and a note under the table; and the programme's own irregularities (evidence that does
not fit, a bare 困境儿童, money that does not add up, a household in construction). The
expected reading of every row is spelled out beside it (`CHILD_EXPECT`, `RETROFIT_EXPECT`),
and the import tests check the preview against it.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path
from typing import Any

from caseworker.domain import idnumber

HERE = Path(__file__).resolve().parent
TODAY = date(2026, 11, 18)  # the day the tests read the files on


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in text)


def _id(birth: date, seq: int) -> str:
    return idnumber.make("110105", birth, seq)


def _id_x(birth: date) -> str:
    for seq in range(1, 999):
        value = idnumber.make("110105", birth, seq)
        if value.endswith("X"):
            return value
    raise AssertionError("no sequence gives X")


# -- the child register -------------------------------------------------------------------------

ZHOU = _id(date(2014, 6, 2), 21)
WU = _id_x(date(2012, 9, 9))  # written with a lowercase x
ZHENG = _id(date(2016, 3, 3), 25)  # written in full-width digits
WANG = _id(date(2013, 1, 15), 27)
ADULT = _id(date(2007, 5, 5), 29)  # 19: not a child
BADSUM = ZHOU[:-1] + ("0" if ZHOU[-1] != "0" else "1")
CHEN = _id(date(2015, 7, 7), 31)
LIU = _id(date(2011, 11, 11), 33)
SUN = _id(date(2017, 2, 2), 35)
FATHER_ZHOU = _id(date(1985, 4, 4), 11)

CHILD_SHEET1 = "和平里社区"
CHILD_HEAD = [
    "序号", "姓名", "身份证号码", "家庭住址", "就读学校", "居住情况",
    "姓名", "情况", "起始日期", "截止日期", "证明材料", "证明日期", "出具单位",
    "姓名", "情况", "起始日期", "证明材料", "证明日期",
    "姓名", "关系", "电话", "儿童类别", "登记日期", "备注",
]  # fmt: skip
CHILD_GROUPS = [
    "基本信息", None, None, None, None, None,
    "父亲", None, None, None, None, None, None,
    "母亲", None, None, None, None,
    "监护人", None, None, "儿童类别", "登记日期", "备注",
]  # fmt: skip
CHILD_SHEET1_ROWS: list[list[Any]] = [
    ["和平里社区困境儿童、留守儿童台账（2026年）"],
    CHILD_GROUPS,
    CHILD_HEAD,
    [1, " 周小雨 ", ZHOU, "和平路12号3单元401", "和平里小学", "与祖辈同住",
     "周大军", "服刑", "2025.3.1", "2027年2月28日", "判决书", datetime(2025, 2, 20), "区人民法院",
     "刘芳", "去世", "2023-05-01", "死亡证明", "20230503",
     "周奶奶", "奶奶", "13900000011", "事实无人抚养", datetime(2025, 4, 1), "祖母年迈"],
    [2, "吴\u3000晓", WU.lower(), "和平路14号", "和平里小学", "与父母同住",
     "吴强", "失联", "2025-02-01", None, "残疾证", "2025-02-01", "派出所",
     None, None, None, None, None,
     None, None, None, "困境儿童", "2025-06-01", None],
    [3, "郑小北", fullwidth(ZHENG), "和平路16号", "和平里幼儿园", "与母亲同住",
     "郑军", "外出打工", "2024-01-01", None, "居委会证明", "2024-01-05", "和平里居委会",
     "王丽", "重残（肢体一级）", "2020-06-01", "残疾人证", "2020-06-01",
     None, None, None, "留守儿童", "2025年6月1日", None],
    [4, "数字号", 1.10105201301e17, "和平路18号", None, None,
     None, None, None, None, None, None, None, None, None, None, None, None,
     None, None, None, "留守", "2025-06-01", None],
    [5, "成年人", ADULT, "和平路20号", None, None,
     None, None, None, None, None, None, None, None, None, None, None, None,
     None, None, None, "孤儿", "2025-06-01", None],
    [6, "错校验", BADSUM, "和平路22号", None, None,
     None, None, None, None, None, None, None, None, None, None, None, None,
     None, None, None, "孤儿", "2025-06-01", None],
    [7, "王小东", WANG, "和平路24号", "和平里小学", "其他",
     "王刚", "服刑在押", "2025-09-01", "2027-08-31", "羁押/服刑证明", "2024-09-01", "市监狱",
     "李敏", "失踪", "2025-01-10", "公安报案回执", "2025-01-10",
     None, None, None, "事实无人抚养儿童", "2026-01-05", None],
    [None] * 24,
    [8, "周小雨", ZHOU, "和平路12号", None, None,
     None, None, None, None, None, None, None, None, None, None, None, None,
     None, None, None, None, None, None],
    ["合计", None, None, None, None, None, None, None, None, None, None, None, None,
     None, None, None, None, None, None, None, None, "8人", None, None],
    ["填表人：张三　　审核人：李四　　联系电话：6400 1234"],
]  # fmt: skip

CHILD_SHEET2 = "其他社区"
CHILD_SHEET2_ROWS: list[list[Any]] = [
    ["儿童姓名", "公民身份号码", "性别", "所属社区", "现住址", "保障类别", "建档日期",
     "父亲姓名", "父亲情况", "母亲姓名", "母亲情况", "实际监护人", "与本人关系",
     "监护人联系电话", "本人/家庭情况", "本人/家庭情况起始日期", "本人/家庭情况证明材料",
     "本人/家庭情况证明日期"],
    ["陈晨", CHEN, "男", "安贞", "安贞里5号", "困境儿童（经济）、留守", "2025/3/1",
     "陈父", "外出务工", "陈母", "外出务工", "陈爷爷", "爷爷", "13800000022",
     "低保户", "2024-01-01", "低保证", "2024-01-02"],
    ["刘洋", LIU, "女", "柳芳村委会", "柳芳村8组", "困境儿童（自身）", "2024.3.1",
     None, None, None, None, "刘母", "母亲", "13800000033",
     "本人残疾二级", "2019-05-05", "残疾人证", "2019-05-05"],
    ["孙小美", SUN, "女", "不存在社区", "某地", "孤儿", "2025-01-01",
     None, None, None, None, None, None, None, None, None, None, None],
]  # fmt: skip

# Expected readings by (sheet, Excel row): status, then words the reason or a warning holds.
CHILD_EXPECT: dict[tuple[str, int], tuple[str, str]] = {
    (CHILD_SHEET1, 4): ("新增", ""),
    (CHILD_SHEET1, 5): ("新增", "公安机关报案回执/证明"),  # 失联 with a disability card: warned
    (CHILD_SHEET1, 6): ("新增", ""),
    (CHILD_SHEET1, 7): ("未导入", "数字"),
    (CHILD_SHEET1, 8): ("未导入", "18 周岁"),
    (CHILD_SHEET1, 9): ("未导入", "校验"),
    (CHILD_SHEET1, 10): ("新增", "早于"),  # evidence a year before the sentence: warned
    (CHILD_SHEET1, 11): ("忽略", "空行"),
    (CHILD_SHEET1, 12): ("文件内重复", "身份证号相同"),
    (CHILD_SHEET1, 13): ("忽略", "合计"),
    (CHILD_SHEET1, 14): ("忽略", ""),
    (CHILD_SHEET2, 2): ("新增", ""),
    (CHILD_SHEET2, 3): ("新增", ""),
    (CHILD_SHEET2, 4): ("未导入", "不存在社区"),
}


# -- retrofit households ------------------------------------------------------------------------

GUI = _id(date(1944, 3, 8), 41)
ZHANG = _id_x(date(1938, 12, 1))
MA = _id(date(1950, 5, 5), 45)
HE = _id(date(1946, 6, 6), 47)
YOUNG = _id(date(1972, 1, 1), 49)
SONG = _id(date(1941, 2, 2), 51)
TANG = _id(date(1943, 3, 3), 53)
FENG = _id(date(1945, 8, 8), 55)

RETROFIT_SHEET1 = "2025年"
RETROFIT_SHEET1_ROWS: list[list[Any]] = [
    ["示范街道2025年困难老年人家庭适老化改造台账"],
    ["序号", "申请人", "公民身份号码", "所属社区", "改造地址", "联系电话", "老人类别",
     "申请日期", "验收日期", "状态", "改造项目", "改造总额（元）", "政府补贴（元）",
     "个人承担（元）", "施工单位"],
    [1, "陈 桂兰", GUI, "和平里", "和平里七区12号楼", "13911112222", "低保、失能",
     "2025-03-02", datetime(2025, 5, 20), "已完成", "地面防滑处理12.5平方米、如厕洗浴扶手×2、R24",
     2378.0, "1,800.00", 578, "安居适老装饰工程有限公司"],
    [2, "张大爷", ZHANG.lower(), "安贞社区", "安贞里3号", "13911113333", "特困",
     "2025年4月1日", "2025.6.15", "验收通过", "淋浴椅、床边护栏", None, 610, 0, None],
    [3, "马奶奶", MA, "柳芳村", "柳芳村2组", None, "低保",
     "20250501", "2025-07-01", "已完成", None, 3000, 2000, 900, None],
    [4, "何爷爷", HE, "和平里社区", "和平里9号", None, "低保",
     "2025-06-01", None, "施工中", "手杖", None, None, None, None],
    [5, "年轻人", YOUNG, "和平里社区", "和平里10号", None, "低保",
     "2025-06-01", None, "申请", None, None, None, None, None],
    [6, "宋大妈", fullwidth(SONG), "安贞", "安贞里8号", None, "低收入、残疾人",
     "2025-08-01", None, "已撤回", "自动升降床", None, None, None, None],
    ["合计", None, None, None, None, None, None, None, None, None, None, 5378, 4410, 1478, None],
    ["注：金额单位为元"],
]  # fmt: skip
RETROFIT_SHEET2 = "2026年申请"
RETROFIT_SHEET2_ROWS: list[list[Any]] = [
    ["姓名", "身份证号码", "社区", "家庭住址", "电话", "类别", "申请时间", "备注"],
    ["唐奶奶", TANG, "柳芳村委会", "柳芳村5组", "13700001111", "特困供养", "2026/10/9", "卫生间湿滑"],
    ["冯大爷", FENG, "和平里社区", "和平里11号", None, "看不懂", "2026-11-01", None],
]  # fmt: skip

RETROFIT_EXPECT: dict[tuple[str, int], tuple[str, str]] = {
    (RETROFIT_SHEET1, 3): ("新增", ""),
    (RETROFIT_SHEET1, 4): ("新增", ""),  # two sums give the third; X in lowercase
    (RETROFIT_SHEET1, 5): ("未导入", "金额不一致"),
    (RETROFIT_SHEET1, 6): ("未导入", "施工"),
    (RETROFIT_SHEET1, 7): ("未导入", "未满 60 周岁"),
    (RETROFIT_SHEET1, 8): ("新增", "原因"),  # withdrawn, no reason given; item not in catalogue
    (RETROFIT_SHEET1, 9): ("忽略", "合计"),
    (RETROFIT_SHEET1, 10): ("忽略", ""),
    (RETROFIT_SHEET2, 2): ("新增", ""),
    (RETROFIT_SHEET2, 3): ("新增", "无法识别"),
}


def child_sheets() -> list[tuple[str, list[list[Any]]]]:
    return [(CHILD_SHEET1, CHILD_SHEET1_ROWS), (CHILD_SHEET2, CHILD_SHEET2_ROWS)]


def retrofit_sheets() -> list[tuple[str, list[list[Any]]]]:
    return [(RETROFIT_SHEET1, RETROFIT_SHEET1_ROWS), (RETROFIT_SHEET2, RETROFIT_SHEET2_ROWS)]


def write_xlsx(path: Path, sheets: list[tuple[str, list[list[Any]]]]) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets:
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        width = max(len(r) for r in rows)
        if rows[0] and len(rows[0]) == 1:  # a title over the table
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        if name == CHILD_SHEET1:  # group headers merged over their columns
            for first, last in ((1, 6), (7, 13), (14, 18), (19, 21)):
                ws.merge_cells(start_row=2, start_column=first, end_row=2, end_column=last)
            for col in (22, 23, 24):
                ws.merge_cells(start_row=2, start_column=col, end_row=3, end_column=col)
    # openpyxl stamps the time it saved: fix it, so the file is the same at every run
    stamp = datetime(2026, 11, 1, 9, 0, 0)
    wb.properties.created = wb.properties.modified = stamp
    wb.save(path)
    return path


def write_xls(path: Path, sheets: list[tuple[str, list[list[Any]]]]) -> Path:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for name, rows in sheets:
        ws = wb.add_sheet(name)
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                if cell is None:
                    continue
                if isinstance(cell, datetime):
                    ws.write(r, c, cell, date_style)
                else:
                    ws.write(r, c, cell)
    wb.save(str(path))
    return path


def write_csv(path: Path, rows: list[list[Any]], encoding: str) -> Path:
    """One sheet as CSV (no sheets in CSV: the community comes from a column)."""
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        for row in rows:
            w.writerow(["" if v is None else v for v in row])
    return path


FILES = {
    "children-messy.xlsx": lambda p: write_xlsx(p, child_sheets()),
    "children-messy.xls": lambda p: write_xls(p, child_sheets()),
    "children-gb18030.csv": lambda p: write_csv(p, CHILD_SHEET2_ROWS, "gb18030"),
    "retrofit-messy.xlsx": lambda p: write_xlsx(p, retrofit_sheets()),
    "retrofit-utf8.csv": lambda p: write_csv(p, RETROFIT_SHEET2_ROWS, "utf-8-sig"),
}


def main(folder: Path = HERE) -> list[Path]:
    return [make(folder / name) for name, make in FILES.items()]


if __name__ == "__main__":
    for path in main():
        print(path)
