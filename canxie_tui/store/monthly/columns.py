"""The register's figures in SQL: who is in the register at `until`, their sex and age band."""

from __future__ import annotations

from canxie_tui.store.register_sql import in_register_at

WHOLE = ""  # the key of the one group when the figures are not grouped by division
UNKNOWN = ""  # the key of people whose sex or age is not recorded
SEXES = ("男", "女")
# Age bands at `until` (full years): key -> label; UNKNOWN when no birth date is known.
AGE_BANDS = {"0-17": "0–17岁", "18-59": "18–59岁", "60+": "60岁及以上"}

_IN_REGISTER = in_register_at("p", ":until")
_PERSONS = "FROM persons p JOIN households h ON h.id = p.household_id"
# The birth date, or the one the ID number carries (GB 11643: digits 7-14).
_BIRTH = (
    "coalesce(nullif(p.birth_date, ''), CASE WHEN length(p.id_number) = 18 THEN "
    "substr(p.id_number, 7, 4) || '-' || substr(p.id_number, 11, 2) || '-' || "
    "substr(p.id_number, 13, 2) END)"
)
# domain.dates.age_on in SQL: full years on :until (a birthday not yet reached that year).
_AGE = (
    f"(CAST(substr(:until, 1, 4) AS INTEGER) - CAST(substr({_BIRTH}, 1, 4) AS INTEGER) "
    f"- (substr({_BIRTH}, 6, 5) > substr(:until, 6, 5)))"
)
_BAND = (
    f"CASE WHEN {_BIRTH} IS NULL THEN '' WHEN {_AGE} < 18 THEN '0-17' "
    f"WHEN {_AGE} < 60 THEN '18-59' ELSE '60+' END"
)
# The recorded sex, or the one the ID number carries (17th digit: odd 男, even 女).
_SEX = (
    "CASE WHEN p.sex IN ('男', '女') THEN p.sex WHEN length(p.id_number) = 18 "
    "AND substr(p.id_number, 17, 1) BETWEEN '0' AND '9' THEN "
    "CASE WHEN CAST(substr(p.id_number, 17, 1) AS INTEGER) % 2 = 1 THEN '男' ELSE '女' END "
    "ELSE '' END"
)
_MONTH_VISITS = (
    "FROM visits v JOIN households h ON h.id = v.household_id "
    "WHERE v.deleted = 0 AND v.visit_date BETWEEN :first AND :last"
)
