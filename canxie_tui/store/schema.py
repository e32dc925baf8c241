"""The schema, as ordered migrations (sqlite-utils' bookkeeping, `store.handle`).

Every business table has a stable UUID `id` (the identity that survives export
and district merge), an INTEGER `pk` (a stable rowid for FTS and joins; VACUUM
may renumber an implicit rowid), timestamps, the operator who wrote it, and a
`version` for optimistic concurrency.  Lists of codes are JSON arrays in TEXT.
Never edit a migration that has shipped: add a new one.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator

from canxie_tui.store.handle import Database, Migrations

APPLICATION_ID = 0x43585549  # "CXUI": marks a file as ours in the SQLite header

migrations = Migrations("canxie")

# Columns shared by every versioned record table.
_RECORD = """
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL DEFAULT ''
"""


def _statements(script: str) -> Iterator[str]:
    """Split a script into statements (triggers included).

    executescript() would COMMIT the migration's transaction first, so each
    statement runs through execute() instead.
    """
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""


def _run(db: Database, script: str) -> None:
    for statement in _statements(script):
        db.execute(statement)


@migrations(name="0001_initial")
def initial(db: Database) -> None:
    _run(
        db,
        f"""
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );

    CREATE TABLE operators ({_RECORD},
        name TEXT NOT NULL,
        phone TEXT NOT NULL DEFAULT '',
        active INTEGER NOT NULL DEFAULT 1
    );

    CREATE TABLE households ({_RECORD},
        division_code TEXT NOT NULL DEFAULT '',
        division_name TEXT NOT NULL DEFAULT '',
        address TEXT NOT NULL,
        building TEXT NOT NULL DEFAULT '',
        unit TEXT NOT NULL DEFAULT '',
        room TEXT NOT NULL DEFAULT '',
        grid TEXT NOT NULL DEFAULT '',
        phone TEXT NOT NULL DEFAULT '',
        flags TEXT NOT NULL DEFAULT '[]',
        guardian_name TEXT NOT NULL DEFAULT '',
        guardian_phone TEXT NOT NULL DEFAULT '',
        guardian_relation TEXT NOT NULL DEFAULT '',
        emergency_contact TEXT NOT NULL DEFAULT '',
        emergency_phone TEXT NOT NULL DEFAULT '',
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX idx_households_building ON households(building, unit, room);
    CREATE INDEX idx_households_grid ON households(grid);

    CREATE TABLE persons ({_RECORD},
        household_id TEXT NOT NULL REFERENCES households(id),
        name TEXT NOT NULL,
        id_number TEXT,
        sex TEXT NOT NULL DEFAULT '',
        birth_date TEXT,
        cert_number TEXT,
        category INTEGER CHECK (category BETWEEN 1 AND 7),
        level INTEGER CHECK (level BETWEEN 1 AND 4),
        relation TEXT NOT NULL DEFAULT '',
        phone TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'active'
            CHECK (status IN ('active', 'moved', 'deceased', 'cancelled')),
        status_date TEXT NOT NULL DEFAULT '',
        status_reason TEXT NOT NULL DEFAULT '',
        care_flags TEXT NOT NULL DEFAULT '[]',
        device_kind TEXT NOT NULL DEFAULT '',
        benefits TEXT NOT NULL DEFAULT '[]',
        school TEXT NOT NULL DEFAULT '',
        -- Derived, maintained by store.tiers / store.visits (not user edits):
        last_visit_date TEXT NOT NULL DEFAULT '',
        last_visit_method TEXT NOT NULL DEFAULT '',
        tier TEXT NOT NULL DEFAULT 'C',
        tier_reason TEXT NOT NULL DEFAULT '',
        next_due_date TEXT NOT NULL DEFAULT ''
    );
    CREATE UNIQUE INDEX idx_persons_id_number ON persons(id_number) WHERE id_number IS NOT NULL;
    CREATE INDEX idx_persons_household ON persons(household_id);
    CREATE INDEX idx_persons_register ON persons(household_id)
        WHERE status = 'active' AND category IS NOT NULL;
    CREATE INDEX idx_persons_name ON persons(name);
    -- The due list is one range scan: who is in the register and due by a date.
    CREATE INDEX idx_persons_due ON persons(next_due_date, name)
        WHERE status = 'active' AND category IS NOT NULL;
    CREATE INDEX idx_persons_tier_due ON persons(tier, next_due_date, name)
        WHERE status = 'active' AND category IS NOT NULL;

    -- Search: every name reading, initials and building as exact/prefix terms
    -- (for 1-2 character queries that a trigram index cannot serve) ...
    CREATE TABLE search_terms (
        person_pk INTEGER NOT NULL REFERENCES persons(pk) ON DELETE CASCADE,
        term TEXT NOT NULL,
        weak INTEGER NOT NULL DEFAULT 0  -- 1: a name suffix (a fragment, ranked last)
    );
    CREATE INDEX idx_search_terms_term ON search_terms(term, weak, person_pk);
    CREATE INDEX idx_search_terms_person ON search_terms(person_pk);
    -- ... and one trigram document per person for fragments of 3+ characters.
    CREATE VIRTUAL TABLE person_fts USING fts5(doc, tokenize = 'trigram');

    CREATE TABLE visits ({_RECORD},
        household_id TEXT NOT NULL REFERENCES households(id),
        visit_date TEXT NOT NULL,
        method TEXT NOT NULL,
        purpose TEXT NOT NULL DEFAULT 'routine',
        checklist TEXT NOT NULL DEFAULT '[]',
        problems TEXT NOT NULL DEFAULT '[]',
        problem_text TEXT NOT NULL DEFAULT '',
        help_given TEXT NOT NULL DEFAULT '',
        referrals TEXT NOT NULL DEFAULT '[]',
        note TEXT NOT NULL DEFAULT '',
        tier TEXT NOT NULL DEFAULT '',  -- the household's tier when visited (for monthly counts)
        deleted INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX idx_visits_household_date ON visits(household_id, visit_date);
    -- Covers the month's counts (by day, method, tier, household) without reading rows.
    CREATE INDEX idx_visits_month ON visits(visit_date, deleted, method, tier, household_id);
    CREATE TABLE visit_visitors (
        visit_id TEXT NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
        operator_id TEXT NOT NULL REFERENCES operators(id),
        PRIMARY KEY (visit_id, operator_id)
    ) WITHOUT ROWID;
    CREATE TABLE visit_persons (
        visit_id TEXT NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
        person_id TEXT NOT NULL REFERENCES persons(id),
        PRIMARY KEY (visit_id, person_id)
    ) WITHOUT ROWID;
    CREATE INDEX idx_visit_persons_person ON visit_persons(person_id);

    CREATE TABLE followups ({_RECORD},
        household_id TEXT NOT NULL REFERENCES households(id),
        person_id TEXT REFERENCES persons(id),
        source TEXT NOT NULL DEFAULT '',
        source_id TEXT NOT NULL DEFAULT '',
        what TEXT NOT NULL,
        due_date TEXT NOT NULL,
        urgent INTEGER NOT NULL DEFAULT 0,
        owner_id TEXT REFERENCES operators(id),
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
        closed_date TEXT NOT NULL DEFAULT '',
        outcome TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX idx_followups_open ON followups(status, due_date);
    CREATE INDEX idx_followups_household ON followups(household_id);

    CREATE TABLE notes ({_RECORD},
        household_id TEXT NOT NULL REFERENCES households(id),
        person_id TEXT REFERENCES persons(id),
        category TEXT NOT NULL DEFAULT 'other',
        body TEXT NOT NULL,
        author_id TEXT NOT NULL DEFAULT '',
        author_name TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX idx_notes_household ON notes(household_id, created_at);
    -- Earlier texts of a note: a note is never overwritten.
    CREATE TABLE note_revisions (
        pk INTEGER PRIMARY KEY,
        note_id TEXT NOT NULL REFERENCES notes(id),
        revision INTEGER NOT NULL,
        category TEXT NOT NULL,
        body TEXT NOT NULL,
        author_name TEXT NOT NULL DEFAULT '',
        revised_at TEXT NOT NULL,
        UNIQUE (note_id, revision)
    );

    CREATE TABLE daycare_members ({_RECORD},
        person_id TEXT NOT NULL REFERENCES persons(id),
        services TEXT NOT NULL DEFAULT '[]',
        weekdays TEXT NOT NULL DEFAULT '12345',
        start_date TEXT NOT NULL,
        end_date TEXT NOT NULL DEFAULT '',
        end_reason TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX idx_daycare_members_person ON daycare_members(person_id);
    CREATE TABLE daycare_closures ({_RECORD},
        day TEXT NOT NULL UNIQUE,
        reason TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE attendance ({_RECORD},
        member_id TEXT NOT NULL REFERENCES daycare_members(id),
        day TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('present', 'leave', 'absent')),
        half_day INTEGER NOT NULL DEFAULT 0,
        meal INTEGER NOT NULL DEFAULT 0,
        services TEXT NOT NULL DEFAULT '[]',
        arrival_time TEXT NOT NULL DEFAULT '',
        note TEXT NOT NULL DEFAULT '',
        UNIQUE (member_id, day)
    );
    CREATE INDEX idx_attendance_day ON attendance(day);

    CREATE TABLE emergency_events ({_RECORD},
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT NOT NULL DEFAULT '',
        scope TEXT NOT NULL DEFAULT '[]',
        is_current INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE emergency_checks ({_RECORD},
        event_id TEXT NOT NULL REFERENCES emergency_events(id),
        person_id TEXT NOT NULL REFERENCES persons(id),
        status TEXT NOT NULL DEFAULT 'pending',
        note TEXT NOT NULL DEFAULT '',
        checked_at TEXT NOT NULL DEFAULT '',
        operator_id TEXT NOT NULL DEFAULT '',
        UNIQUE (event_id, person_id)
    );

    -- Append-only and hash-chained: each entry's hash covers its content and
    -- the previous entry's hash, so an edited or removed entry is detectable.
    CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        operator_id TEXT NOT NULL DEFAULT '',
        operator_name TEXT NOT NULL DEFAULT '',
        action TEXT NOT NULL,
        table_name TEXT NOT NULL,
        record_id TEXT NOT NULL,
        before TEXT,
        after TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE INDEX idx_audit_record ON audit_log(record_id);
    -- The latest change per table: a cheap 'has the register changed?' for caches.
    CREATE INDEX idx_audit_table ON audit_log(table_name, seq);
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, '审计日志只能追加，不能修改'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, '审计日志只能追加，不能删除'); END;
    """,
    )


@migrations(name="0002_district_merge")
def district_merge(db: Database) -> None:
    """What the district merge keeps beside the records (`store.district`).

    A district database merged into before this migration has these tables
    already (the merge created them on first use, `merge_conflicts` perhaps
    without `resolved_by`): IF NOT EXISTS, and the column added when missing.
    """
    _run(
        db,
        """
    -- Each merged record as last merged: its version and the hash of its content.
    CREATE TABLE IF NOT EXISTS merge_state (
        table_name TEXT NOT NULL,
        record_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        row_hash TEXT NOT NULL,
        site_code TEXT NOT NULL DEFAULT '',
        merged_at TEXT NOT NULL,
        PRIMARY KEY (table_name, record_id)
    ) WITHOUT ROWID;
    -- Both versions of a record the merge could not decide, for a person to.
    CREATE TABLE IF NOT EXISTS merge_conflicts (
        pk INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        table_name TEXT NOT NULL,
        record_id TEXT NOT NULL,
        kind TEXT NOT NULL DEFAULT 'edit',  -- edit / duplicate / delete
        reason TEXT NOT NULL DEFAULT '',
        district_version TEXT,  -- JSON of the district's row (NULL: none)
        incoming_version TEXT,  -- JSON of the workbook's row (NULL: deleted there)
        incoming_hash TEXT NOT NULL,
        source_file TEXT NOT NULL,
        site_code TEXT NOT NULL DEFAULT '',
        month TEXT NOT NULL DEFAULT '',
        detected_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open',  -- open / resolved
        resolved_at TEXT NOT NULL DEFAULT '',
        resolution TEXT NOT NULL DEFAULT '',  -- district / incoming
        resolved_by TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX IF NOT EXISTS idx_merge_conflicts_record
        ON merge_conflicts(table_name, record_id, incoming_hash);
    -- Where each site's rows came from (street and community names for the report).
    CREATE TABLE IF NOT EXISTS merge_sources (
        site_code TEXT PRIMARY KEY,
        district_code TEXT NOT NULL DEFAULT '',
        district_name TEXT NOT NULL DEFAULT '',
        street_code TEXT NOT NULL DEFAULT '',
        street_name TEXT NOT NULL DEFAULT '',
        community_code TEXT NOT NULL DEFAULT '',
        community_name TEXT NOT NULL DEFAULT '',
        last_month TEXT NOT NULL DEFAULT '',
        last_file TEXT NOT NULL DEFAULT '',
        last_merged_at TEXT NOT NULL DEFAULT ''
    );
    """,
    )
    columns = {row[1] for row in db.execute("PRAGMA table_info(merge_conflicts)").fetchall()}
    if "resolved_by" not in columns:
        db.execute("ALTER TABLE merge_conflicts ADD COLUMN resolved_by TEXT NOT NULL DEFAULT ''")


@migrations(name="0003_register_facts")
def register_facts(db: Database) -> None:
    """户籍, insurance schemes, certificate dates and training: what the indicators need.

    Existing people get 重庆市内 户籍 (a certificate is issued where the 户籍 is);
    the old yes/no 城乡居民养老/医疗保险 benefits become the scheme 城乡居民, or
    '' (not recorded) where they were not ticked.
    """
    _run(
        db,
        """
    ALTER TABLE persons ADD COLUMN hukou TEXT NOT NULL DEFAULT 'cq';
    ALTER TABLE persons ADD COLUMN hukou_address TEXT NOT NULL DEFAULT '';
    ALTER TABLE persons ADD COLUMN apart INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE persons ADD COLUMN pension_scheme TEXT NOT NULL DEFAULT '';
    ALTER TABLE persons ADD COLUMN medical_scheme TEXT NOT NULL DEFAULT '';
    ALTER TABLE persons ADD COLUMN cert_issued TEXT NOT NULL DEFAULT '';
    ALTER TABLE persons ADD COLUMN cert_valid_until TEXT NOT NULL DEFAULT '';
    ALTER TABLE persons ADD COLUMN trained_on TEXT NOT NULL DEFAULT '';
    CREATE INDEX idx_persons_cert_valid ON persons(cert_valid_until)
        WHERE status = 'active' AND category IS NOT NULL AND cert_valid_until <> '';
    """,
    )
    old = ("pension_ins", "medical_ins")
    rows = db.execute(
        "SELECT pk, benefits FROM persons "
        "WHERE instr(benefits, '\"pension_ins\"') OR instr(benefits, '\"medical_ins\"')"
    ).fetchall()
    for pk, text in rows:
        benefits = json.loads(text)
        db.execute(
            "UPDATE persons SET benefits = ?, pension_scheme = ?, medical_scheme = ? WHERE pk = ?",
            (
                json.dumps(sorted(b for b in benefits if b not in old)),
                "resident" if "pension_ins" in benefits else "",
                "resident" if "medical_ins" in benefits else "",
                pk,
            ),
        )


@migrations(name="0004_subsidies")
def subsidies(db: Database) -> None:
    """两项补贴: each person's history, and the rule sets as a dated setting.

    The register's old yes/no flags (`benefits` living_subsidy / care_subsidy) become
    a 享受 entry from the month the person was registered (nothing before it is
    known; the check only judges months a rule set covers, from 2026-01), 护理补贴 at
    the person's level.  The flags stay in `benefits` as a cache of each person's
    latest decision, kept by store.subsidies.  The district's old extension settings
    (when it had any) move into the first rule set: Chongqing's of 2026 (渝民发〔2021〕15号 and the
    重庆市民政局 notice on the 2026 standards), written out here because a migration
    never changes.
    """
    _run(
        db,
        f"""
    CREATE TABLE subsidies ({_RECORD},
        person_id TEXT NOT NULL REFERENCES persons(id),
        kind TEXT NOT NULL CHECK (kind IN ('living', 'care')),
        state TEXT NOT NULL CHECK (state IN ('applying', 'receiving', 'paused', 'stopped')),
        from_month TEXT NOT NULL,
        to_month TEXT NOT NULL DEFAULT '',
        level INTEGER CHECK (level BETWEEN 1 AND 4),
        reason TEXT NOT NULL DEFAULT ''
    );
    -- Both cover what the monthly check reads (store.subsidy_check): a person's entry
    -- covering a month, and the month's entries in a state.
    CREATE INDEX idx_subsidies_person
        ON subsidies(person_id, kind, from_month, to_month, state, level);
    CREATE INDEX idx_subsidies_state
        ON subsidies(state, kind, from_month, to_month, person_id, level);
    """,
    )
    rows = db.execute(
        "SELECT id, level, benefits, created_at, updated_at FROM persons "
        "WHERE instr(benefits, '\"living_subsidy\"') OR instr(benefits, '\"care_subsidy\"')"
    ).fetchall()
    for person_id, level, text, created_at, updated_at in rows:
        held = json.loads(text)
        for code, kind in (("living_subsidy", "living"), ("care_subsidy", "care")):
            if code in held:
                db.execute(
                    "INSERT INTO subsidies (id, created_at, created_by, updated_at, updated_by, "
                    "person_id, kind, state, from_month, level, reason) "
                    "VALUES (?, ?, '结构迁移', ?, '结构迁移', ?, ?, 'receiving', ?, ?, ?)",
                    (
                        str(uuid.uuid4()),
                        updated_at,
                        updated_at,
                        person_id,
                        kind,
                        created_at[:7],
                        level if kind == "care" else None,
                        "由登记表“享受”标记转入",
                    ),
                )
    old = dict(
        db.execute(
            "SELECT key, value FROM settings WHERE key IN "
            "('subsidy_living_low_income', 'subsidy_care_extended')"
        ).fetchall()
    )
    first = {
        "start": "2026-01",
        "living_amount": 100,
        "care_level1": 110,
        "care_level2": 100,
        "living_low_income": json.loads(old.get("subsidy_living_low_income", "false")) is True,
        "care_extended": json.loads(old.get("subsidy_care_extended", "false")) is True,
        "care_extended_amount": 0,
        "source": "渝民发〔2021〕15号；重庆市民政局关于2026年困难残疾人生活补贴和重度残疾人护理补贴标准的通知",
    }
    if old:  # else the shipped rule set applies until the district saves its own
        db.execute(
            "INSERT OR IGNORE INTO settings (key, value) VALUES ('subsidy_rules', ?)",
            (json.dumps([first], ensure_ascii=False),),
        )
    db.execute(
        "DELETE FROM settings WHERE key IN ('subsidy_living_low_income', 'subsidy_care_extended')"
    )


@migrations(name="0005_survey")
def survey(db: Database) -> None:
    """The yearly 持证残疾人基本状况调查 (动态更新): rounds and one entry per person.

    An entry keeps its household's grid and building as they were when the round
    started (the list the worker was handed; progress groups by them with one
    index scan) and the person's answers as JSON (`domain.survey_form`).
    """
    _run(
        db,
        f"""
    CREATE TABLE survey_rounds ({_RECORD},
        year INTEGER NOT NULL,  -- one per site and year (a district merges many)
        ref_date TEXT NOT NULL,
        closed_on TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX idx_survey_rounds_year ON survey_rounds(year);
    CREATE TABLE survey_entries ({_RECORD},
        round_id TEXT NOT NULL REFERENCES survey_rounds(id),
        person_id TEXT NOT NULL REFERENCES persons(id),
        household_id TEXT NOT NULL REFERENCES households(id),
        grid TEXT NOT NULL DEFAULT '',
        building TEXT NOT NULL DEFAULT '',
        apart INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'draft', 'done', 'lost')),
        method TEXT NOT NULL DEFAULT '',
        lost_reason TEXT NOT NULL DEFAULT '',
        surveyed_on TEXT NOT NULL DEFAULT '',
        answers TEXT NOT NULL DEFAULT '{{}}',
        section INTEGER NOT NULL DEFAULT 0,
        adopted_on TEXT NOT NULL DEFAULT '',
        UNIQUE (round_id, person_id)
    );
    CREATE INDEX idx_survey_progress
        ON survey_entries(round_id, grid, building, apart, status, method, lost_reason);
    CREATE INDEX idx_survey_person ON survey_entries(person_id);
    """,
    )


@migrations(name="0006_district_identity")
def district_identity(db: Database) -> None:
    """One person once at the district, division recodes, and which database sent a return.

    `persons.held` (1: an incoming person whose ID number another record of the
    district already has, out of every count until someone decides; a community
    database never sets it).  `identity_links`: incoming records taken as another
    record of the district (a rebuilt database, or a decision), so their later
    rows land on it.  `division_recodes`: old → new 统计用区划代码 (a code or the
    prefix of a street's or district's codes).  `merge_databases`: which
    database sent each site's return of a month (two at once is named).
    """
    _run(
        db,
        """
    ALTER TABLE persons ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE identity_links (
        table_name TEXT NOT NULL,
        alias_id TEXT NOT NULL,
        target_id TEXT NOT NULL,
        kind TEXT NOT NULL,  -- rebuilt / decided
        site_code TEXT NOT NULL DEFAULT '',
        source_file TEXT NOT NULL DEFAULT '',
        linked_at TEXT NOT NULL,
        PRIMARY KEY (table_name, alias_id)
    ) WITHOUT ROWID;
    CREATE TABLE division_recodes (
        old_code TEXT PRIMARY KEY,
        new_code TEXT NOT NULL,
        new_name TEXT NOT NULL DEFAULT '',
        recorded_at TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT ''
    ) WITHOUT ROWID;
    CREATE TABLE merge_databases (
        site_code TEXT NOT NULL,
        database_id TEXT NOT NULL,
        month TEXT NOT NULL,
        source_file TEXT NOT NULL DEFAULT '',
        merged_at TEXT NOT NULL,
        PRIMARY KEY (site_code, month, database_id)
    ) WITHOUT ROWID;
    """,
    )


BASELINE_PENDING = "audit_baseline_pending"


@migrations(name="0007_integrity")
def integrity(db: Database) -> None:
    """The chain heads a district received with each return (`store.anchors`), and a
    baseline: a record an earlier migration changed without an audit entry (0003's
    insurance schemes) gets one (`store.integrity.baseline`), so `canxie doctor` compares
    rows with the log from here on."""
    _run(
        db,
        """
    CREATE TABLE audit_anchors (
        site_code TEXT NOT NULL,
        month TEXT NOT NULL,
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL,
        exported_at TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL DEFAULT '',
        received_at TEXT NOT NULL,
        PRIMARY KEY (site_code, seq, hash)
    );
    """,
    )
    # The baseline needs the record tables' code: `store.session` runs it right after,
    # in its own transaction, while this marker is there.
    db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, '1')", (BASELINE_PENDING,))


def _noting_trigger(name: str, when: str, *households: str) -> str:
    """A trigger that notes households in `risk_dirty`, each once (no conflict clause:
    a statement's own ON CONFLICT would override one here)."""
    notes = "".join(
        f"    INSERT INTO risk_dirty (household_id) SELECT {h} "
        f"WHERE NOT EXISTS (SELECT 1 FROM risk_dirty WHERE household_id = {h});\n"
        for h in households
    )
    return f"CREATE TRIGGER {name} AFTER {when} BEGIN\n{notes}END;\n"


# What the profile of 0008 reads: a change to any of these notes the household(s).
_RISK_PERSON = "household_id, name, birth_date, category, level, status, held, care_flags"
_RISK_TRIGGERS = (
    _noting_trigger("risk_person_insert", "INSERT ON persons", "NEW.household_id"),
    _noting_trigger(
        "risk_person_update",
        f"UPDATE OF {_RISK_PERSON} ON persons",
        "OLD.household_id",
        "NEW.household_id",
    ),
    _noting_trigger("risk_person_delete", "DELETE ON persons", "OLD.household_id"),
    _noting_trigger(
        "risk_household_update",
        "UPDATE OF id, flags, building, unit, room ON households",
        "OLD.id",
        "NEW.id",
    ),
    _noting_trigger("risk_household_delete", "DELETE ON households", "OLD.id"),
)


@migrations(name="0008_risk_profile")
def risk_profile(db: Database) -> None:
    """Each person's risk profile, kept up to date from every write (`store.risk`):
    the first emergency list of the day ranks three stored columns instead of
    loading the register.  Filled here for the people already in the register."""
    _run(
        db,
        """
    CREATE TABLE risk_profile (
        place_key TEXT NOT NULL,
        person_pk INTEGER NOT NULL,
        household_id TEXT NOT NULL,
        profile INTEGER NOT NULL,
        turns_80 TEXT,
        turns_90 TEXT,
        -- Kept in the list's order of place and name, then pk: ranking reads it in
        -- order (no sort) and a write adds to one tree.
        PRIMARY KEY (place_key, person_pk)
    ) WITHOUT ROWID;
    CREATE INDEX idx_risk_profile_household ON risk_profile(household_id);
    CREATE TABLE risk_dirty (household_id TEXT PRIMARY KEY) WITHOUT ROWID;
    """
        + "".join(_RISK_TRIGGERS),
    )
    from canxie_tui.store import risk  # the code that computes them, as every commit does

    risk.refresh_all(db.conn)


# The code lists 0009 keeps as masks, in bit order, as they were when it shipped (the
# triggers hold them): a test holds them equal to domain.codes' tables, so that a code
# added there comes with a migration that re-creates the triggers and fills the masks.
MASKED_CODES = {
    "benefits": (
        "living_subsidy", "care_subsidy", "family_doctor", "rehab_received", "rehab_needed",
        "device_fitted", "device_needed", "barrier_free_done", "barrier_free_needed",
        "in_school", "injury_care",
    ),
    "flags": (
        "dibao", "dibao_edge", "tekun", "low_income", "multi_disabled", "elderly_carer",
        "alone", "empty_nest", "no_carer", "unsafe_house", "low_lying",
    ),
}  # fmt: skip


def _mask_sql(column: str, kind: str) -> str:
    """SQL: the mask of the JSON code list in `column` (codes are known: `"code"` with
    its quotes is in the text exactly when the code is in the list)."""
    return " | ".join(
        f"((instr({column}, '\"{code}\"') > 0) << {i})" for i, code in enumerate(MASKED_CODES[kind])
    )


def _mask_person(person: str) -> str:
    """Statements: the mask row of the person `person` (NEW/OLD) written anew."""
    flags = _mask_sql("h.flags", "flags")
    return (
        f"    DELETE FROM code_masks WHERE person_pk = {person}.pk;\n"
        "    INSERT INTO code_masks (person_pk, benefits, household_flags) VALUES "
        f"({person}.pk, {_mask_sql(f'{person}.benefits', 'benefits')}, "
        f"coalesce((SELECT {flags} FROM households h WHERE h.id = {person}.household_id), 0));\n"
    )


# The household's flags onto its members' masks (they may be written before it, when
# the foreign keys are deferred, or move to it by a change of id).
_MASK_MEMBERS = (
    f"    UPDATE code_masks SET household_flags = ({_mask_sql('NEW.flags', 'flags')}) "
    "WHERE person_pk IN (SELECT pk FROM persons WHERE household_id = NEW.id);\n"
)


def _row_triggers(
    table: str, write: str, members: str, sources: tuple[str, ...]
) -> tuple[str, ...]:
    """Triggers keeping `table`'s row of each person (`person_pk`) from every write:
    `write` writes NEW's row anew (statements), when a person is added or any of
    `sources` changes; `members` writes a household's flags onto its members'."""
    return (
        f"CREATE TRIGGER {table}_person_insert AFTER INSERT ON persons BEGIN\n{write}END;\n",
        f"CREATE TRIGGER {table}_person_update AFTER UPDATE OF {', '.join(sources)} "
        f"ON persons WHEN {' OR '.join(f'NEW.{c} IS NOT OLD.{c}' for c in sources)} BEGIN\n"
        f"    DELETE FROM {table} WHERE person_pk = OLD.pk;\n{write}END;\n",
        f"CREATE TRIGGER {table}_person_delete AFTER DELETE ON persons BEGIN\n"
        f"    DELETE FROM {table} WHERE person_pk = OLD.pk;\nEND;\n",
        f"CREATE TRIGGER {table}_household_insert AFTER INSERT ON households "
        f"WHEN NEW.flags <> '[]' BEGIN\n{members}END;\n",
        f"CREATE TRIGGER {table}_household_update AFTER UPDATE OF id, flags ON households "
        f"WHEN NEW.flags IS NOT OLD.flags OR NEW.id IS NOT OLD.id BEGIN\n{members}END;\n",
    )


_MASK_TRIGGERS = _row_triggers(
    "code_masks", _mask_person("NEW"), _MASK_MEMBERS, ("pk", "benefits", "household_id")
)


@migrations(name="0009_code_masks")
def code_masks(db: Database) -> None:
    """Each person's benefits and household flags as integer masks (bit i: code i of
    MASKED_CODES), kept by triggers from every write whatever wrote it: the indicators
    and the 两项补贴 check test a bit instead of searching JSON text (issue 17: the
    dashboard's first figures); and the register's index covering `held`.  Derived like the search index: not audited itself, no
    column of the audited tables (their rows, exports and merges stay as they were)."""
    _run(
        db,
        """
    CREATE TABLE code_masks (
        person_pk INTEGER PRIMARY KEY,  -- persons.pk
        benefits INTEGER NOT NULL,  -- persons.benefits
        household_flags INTEGER NOT NULL  -- households.flags of the person's household
    );
    -- The register's index covers `held` too: counting the register's households reads
    -- the index alone (it looked up every person's row for it: 20 ms at 42k people).
    DROP INDEX idx_persons_register;
    CREATE INDEX idx_persons_register ON persons(household_id, held)
        WHERE status = 'active' AND category IS NOT NULL;
    """
        + "".join(_MASK_TRIGGERS),
    )
    db.execute(
        "INSERT INTO code_masks (person_pk, benefits, household_flags) "
        f"SELECT p.pk, {_mask_sql('p.benefits', 'benefits')}, "
        f"coalesce((SELECT {_mask_sql('h.flags', 'flags')} FROM households h "
        "WHERE h.id = p.household_id), 0) FROM persons p"
    )


# What the rules read of a person (0010): persons' own columns, copied as they are so
# that the rules' SQL means over `rule_inputs` exactly what it meant over `persons`.
_INPUT_COLUMNS = (
    "category", "level", "birth_date", "hukou", "cert_valid_until", "pension_scheme",
    "medical_scheme", "school", "trained_on", "id", "household_id", "status",
    "status_date", "created_at",
)  # fmt: skip
_INPUT_NAMES = f"person_pk, registered, benefits, household_flags, {', '.join(_INPUT_COLUMNS)}"
# The columns of `persons` a change of which writes the row anew (`held`: in the
# register or not).
_INPUT_SOURCES = ("pk", "held", "benefits", *_INPUT_COLUMNS)


def _input_values(person: str) -> str:
    """SQL: the values of `_INPUT_NAMES` for the persons row `person` (NEW, or an alias)."""
    flags = _mask_sql("h.flags", "flags")
    # store.register_sql.in_register, written out: a migration's SQL never changes.
    registered = (
        f"{person}.status = 'active' AND {person}.category IS NOT NULL AND {person}.held = 0"
    )
    return (
        f"{person}.pk, {registered}, {_mask_sql(f'{person}.benefits', 'benefits')}, "
        f"coalesce((SELECT {flags} FROM households h WHERE h.id = {person}.household_id), 0), "
        + ", ".join(f"{person}.{c}" for c in _INPUT_COLUMNS)
    )


_INPUT_PERSON = (
    "    DELETE FROM rule_inputs WHERE person_pk = NEW.pk;\n"
    f"    INSERT INTO rule_inputs ({_INPUT_NAMES}) VALUES ({_input_values('NEW')});\n"
)
_INPUT_MEMBERS = (
    f"    UPDATE rule_inputs SET household_flags = ({_mask_sql('NEW.flags', 'flags')}) "
    "WHERE person_pk IN (SELECT pk FROM persons WHERE household_id = NEW.id);\n"
)
_INPUT_TRIGGERS = _row_triggers("rule_inputs", _INPUT_PERSON, _INPUT_MEMBERS, _INPUT_SOURCES)


@migrations(name="0010_rule_inputs")
def rule_inputs(db: Database) -> None:
    """What the indicators' and the 两项补贴 check's rules read of each person, in a
    narrow table of its own kept by triggers from every write, as 0009's code masks
    were (it holds them and takes their place: one row written per person still): the
    dashboard's first count reads 42k short rows instead of the wide `persons` rows
    (issue 17).  Derived like the masks: not audited itself, no column of the audited
    tables.  And the 渝馨家园 技能培训 days in an index of their own: who trained this
    year is found without reading every member's whole year (9 ms -> 0.1 ms at
    district scale); its condition is the one `domain.indicators.trained_sql` writes."""
    _run(
        db,
        """
    DROP TRIGGER code_masks_person_insert;
    DROP TRIGGER code_masks_person_update;
    DROP TRIGGER code_masks_person_delete;
    DROP TRIGGER code_masks_household_insert;
    DROP TRIGGER code_masks_household_update;
    DROP TABLE code_masks;
    CREATE TABLE rule_inputs (
        person_pk INTEGER PRIMARY KEY,  -- persons.pk
        registered INTEGER NOT NULL,  -- in the register now (store.register_sql)
        benefits INTEGER NOT NULL,  -- persons.benefits as a mask (MASKED_CODES)
        household_flags INTEGER NOT NULL,  -- the household's flags as a mask
        -- persons' columns of the same names, as they are:
        category INTEGER,
        level INTEGER,
        birth_date TEXT,
        hukou TEXT,
        cert_valid_until TEXT,
        pension_scheme TEXT,
        medical_scheme TEXT,
        school TEXT,
        trained_on TEXT,
        id TEXT,
        household_id TEXT,
        status TEXT,
        status_date TEXT,
        created_at TEXT
    );
    CREATE INDEX idx_attendance_training ON attendance(member_id, day)
        WHERE status = 'present' AND instr(services, '"training"') > 0;
    """
        + "".join(_INPUT_TRIGGERS),
    )
    db.execute(
        f"INSERT INTO rule_inputs ({_INPUT_NAMES}) SELECT {_input_values('p')} FROM persons p"
    )


@migrations(name="0011_survey_communities")
def survey_communities(db: Database) -> None:
    """Each survey entry's community (issue 17: at a street or district 第1网格 and 8栋
    exist in every community, so progress and the left list group by community too).

    `survey_entries.division_code` is derived, like the grid it sits beside in the
    progress index: triggers fill it from the entry's household whatever inserts the
    entry (a round's start, a merge) and move it with that household (a recode), so
    no writer has to know.  The households' (code, name) index lists the communities
    without reading the table.
    """
    _run(
        db,
        """
    ALTER TABLE survey_entries ADD COLUMN division_code TEXT NOT NULL DEFAULT '';
    UPDATE survey_entries SET division_code = coalesce(
        (SELECT h.division_code FROM households h WHERE h.id = survey_entries.household_id), '');
    DROP INDEX idx_survey_progress;
    CREATE INDEX idx_survey_progress ON survey_entries(
        round_id, division_code, grid, building, apart, status, method, lost_reason);
    CREATE INDEX idx_survey_household ON survey_entries(household_id);
    CREATE INDEX idx_households_division ON households(division_code, division_name);
    CREATE TRIGGER survey_entries_division AFTER INSERT ON survey_entries BEGIN
        UPDATE survey_entries SET division_code = coalesce(
            (SELECT division_code FROM households WHERE id = NEW.household_id), '')
        WHERE pk = NEW.pk;
    END;
    CREATE TRIGGER households_division_survey AFTER UPDATE OF division_code ON households
    WHEN NEW.division_code IS NOT OLD.division_code BEGIN
        UPDATE survey_entries SET division_code = NEW.division_code
        WHERE household_id = NEW.id;
    END;
    """,
    )


SCHEMA_VERSION = len(migrations._migrations)
MIGRATION_NAMES = tuple(m.name for m in migrations._migrations)
