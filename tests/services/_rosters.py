"""Messy rosters like the ones offices keep, generated for the import tests (synthetic people).

`messy_rows()` gives one sheet per community with a merged title, merged group headers over a
two-row header, and every irregularity DOMAIN.md lists; `write_xlsx`, `write_xls` and
`write_csv` put the same content into each format.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path
from typing import Any

from caseworker.domain import idnumber


def id_ending_in_x(birth: date, area: str = "110105") -> str:
    for seq in range(1, 999):
        value = idnumber.make(area, birth, seq)
        if value.endswith("X"):
            return value
    raise AssertionError("no sequence gives X")


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in text)


WANG = id_ending_in_x(date(1944, 5, 6))  # ends in X, written with a lowercase x
LI = idnumber.make("110105", date(1950, 1, 2), 21)  # written in full-width digits
OLD15 = "110105470301123"  # 15-digit: born 1947-03-01, upgraded
OLD15_UPGRADED = idnumber.parse(OLD15).value
ZHAO = idnumber.make("110105", date(1939, 8, 8), 31)
YOUNG = idnumber.make("110105", date(1980, 1, 1), 41)
BADSUM = LI[:-1] + ("0" if LI[-1] != "0" else "1")
ZHOU = idnumber.make("110105", date(1952, 2, 2), 51)
SUN = idnumber.make("110105", date(1945, 12, 12), 61)
WU = idnumber.make("110105", date(1948, 6, 6), 71)
ZHENG = idnumber.make("110105", date(1949, 9, 9), 81)

# Sheet 1: one sheet per community (the sheet's name), title + group rows over the header.
SHEET1 = "和平里社区"
SHEET1_ROWS: list[list[Any]] = [
    ["和平里社区特殊困难老年人台账（2026年）"],
    ["基本信息", None, None, None, "赡养人", None, "联系电话", "登记日期", "老人类别"],
    ["序号", "老人姓名", "公民身份号码", "家庭住址", "姓名", "电话", None, None, None],
    [
        1,
        " 王秀英 ",
        WANG.lower(),
        "和平路１号",
        "王强",
        "13900000001",
        13812345678,
        datetime(2026, 1, 5),
        "独居、失能",
    ],
    [
        2,
        "李\u3000建国",
        fullwidth(LI),
        "和平路2号",
        None,
        None,
        "010-6400 1234",
        "2026年3月5日",
        "空巢",
    ],
    [3, "张老汉", OLD15, "和平路3号", None, None, None, "20260105", "低保，高龄"],
    [4, "数字号", 1.10105194405e17, "和平路4号", None, None, None, "2026-01-05", "独居"],
    [5, "错校验", BADSUM, "和平路5号", None, None, None, "2026-01-05", "独居"],
    [6, "年轻人", YOUNG, "和平路6号", None, None, None, "2026-01-05", "独居"],
    [7, "赵日期", ZHAO, "和平路7号", None, None, None, "2026-02-30", "独居"],
    [None, None, None, None, None, None, None, None, None],
    [8, "王秀英", WANG, "和平路1号", None, None, None, "2026-01-05", "独居"],
    [9, "没号码", None, "和平路9号", None, None, None, None, "独居"],
    ["合计", None, None, None, None, None, None, None, "9人"],
    ["制表人：张三        审核人：李四"],
]
# Sheet 2: a community column, other header names, 1947.3-style dates, Excel serials.
SHEET2 = "其他社区"
SHEET2_ROWS: list[list[Any]] = [
    [
        "姓名",
        "身份证号码",
        "出生年月",
        "性别",
        "所属社区",
        "手机",
        "人员类别",
        "纳入时间",
        "备注",
        None,
        "说明：本表每月更新",
    ],
    ["周大妈", ZHOU, "1952.2", "女", "安贞", "13700000002", "计生特殊家庭/留守", "2026/1/29", ""],
    ["孙大爷", SUN, 1945.12, "男", "柳芳村委会", "", "重度残疾、独居", 46027, ""],
    ["吴奶奶", WU, "1948.6", "男", "不存在社区", "", "独居", "2026-01-05", ""],
    ["郑阿姨", ZHENG, "1949.9", "女", "安贞社区", "", "独居、看不懂", "2026-01-05", "老人备注"],
]
# Expected readings, by (sheet, Excel row).
NEW_ROWS = {
    (SHEET1, 4): WANG,
    (SHEET1, 5): LI,
    (SHEET1, 6): OLD15_UPGRADED,
    (SHEET2, 2): ZHOU,
    (SHEET2, 3): SUN,
    (SHEET2, 5): ZHENG,
}
REJECTED = {
    (SHEET1, 7): "数字",
    (SHEET1, 8): "校验位",
    (SHEET1, 9): "未满 60 周岁",
    (SHEET1, 10): "不存在",
    (SHEET1, 13): "没有身份证号",
    (SHEET2, 4): "不存在社区",
}
DUPLICATES = {(SHEET1, 12)}
SKIPPED = {(SHEET1, 11), (SHEET1, 14), (SHEET1, 15)}


def messy_sheets() -> list[tuple[str, list[list[Any]]]]:
    return [(SHEET1, SHEET1_ROWS), (SHEET2, SHEET2_ROWS)]


def write_xlsx(path: Path, sheets: list[tuple[str, list[list[Any]]]] | None = None) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets or messy_sheets():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        if name == SHEET1:
            ws.merge_cells("A1:I1")
            ws.merge_cells("A2:D2")
            ws.merge_cells("E2:F2")
            ws.merge_cells("G2:G3")
            ws.merge_cells("H2:H3")
            ws.merge_cells("I2:I3")
            ws["H4"].number_format = "yyyy-mm-dd"
    wb.save(path)
    return path


def write_xls(path: Path, sheets: list[tuple[str, list[list[Any]]]] | None = None) -> Path:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for name, rows in sheets or messy_sheets():
        ws = wb.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, datetime):
                    ws.write(r, c, value, date_style)
                else:
                    ws.write(r, c, value)
    wb.save(str(path))
    return path


def write_csv(path: Path, encoding: str, rows: list[list[Any]] | None = None) -> Path:
    """One sheet as CSV (CSV has no sheets: the community comes from a column)."""
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        for row in rows if rows is not None else SHEET2_ROWS:
            w.writerow(["" if v is None else v for v in row])
    return path
