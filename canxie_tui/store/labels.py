"""What the tables and their columns are called wherever a user reads them (the audit
log, merge progress and conflicts, messages about what changed)."""

from __future__ import annotations

__all__ = ["FIELD_LABELS", "TABLE_LABELS"]

# What each table is called.
TABLE_LABELS = {
    "operators": "操作员",
    "households": "户",
    "persons": "人员",
    "subsidies": "两项补贴记录",
    "daycare_members": "渝馨家园成员",
    "daycare_closures": "渝馨家园闭馆日",
    "visits": "走访记录",
    "followups": "跟进事项",
    "notes": "个案记录",
    "attendance": "渝馨家园考勤",
    "emergency_events": "急难事件",
    "emergency_checks": "急难点名",
    "survey_rounds": "基本状况调查年度",
    "survey_entries": "基本状况调查",
    "settings": "设置",
    "database": "数据库",
    "demo": "演示数据",
}
# Column names as a user knows them.
FIELD_LABELS = {
    "name": "姓名",
    "id_number": "身份证号",
    "sex": "性别",
    "birth_date": "出生日期",
    "cert_number": "残疾人证号",
    "category": "残疾类别",
    "level": "残疾等级",
    "relation": "与户主关系",
    "phone": "电话",
    "status": "状态",
    "status_date": "状态日期",
    "status_reason": "状态原因",
    "care_flags": "照护情况",
    "device_kind": "电动设备",
    "benefits": "补贴与服务",
    "school": "就学情况",
    "address": "地址",
    "building": "楼栋",
    "unit": "单元",
    "room": "房号",
    "grid": "网格",
    "flags": "家庭情况",
    "guardian_name": "监护人",
    "guardian_phone": "监护人电话",
    "guardian_relation": "监护人关系",
    "emergency_contact": "紧急联系人",
    "emergency_phone": "紧急联系电话",
    "note": "备注",
    "body": "内容",
}
