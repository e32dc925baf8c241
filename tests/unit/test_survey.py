"""The yearly survey: skip rules, pre-fill, progress with 失访, finishing, 采纳到档案."""

from __future__ import annotations

from datetime import date

import pytest

from canxie_tui.domain import survey_form as form
from canxie_tui.domain.errors import InputError
from canxie_tui.store import register, survey, survey_adopt
from canxie_tui.store.connection import Store
from tests.conftest import Clock, Make


def _keys(subject: form.Subject, answers: dict | None = None) -> set[str]:
    return {i.key for i in form.applicable(subject, answers or {})}


def test_a_five_year_old_is_not_asked_about_work_school_or_marriage() -> None:
    child = _keys(form.Subject(5, 4, 2))
    assert not child & {"employed", "employ_help", "pension", "marital", "in_school", "schooling"}
    assert {"medical", "rehab", "needs"} <= child
    sections = [s.label for s, _ in form.visible(form.Subject(5, 4, 2), {})]
    assert "就业" not in sections and "教育" not in sections


def test_school_ages_are_asked_about_enrolment_and_adults_about_work() -> None:
    assert "in_school" in _keys(form.Subject(10, 5, 3))
    assert "employed" not in _keys(form.Subject(10, 5, 3))
    adult = _keys(form.Subject(40, 4, 3))
    assert "employed" in adult and "in_school" not in adult
    assert "employed" not in _keys(form.Subject(70, 4, 3))


def test_employment_follow_up_items_depend_on_the_answer() -> None:
    adult = form.Subject(40, 4, 3)
    assert "employ_form" in _keys(adult, {"employed": "1"})
    assert "jobless_reason" not in _keys(adult, {"employed": "1"})
    assert "jobless_reason" in _keys(adult, {"employed": "2"})
    # A hidden item's old answer does not survive cleaning.
    assert "employ_form" not in form.clean(adult, {"employed": "2", "employ_form": "3"})


def test_care_service_is_asked_of_intellectual_mental_and_severe_physical_only() -> None:
    assert "care_service" in _keys(form.Subject(30, 5, 4))
    assert "care_service" in _keys(form.Subject(30, 4, 1))
    assert "care_service" not in _keys(form.Subject(30, 4, 3))
    assert "care_service" not in _keys(form.Subject(30, 1, 1))


def test_exclusive_answers_clear_the_others() -> None:
    item = form.ITEMS["needs"]
    value = form.toggle(item, ["2", "3"], "11")
    assert value == ["11"]
    assert form.toggle(item, value, "3") == ["3"]
    assert form.choice_for_key(item, "0") == "10" and form.pick_key("11") == "a"


def _round(store: Store, year: int = 2026) -> survey.Round:
    return survey.start_round(store, year, f"{year}-11-29")[0]


def test_start_lists_the_register_on_the_reference_day_and_refuses_twice(
    store: Store, make: Make
) -> None:
    home = make.household(building="5栋", grid="第1网格")
    make.person(home, "王芳")
    make.person(home, "李军", category=None, relation="配偶")
    round, listed = survey.start_round(store, 2026, "2026-11-29")
    assert listed == 1 and round.year == 2026
    with pytest.raises(InputError, match="已经开始"):
        survey.start_round(store, 2026)
    assert store.scalar("SELECT count(*) FROM survey_rounds") == 1
    assert store.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'survey_entries'") == 1


def test_home_rate_counts_lost_people_in_the_denominator(store: Store, make: Make) -> None:
    home = make.household(building="5栋", grid="第1网格")
    people = [make.person(home, name) for name in ("甲一", "乙二", "丙三", "丁四")]
    round = _round(store)
    entries = [survey.entry_for_person(store, p.id) for p in people]
    answers = survey.starting_answers(store, entries[0])[0]
    full = _complete(entries[0], answers)
    survey.finish(store, entries[0], full, "home", "2026-11-20")
    survey.finish(store, entries[1], _complete(entries[1], {}), "phone", "2026-11-20")
    survey.mark_lost(store, entries[2], "away", "2026-11-21")
    result = survey.progress(store, round)
    assert result.total.due == 4 and result.total.home == 1 and result.total.phone == 1
    assert result.total.lost == 1 and result.total.left == 1
    assert result.total.home_rate == 0.25 and result.total.completion == 0.75
    assert result.total.lost_reasons == {"away": 1}
    assert [(b.grid, b.name) for b in result.buildings] == [("第1网格", "5栋")]
    rows, total = survey.left_to_survey(store, round)
    assert total == 1 and rows[0]["name"] == "丁四"


