"""The demo's survey round: this year's, part way through (community scale only).

From 1 July of the demo's year (the national round's season) the community demo
has the year's round open with about half of its people surveyed (most 入户),
a few 失访 and a few part-done, written through the store's own survey functions
(audited, needs opening follow-ups) so the survey screen has something to show.
Larger scales leave the survey out: a round per person through the audited write
path would take minutes there (the benchmark opens its own).
"""

from __future__ import annotations

import random
from datetime import date

from canxie_tui.domain import survey_form as form
from canxie_tui.store import survey
from canxie_tui.store.connection import Store

SEASON_START = (7, 1)


def _answers(rng: random.Random, entry: survey.Entry, given: dict) -> dict:
    """The pre-fill kept, the rest answered; needs are rare (most say 无需求)."""
    answers = dict(given)
    if "needs" not in answers:
        answers["needs"] = [rng.choice(["2", "3", "8"])] if rng.random() < 0.08 else ["11"]
    for _ in range(3):  # an answer may open further items
        for item in form.applicable(entry.subject, answers):
            if item.key not in answers:
                codes = list(item.choices)
                pick = codes[0] if rng.random() < 0.6 else rng.choice(codes)
                answers[item.key] = [pick] if item.multi else pick
    return answers


def build_survey(store: Store, today: date, seed: int) -> int:
    """Open `today`'s year's round (from 1 July) and survey part of it; how many surveyed."""
    if (today.month, today.day) < SEASON_START:
        return 0
    start = date(today.year, *SEASON_START)
    round, _ = survey.start_round(store, today.year, start.isoformat())
    rng = random.Random(seed * 7919 + today.year)
    ids = [r[0] for r in store.db.conn.execute(
        "SELECT id FROM survey_entries WHERE round_id = ? ORDER BY pk", (round.id,)
    )]  # fmt: skip
    span = max((today - start).days, 1)
    surveyed = 0
    for entry_id in ids:
        roll = rng.random()
        if roll >= 0.6:
            continue
        entry = survey.get_entry(store, entry_id)
        day = date.fromordinal(start.toordinal() + rng.randrange(span)).isoformat()
        if roll < 0.03:
            survey.mark_lost(store, entry, rng.choice(["away", "away", "refused", "unknown"]), day)
            continue
        answers = _answers(rng, entry, survey.starting_answers(store, entry)[0])
        if roll < 0.06:
            survey.save_draft(store, entry, answers, 3)
            continue
        method = "home" if roll < 0.52 else rng.choice(["meet", "phone"])
        survey.finish(store, entry, answers, method, day)
        surveyed += 1
    return surveyed
