"""`canxie emergency …`: the priority list, the call sheet and the status report.

    canxie emergency list [--kind 停电] [--status 未联系] [--query 3栋] [--json]
    canxie emergency events [--json]
    canxie emergency sheet [--event ID | --kind 停电] [--out PATH] [--show-ids]
    canxie emergency report [--event ID] [--out PATH]

Every handler returns an exit code; bad input ends in one Chinese line on
stderr (via `common.fail`).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from canxie_tui.cli.common import (
    EXIT_USAGE,
    Commands,
    add_json_flag,
    add_out_options,
    fail,
    opened_store,
    overwrite,
    positive_int,
    print_rows,
    subcommands,
    usage_errors,
)

if TYPE_CHECKING:
    from canxie_tui.domain.emergency import EmergencyEvent, Priority, RollCallProgress
    from canxie_tui.store.connection import Store

_KIND_HELP = "事件类型：汛期/暴雨、高温、寒潮、停电、疫情、地震、火灾、其他（也可写 flood、power…）"
_EVENT_HELP = "事件编号（至少前4位；canxie emergency events 查看），默认当前事件"
_OUT_HELP = "输出文件（.xlsx）或文件夹（默认 exports/，或环境变量 CANXIE_EXPORTS）"


def add_commands(commands: Commands, common: argparse.ArgumentParser) -> None:
    emergency = commands.add_parser(
        "emergency", help="急难救助：优先名单、呼叫单、情况报告", parents=[common]
    )
    sub = subcommands(emergency, "emergency_command")

    listing = sub.add_parser(
        "list",
        help="当前事件的优先名单（没有当前事件时，用 --kind 看某类事件的假设名单）",
        parents=[common],
    )
    listing.add_argument("--kind", help=_KIND_HELP)
    listing.add_argument(
        "--status", help="只看某一点名状态：未联系、安全、需要帮助、已转移、联系不上"
    )
    listing.add_argument("--query", "-q", help="按楼栋（如 3栋）、姓名、拼音或电话尾号筛选")
    listing.add_argument("--all", action="store_true", help="范围内所有在册人员，不只是重点人员")
    listing.add_argument(
        "--limit", type=positive_int("--limit"), default=200, help="最多显示条数（默认200）"
    )
    add_json_flag(listing)
    listing.set_defaults(handler=cmd_list)

    events = sub.add_parser("events", help="所有急难事件（当前的在前）", parents=[common])
    add_json_flag(events)
    events.set_defaults(handler=cmd_events)

    sheet = sub.add_parser(
        "sheet", help="导出呼叫单（按风险排序、按网格分组，可打印）", parents=[common]
    )
    sheet.add_argument("--event", help=_EVENT_HELP)
    sheet.add_argument("--kind", help="没有当前事件时：按此类型导出假设呼叫单")
    sheet.add_argument("--status", help="只导出某一点名状态的人（如 未联系）")
    add_out_options(sheet, _OUT_HELP)
    sheet.add_argument("--show-ids", action="store_true", help="加一列身份证号（脱敏：前6后4）")
    sheet.set_defaults(handler=cmd_sheet)

    report = sub.add_parser("report", help="导出给街道的情况报告（xlsx）", parents=[common])
    report.add_argument("--event", help=_EVENT_HELP)
    add_out_options(report, _OUT_HELP)
    report.set_defaults(handler=cmd_report)


# -- helpers ------------------------------------------------------------------------
def _kind(text: str | None) -> str | None:
    from canxie_tui.domain.emergency import parse_kind

    if text is None:
        return None
    with usage_errors():
        return parse_kind(text)


def _status(text: str | None) -> str | None:
    from canxie_tui.domain.emergency import parse_status

    if text is None:
        return None
    with usage_errors():
        return parse_status(text)


def _chosen_event(store: Store, ref: str | None) -> EmergencyEvent | None:
    from canxie_tui.store import emergency

    return emergency.find_event(store, ref) if ref else emergency.current_event(store)


def _no_current() -> str:
    return "当前没有进行中的急难事件。可用 --event 指定事件（canxie emergency events 查看）"


def _event_json(event: EmergencyEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "kind": event.kind,
        "kind_label": event.kind_label,
        "name": event.name,
        "started_at": event.started_at,
        "ended_at": event.ended_at,
        "scope": list(event.scope),
        "is_current": event.is_current,
        "state": event.state_text,
    }


def _progress_json(progress: RollCallProgress) -> dict[str, Any]:
    return {
        "total": progress.total,
        "contacted": progress.contacted,
        **progress.counts(),
        "text": progress.text,
    }


def _row_json(position: int, row: Priority, *, several: bool = False) -> dict[str, Any]:
    """A row of the list; "community" where it holds several communities' people."""
    p = row.person
    return {
        "rank": position,
        "person_id": p.person_id,
        "household_id": p.household_id,
        "name": p.name,
        "age": p.age,
        "disability": p.disability,
        "score": row.score,
        "reasons": list(row.reasons),
        "reasons_text": row.reasons_text,
        "place": p.place,
        "address": p.address,
        "grid": p.grid,
        **({"community": p.division_name} if several else {}),
        "phone": p.phone,
        "contacts": p.contacts,
        "contact_advice": row.contact,
        "checks": list(row.checks),
        "status": row.status,
        "status_label": row.status_label,
        "note": row.note,
        "checked_at": row.checked_at,
        "checked_by": row.checked_by,
    }