def test_apart_people_surveyed_at_the_hukou_are_listed_but_not_due(
    store: Store, make: Make
) -> None:
    home = make.household(building="5栋")
    make.person(home, "王芳", apart=True)
    make.person(home, "张强")
    round = _round(store)
    assert survey.progress(store, round).total.due == 2
    survey.set_apart_place(store, "hukou")
    result = survey.progress(store, round)
    assert result.total.due == 1 and result.apart_elsewhere == 1
    assert survey.left_to_survey(store, round)[1] == 1


def _complete(entry: survey.Entry, answers: dict) -> dict:
    """Answer every item that applies with its first choice, keeping given answers."""
    full = dict(answers)
    for _ in range(3):  # answers open further items
        for item in form.applicable(entry.subject, full):
            if item.key not in full:
                first = next(iter(item.choices))
                full[item.key] = [first] if item.multi else first
    return full


def test_prefill_from_register_then_last_year(store: Store, make: Make) -> None:
    clock = store.clock
    store.clock = Clock(date(2025, 1, 5))
    home = make.household(flags=["dibao"])
    person = make.person(
        home, "王芳", benefits=["living_subsidy", "device_fitted"], pension_scheme="employee"
    )
    survey.start_round(store, 2025, "2025-07-01")
    store.clock = clock
    last = survey.entry_for_person(store, person.id, 2025)
    answers = _complete(last, {"culture": "2", "marital": "4", "device": "1"})
    survey.finish(store, last, answers, "home", "2025-08-01")
    _round(store)
    entry = survey.entry_for_person(store, person.id, 2026)
    answers, sources = survey.starting_answers(store, entry)
    assert answers["assistance"] == ["1"] and sources["assistance"] == "档案"
    assert answers["welfare"] == ["1"] and answers["device"] == "1"
    assert answers["pension"] == "2" and sources["pension"] == "档案"
    assert answers["culture"] == "2" and sources["culture"] == "上年"
    assert answers["marital"] == "4"


def test_resume_keeps_answers_and_section(store: Store, make: Make) -> None:
    person = make.person(make.household(), "王芳")
    _round(store)
    entry = survey.entry_for_person(store, person.id)
    survey.save_draft(store, entry, {"hukou_type": "2", "employed": "1"}, 3)
    again = survey.entry_for_person(store, person.id)
    assert again.status == "draft" and again.section == 3
    assert survey.starting_answers(store, again)[0] == {"hukou_type": "2", "employed": "1"}


def test_finish_refuses_missing_items_and_needs_open_follow_ups_once(
    store: Store, make: Make
) -> None:
    person = make.person(make.household(), "王芳")
    _round(store)
    entry = survey.entry_for_person(store, person.id)
    with pytest.raises(InputError, match="没有填写"):
        survey.finish(store, entry, {"hukou_type": "1"}, "home", "2026-11-20")
    assert survey.entry_for_person(store, person.id).status == "pending"
    answers = _complete(entry, {"needs": ["3", "8"]})
    done = survey.finish(store, entry, answers, "home", "2026-11-20")
    survey.finish(store, done, answers, "home", "2026-11-20")
    whats = [r["what"] for r in store.query("SELECT what FROM followups ORDER BY what")]
    assert len(whats) == 2 and whats[0].startswith("调查需求：")


def test_adopt_writes_reviewed_changes_to_the_register_with_audit(store: Store, make: Make) -> None:
    home = make.household()
    person = make.person(home, "王芳", birth=date(1980, 1, 1))
    _round(store)
    entry = survey.entry_for_person(store, person.id)
    answers = _complete(
        entry,
        {"medical": "1", "device": "1", "unsafe_house": "1", "employ_help": ["1"], "needs": ["2"]},
    )
    done = survey.finish(store, entry, answers, "home", "2026-11-20")
    changes = survey_adopt.proposed_changes(store, done)
    assert {c.field for c in changes} >= {"benefits", "flags", "medical_scheme", "trained_on"}
    survey_adopt.adopt(store, done, changes)
    fresh = register.get_person(store, person.id)
    assert {"device_fitted", "rehab_needed"} <= fresh.benefits
    assert fresh.medical_scheme == "resident" and fresh.trained_on == "2026-11-20"
    assert "unsafe_house" in register.get_household(store, home.id).flags
    actions = [
        r["action"]
        for r in store.query(
            "SELECT action FROM audit_log WHERE table_name IN ('persons', 'households')"
        )
    ]
    assert actions.count("采纳2026年度调查结果到档案") == 2
    assert survey_adopt.proposed_changes(store, survey.get_entry(store, done.id)) == []
    with pytest.raises(InputError):
        survey_adopt.adopt(store, done, changes)


