"""Add or edit a household member, validated as you type."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Input

from canxie_tui.domain import codes, validate
from canxie_tui.domain.errors import InputError
from canxie_tui.domain.models import Person
from canxie_tui.store import register
from canxie_tui.store.errors import DuplicateError
from canxie_tui.ui.screens.form import FormScreen
from canxie_tui.ui.widgets.field import Field, multi, select

_RELATIONS = {r: r for r in codes.RELATIONS}
_DEVICES = {d: d for d in codes.POWERED_DEVICES}
_APART = {"apart": "人户分离（现住址与户籍地不一致）"}
_UNKNOWN = "（未填）"


class PersonForm(FormScreen[Person]):
    BINDINGS: ClassVar[list[BindingType]] = [
        *FormScreen.BINDINGS,
        Binding(
            "ctrl+o",
            "open_existing",
            "打开已有",
            id="open-existing",
            show=False,
            tooltip="身份证号重复时，打开已登记的那个人",
        ),
    ]

    def __init__(self, household_id: str, person: Person | None = None) -> None:
        super().__init__()
        self.household_id = household_id
        self.person = person
        self.form_title = f"修改成员：{person.name}" if person else "添加成员"
        self._existing_household: str | None = None

    def build_fields(self) -> list[Field]:
        p = self.person or Person(id="", household_id=self.household_id, name="")
        return [
            Field("name", "姓名 *", Input(p.name, id="name")),
            Field(
                "id_number",
                "身份证号（持证人必填，18位）",
                Input(p.id_number, id="id_number", max_length=24),
            ),
            Field(
                "cert_number",
                "残疾人证号（20位，可带B1等）",
                Input(p.cert_number, id="cert_number", max_length=26),
            ),
            Field(
                "category",
                "残疾类别（填数字或名称）",
                Input(codes.label(codes.CATEGORIES, p.category), id="category"),
                "1视力 2听力 3言语 4肢体 5智力 6精神 7多重；非持证家庭成员留空",
            ),
            Field(
                "level",
                "残疾等级（填1–4或“二级”）",
                Input(codes.label(codes.LEVELS, p.level), id="level"),
                "一级、二级为重度",
            ),
            Field(
                "cert_issued",
                "残疾人证发证日期（如 2021-03-15）",
                Input(p.cert_issued, id="cert_issued", placeholder="未填"),
            ),
            Field(
                "cert_valid_until",
                "残疾人证有效期至（长期有效或不详留空）",
                Input(p.cert_valid_until, id="cert_valid_until", placeholder="未填"),
                "到期前90天起列入首页“证件到期提醒”",
            ),
            Field("relation", "与户主关系", select(_RELATIONS, p.relation, id="relation")),
            Field("phone", "联系电话", Input(p.phone, id="phone")),
            Field("sex", "性别（无身份证号时填）", select(codes.SEXES, p.sex, id="sex")),
            Field(
                "birth_date",
                "出生日期（无身份证号时填，如 1960-05-03）",
                Input(
                    p.birth_date.isoformat() if p.birth_date and not p.id_number else "",
                    id="birth_date",
                ),
            ),
            Field(
                "hukou",
                "户籍",
                select(codes.HUKOU_REGIONS, p.hukou, blank=None, id="hukou"),
                "两项补贴须为重庆市户籍",
            ),
            Field(
                "hukou_address",
                "户籍地址（现住址见户信息）",
                Input(p.hukou_address, id="hukou_address", max_length=100),
            ),
            Field(
                "apart",
                "人户分离（空格勾选）",
                multi(_APART, ["apart"] if p.apart else [], id="apart"),
            ),
            Field(
                "care_flags",
                "照护情况（空格勾选）",
                multi(codes.CARE_FLAGS, p.care_flags, id="care_flags"),
            ),
            Field(
                "device_kind", "依赖的电动设备", select(_DEVICES, p.device_kind, id="device_kind")
            ),
            Field(
                "benefits",
                "补贴与服务（空格勾选）",
                multi(codes.BENEFITS, p.benefits, id="benefits"),
                "两项补贴：勾选或取消即从本月起享受或停发（记入补贴记录；其他状态在户页按 b）",
            ),
            Field(
                "pension_scheme",
                "养老保险",
                select(
                    codes.INSURANCE_SCHEMES, p.pension_scheme, blank=_UNKNOWN, id="pension_scheme"
                ),
            ),
            Field(
                "medical_scheme",
                "医疗保险",
                select(
                    codes.INSURANCE_SCHEMES, p.medical_scheme, blank=_UNKNOWN, id="medical_scheme"
                ),
            ),
            Field(
                "school",
                "就学情况（6–15岁）",
                select(codes.SCHOOL_STATUSES, p.school, blank=None, id="school"),
            ),
            Field(
                "trained_on",
                "最近一次职业技能培训日期",
                Input(p.trained_on, id="trained_on", placeholder="未参加"),
                "计入专栏1“城乡残疾人职业技能培训人数”（当年）",
            ),
        ]

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    def values(self) -> dict[str, Any]:
        values = super().values()
        values["apart"] = "apart" in (values.get("apart") or ())  # a tick: True / False
        return values

    def check(self, values: dict[str, Any]) -> None:
        validate.clean_person(values, self.canxie.store.today())

    async def save(self, values: dict[str, Any]) -> Person | None:
        exclude = self.person.id if self.person else None
        try:
            _, warnings = await self.canxie.db(register.check_person, values, exclude)
        except DuplicateError as dup:
            self._existing_household = dup.household_id
            # At 身份证号 itself, not in the line below the fields.
            self.show_error(
                InputError(f"{dup.message}（按 Ctrl+O 打开已有记录）", "id_number"),
                everywhere=True,
            )
            self.query_one("#id_number", Input).focus()
            return None
        if self.needs_confirmation(values, warnings):
            return None
        if self.person is None:
            return await self.canxie.db(register.add_person, self.household_id, values)
        return await self.canxie.db(register.update_person, self.person, values)

    def action_open_existing(self) -> None:
        if self._existing_household:
            household_id = self._existing_household
            self.dismiss(None)
            self.canxie.show_household(household_id)
