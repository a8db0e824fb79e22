"""Several processes on one database: no duplicate, no gap, one audit chain."""

from collections import Counter, defaultdict

import pytest

from ptsp.registry import open_registry
from tests.registry_support import *  # noqa: F403
from tests.registry_support import reserve_worker, run_workers, same_ids_worker

pytestmark = pytest.mark.integration


def _assert_gapless(url: str, expected: dict[str, int]) -> None:
    reg = open_registry(url, migrate=False)
    try:
        seqs: dict[tuple[str, int], list[int]] = defaultdict(list)
        recs = reg.list()
        for r in recs:
            seqs[(r.scope, r.year)].append(r.seq)
        assert {scope: len(v) for (scope, _), v in seqs.items()} == expected
        for v in seqs.values():
            assert sorted(v) == list(range(1, len(v) + 1))  # no duplicate, no gap
        assert len({r.number for r in recs}) == len(recs)
        assert len({r.token for r in recs}) == len(recs)
        check = reg.audit_check()
        assert check.ok, check.message
        assert check.entries == len(recs)
    finally:
        reg.close()


def test_8_processes_take_2000_numbers_office_year(
    registry_url: str, registry_backend: str
) -> None:
    wall, results = run_workers(reserve_worker, 8, registry_url, {}, 250, ("PBG",))
    numbers = [n for taken in results for n in taken]
    assert len(numbers) == 2000
    assert [n for n, c in Counter(numbers).items() if c > 1] == []
    _assert_gapless(registry_url, {"office": 2000})
    print(f"\n[{registry_backend}] 2,000 reservations by 8 processes, office_year: {wall:.2f} s")


def test_8_processes_take_2000_numbers_permit_year(
    registry_url: str, registry_backend: str
) -> None:
    policy = {"scope": "permit_year"}
    wall, results = run_workers(reserve_worker, 8, registry_url, policy, 250, ("PBG", "SIP"))
    numbers = [n for taken in results for n in taken]
    assert len(set(numbers)) == len(numbers) == 2000
    _assert_gapless(registry_url, {"permit:PBG": 1000, "permit:SIP": 1000})
    print(f"\n[{registry_backend}] 2,000 reservations by 8 processes, permit_year: {wall:.2f} s")


def test_4_processes_reserving_the_same_50_applications_get_50_numbers(
    registry_url: str,
) -> None:
    app_ids = [f"APP-{i:03d}" for i in range(50)]
    _, results = run_workers(same_ids_worker, 4, registry_url, app_ids)
    assert all(r == results[0] for r in results)  # every process saw the same number per app
    assert len(set(results[0].values())) == 50
    _assert_gapless(registry_url, {"office": 50})