# -- commands ----------------------------------------------------------------------------
def cmd_list(args: argparse.Namespace) -> int:
    from canxie_tui.domain.emergency import kind_label
    from canxie_tui.domain.places import label
    from canxie_tui.store import emergency, places

    kind = _kind(args.kind)
    status = _status(args.status)
    with opened_store(args) as store:
        event = emergency.current_event(store)
        if event is None and kind is None:
            fail("当前没有进行中的急难事件。可用 --kind 查看某类事件的假设名单，如 --kind 停电")
        if event is not None and kind is not None and kind != event.kind:
            event = None  # the list for another kind: hypothetical, over the whole register
        hypothetical = event is None
        if hypothetical and status not in (None, "pending"):
            fail("假设名单没有点名记录，不能按点名状态筛选", EXIT_USAGE)
        with usage_errors():  # a bare building several communities have
            emergency.check_query(store, args.query)
        call = emergency.roll_call(
            store, event, kind=kind, status=status, query=args.query, include_all=args.all
        )
        shown = list(enumerate(call.rows[: args.limit], start=1))  # rows are built when read
        several = places.several(store)  # a street or district: grids named with communities
    event_kind = event.kind if event is not None else str(kind)
    if event is not None:
        title = f"{event.name}（{event.kind_label}）：{call.progress.text}"
    else:
        title = f"假设事件：{kind_label(event_kind)}（当前没有该类事件）"
    print_rows(
        shown,
        as_json=args.json,
        to_json=lambda ranked: _row_json(*ranked, several=several),
        envelope={
            "event": None if event is None else _event_json(event),
            "kind": event_kind,
            "kind_label": kind_label(event_kind),
            "hypothetical": hypothetical,
            "progress": _progress_json(call.progress),
            "total": len(call.rows),
        },
        title=f"{title}\n前 {len(shown)} 条，共 {len(call.rows)} 条",
        headers=("序", "姓名", "年龄", "原因", "楼栋单元房号", "网格", "电话", "联系方式", "状态"),
        cells=lambda ranked: (
            ranked[0],
            ranked[1].person.name,
            "" if ranked[1].person.age is None else ranked[1].person.age,
            ranked[1].reasons_text,
            ranked[1].person.place,
            label(ranked[1].person.division_name if several else "", ranked[1].person.grid),
            ranked[1].person.phone,
            ranked[1].contact,
            ranked[1].status_label + (f"：{ranked[1].note}" if ranked[1].note else ""),
        ),
        empty=f"{title}\n没有符合条件的人员。",
    )
    return 0


def cmd_events(args: argparse.Namespace) -> int:
    from canxie_tui.store import emergency

    with opened_store(args) as store:
        events = emergency.list_events(store)
        now = store.clock()
    print_rows(
        events,
        as_json=args.json,
        to_json=_event_json,
        key="events",
        title=f"急难事件：共 {len(events)} 个",
        headers=("编号", "名称", "类型", "开始", "历时", "状态", "范围"),
        cells=lambda e: (
            e.id[:8],
            e.name,
            e.kind_label,
            e.started_at.replace("T", " ")[:16],
            e.duration_text(now),
            e.state_text,
            e.scope_text,
        ),
        empty="还没有急难事件。",
    )
    return 0


def cmd_sheet(args: argparse.Namespace) -> int:
    from canxie_tui.excel.emergency_sheets import write_call_sheet

    kind = _kind(args.kind)
    status = _status(args.status)
    replace = overwrite(args)
    with opened_store(args) as store:
        event = _chosen_event(store, args.event)
        if event is None and kind is None:
            fail(_no_current() + "，或用 --kind 导出假设呼叫单")
        if event is None and status not in (None, "pending"):
            fail("假设呼叫单没有点名记录，不能按点名状态筛选", EXIT_USAGE)
        path = write_call_sheet(
            store,
            event,
            kind=kind,
            status=status,
            out=args.out,
            include_ids=args.show_ids,
            overwrite=replace,
        )
    print(path)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from canxie_tui.excel.emergency_sheets import write_status_report

    replace = overwrite(args)
    with opened_store(args) as store:
        event = _chosen_event(store, args.event)
        if event is None:
            fail(_no_current())
        path = write_status_report(store, event, out=args.out, overwrite=replace)
    print(path)
    return 0
