from datetime import UTC, datetime, timedelta

from ptsp.registry.audit import GENESIS, canonical_json, check_chain, entry_hash


def _chain(n: int) -> list[tuple]:
    rows, prev = [], GENESIS
    t0 = datetime(2025, 3, 3, 1, 2, 3, 456789, tzinfo=UTC)
    for i in range(1, n + 1):
        at = t0 + timedelta(seconds=i)
        detail = canonical_json({"i": i, "nama": "Siti Aisyah"})
        h = entry_hash(prev_hash=prev, id=i, at=at, actor="clerk", action="reserved",
                       number=f"N{i}", detail_json=detail)
        rows.append((i, at, "clerk", "reserved", f"N{i}", detail, prev, h))
        prev = h
    return rows


def test_canonical_json_is_deterministic() -> None:
    assert canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'
    assert canonical_json({"d": datetime(2025, 1, 1, tzinfo=UTC)}) == \
        '{"d":"2025-01-01T00:00:00+00:00"}'


def test_intact_chain() -> None:
    rows = _chain(5)
    check = check_chain(rows, head=(5, rows[-1][7]))
    assert check.ok and check.entries == 5 and check.first_bad is None


def test_altered_field_names_the_entry() -> None:
    rows = _chain(5)
    rows[2] = rows[2][:2] + ("mallory",) + rows[2][3:]
    check = check_chain(rows, head=(5, rows[-1][7]))
    assert not check.ok and check.first_bad == 3 and "entry 3" in check.message


def test_same_instant_in_another_zone_hashes_the_same() -> None:
    at = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
    wita = at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Makassar"))
    kw = {"prev_hash": GENESIS, "id": 1, "actor": "a", "action": "x", "number": None,
          "detail_json": "{}"}
    assert entry_hash(at=at, **kw) == entry_hash(at=wita, **kw)


def test_missing_middle_and_cut_tail_are_detected() -> None:
    rows = _chain(5)
    gap = check_chain(rows[:2] + rows[3:], head=(5, rows[-1][7]))
    assert not gap.ok and gap.first_bad == 3
    cut = check_chain(rows[:4], head=(5, rows[-1][7]))
    assert not cut.ok and cut.first_bad == 5 and "removed" in cut.message


def test_rehashed_forgery_breaks_the_link_of_the_next_entry() -> None:
    rows = _chain(4)
    i, at, _actor, action, number, detail, prev, _h = rows[1]
    forged = entry_hash(prev_hash=prev, id=i, at=at, actor="mallory", action=action,
                        number=number, detail_json=detail)
    rows[1] = (i, at, "mallory", action, number, detail, prev, forged)
    check = check_chain(rows, head=(4, rows[-1][7]))
    assert not check.ok and check.first_bad == 3
