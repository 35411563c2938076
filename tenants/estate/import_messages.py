"""The unit import's messages in the firm's language: zh-CN (default) and en.

Staff fix the file in a spreadsheet from these messages, so they say what to change, in the words on the
screen in front of them. ``{placeholders}`` are filled with ``str.format``.
"""

from __future__ import annotations

from typing import Any

LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"

MESSAGES: dict[str, dict[str, str]] = {
    "empty_file": {"zh-CN": "文件是空的：第一行应为列名", "en": "the file is empty; the first line names the columns"},
    "column_twice": {"zh-CN": "有列名重复", "en": "a column is named twice"},
    "unknown_column": {"zh-CN": "未知的列；可用的列为 {columns}", "en": "unknown column; the columns are {columns}"},
    "column_required": {"zh-CN": "缺少必填列", "en": "this column is required"},
    "too_many_rows": {"zh-CN": "每个文件最多 {max} 行，请拆分文件", "en": "at most {max} rows per file; split the file"},
    "more_cells": {"zh-CN": "该行的单元格多于表头的列数", "en": "the row has more cells than the header has columns"},
    "building_required": {"zh-CN": "楼栋名称必填", "en": "the building name is required"},
    "building_too_long": {"zh-CN": "楼栋名称最多 64 个字符", "en": "a building name has at most 64 characters"},
    "unit_required": {"zh-CN": "房号必填", "en": "the unit number is required"},
    "unit_too_long": {"zh-CN": "房号最多 32 个字符", "en": "a unit number has at most 32 characters"},
    "compound_too_long": {"zh-CN": "小区名称最多 200 个字符", "en": "a compound name has at most 200 characters"},
    "floor_range": {"zh-CN": "楼层应为 {min} 到 {max} 之间的整数，且不能为 0", "en": "the floor is a whole number from {min} to {max}, not 0"},
    "area_bad": {
        "zh-CN": "面积 {text} 无效：请填写平方米数，最多两位小数，且大于 0（例如 89.63）",
        "en": "area {text} is not valid: write the area in m², positive, with at most two decimals, e.g. 89.63",
    },
    "sold_bad": {"zh-CN": "“是否已售”请填 true 或 false（或 是/否）", "en": "write true or false"},
    "name_missing": {"zh-CN": "填写了 {column}，但 {prefix}_name 为空", "en": "{column} is given but {prefix}_name is empty"},
    "name_too_long": {"zh-CN": "姓名最多 100 个字符", "en": "a name has at most 100 characters"},
    "phone_bad": {"zh-CN": "手机号应为以 1 开头的 11 位数字", "en": "a mobile number is 11 digits starting with 1"},
    "id_bad": {"zh-CN": "身份证号应为 17 位数字加一位数字或 X", "en": "an ID number is 17 digits and a digit or X"},
    "owner_missing": {
        "zh-CN": "已售房屋需要填写业主姓名（开发商未售房屋请填 sold=false）",
        "en": "a sold unit needs its owner's name (or sold=false for the developer's units)",
    },
    "co_owner_same_id": {"zh-CN": "共有人的身份证号与业主相同", "en": "the co-owner has the owner's ID number"},
    "unsold_with_owner": {
        "zh-CN": "未售房屋属于开发建设单位：请留空业主各列",
        "en": "an unsold unit belongs to the developer: leave the owner columns empty",
    },
    "unit_twice": {"zh-CN": "房屋 {building} {number} 已在第 {line} 行出现", "en": "unit {building} {number} is already on line {line}"},
    "id_two_names": {
        "zh-CN": "该身份证号在第 {line} 行对应姓名 {name!r}：同一身份证号只能是同一个人",
        "en": "this ID number is {name!r} on line {line}: one ID number is one person",
    },
    "several_compounds": {
        "zh-CN": "社区 {code!r} 下有多个小区（{names}）：请增加 compound 列",
        "en": "community {code!r} has several compounds ({names}): add a compound column",
    },
    "unit_exists": {"zh-CN": "房屋 {building} {number} 已存在于 {compound}", "en": "unit {building} {number} exists already in {compound}"},
    "no_community": {"zh-CN": "本物业公司没有编码为 {code!r} 的社区", "en": "no community with code {code!r} in this tenant"},
    "file_missing": {"zh-CN": "文件 {path} 不存在", "en": "the file {path} does not exist"},
    "not_a_file": {"zh-CN": "{path} 不是文件", "en": "{path} is not a file"},
    "undecodable": {
        "zh-CN": "无法识别文件编码：请另存为 CSV（UTF-8 或 GBK/GB18030）",
        "en": "the file's encoding is not recognised: save it as CSV (UTF-8 or GBK/GB18030)",
    },
}


def check_locale(locale: str) -> str:
    from kernel.errors import BadUserInput

    if locale not in LOCALES:
        raise BadUserInput(f"the language is one of {', '.join(LOCALES)}", field="locale")
    return locale


def message(locale: str, key: str, **params: Any) -> str:
    """The message ``key`` in ``locale`` (zh-CN when the locale has no text for it)."""
    texts = MESSAGES[key]
    return texts.get(locale, texts[DEFAULT_LOCALE]).format(**params)