def test_adopt_refuses_when_the_register_changed_after_review(store: Store, make: Make) -> None:
    person = make.person(make.household(), "王芳")
    _round(store)
    entry = survey.entry_for_person(store, person.id)
    done = survey.finish(store, entry, _complete(entry, {"medical": "2"}), "home", "2026-11-20")
    changes = survey_adopt.proposed_changes(store, done)
    values = register.get_person(store, person.id).form_values() | {"medical_scheme": "employee"}
    register.update_person(store, register.get_person(store, person.id), values)
    with pytest.raises(InputError, match="重新核对"):
        survey_adopt.adopt(store, done, changes)
    assert store.scalar("SELECT adopted_on FROM survey_entries") == ""


def test_education_indicator_reads_the_survey_where_the_register_has_no_fact(
    store: Store, make: Make
) -> None:
    from canxie_tui.domain.survey import school_of
    from canxie_tui.store import indicators

    home = make.household()
    child = make.person(home, "王小", birth=date(2016, 3, 1), relation="子女")
    other = make.person(home, "王二", birth=date(2017, 3, 1), relation="子女", school="special")
    today = store.today()

    def education() -> tuple[int, int]:
        found = next(i for i in indicators.indicators(store, today) if i.key == "education")
        return found.numerator, found.denominator

    assert education() == (1, 2)  # 王小's 就学情况 is not recorded
    _round(store)
    entry = survey.entry_for_person(store, child.id)
    survey.finish(store, entry, _complete(entry, {"in_school": "3"}), "home", "2026-11-20")
    assert education() == (2, 2)  # 送教上门, from the survey
    facts = {f.person_id: f for f in indicators.person_facts(store, today)}
    assert facts[child.id].school == school_of("", "3") == "home"
    assert facts[other.id].school == school_of("special", None) == "special"


def test_left_list_is_in_natural_place_order_whole_or_a_page_at_a_time(
    store: Store, make: Make
) -> None:
    """Grids, buildings, units and rooms compare their numbers as numbers (第2网格 before
    第10网格, 3栋 before 12栋, 2单元 before 10单元, 201 before 1001), then names; a page
    is the start of the whole list wherever it splits a building."""
    places = [  # (grid, building, unit, room, names), in the order the list gives them
        ("第2网格", "3栋", "2单元", "201", ["赵一"]),
        ("第2网格", "3栋", "2单元", "1001", ["钱二", "孙三"]),
        ("第2网格", "3栋", "10单元", "101", ["李四"]),
        ("第2网格", "12栋", "1单元", "101", ["周五"]),
        ("第10网格", "2栋", "1单元", "101", ["吴六", "郑七"]),
    ]
    people = {}
    for grid, building, unit, room, names in reversed(places):  # entered in another order
        home = make.household(grid=grid, building=building, unit=unit, room=room)
        for name in names:
            people[name] = make.person(home, name)
    round = _round(store)
    survey.mark_lost(store, survey.entry_for_person(store, people["孙三"].id), "away", "2026-11-21")
    everyone = [name for *_, names in places for name in sorted(names)]
    left = [name for name in everyone if name != "孙三"]

    rows, total = survey.left_to_survey(store, round, limit=100_000)
    assert [r["name"] for r in rows] == left and total == len(left)
    for limit in range(1, len(left) + 1):
        page, page_total = survey.left_to_survey(store, round, limit=limit)
        assert [r["name"] for r in page] == left[:limit] and page_total == len(left)
    rows, total = survey.left_to_survey(store, round, limit=100_000, everyone=True)
    assert [r["name"] for r in rows] == everyone and total == len(everyone)
    rows, total = survey.left_to_survey(store, round, grid="第2网格", limit=2)
    assert [r["name"] for r in rows] == left[:2] and total == 4
