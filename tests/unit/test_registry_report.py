import io
from dataclasses import replace
from datetime import UTC, date, datetime

from ptsp.registry import Record, Status, export_csv, sla_report, working_days_between


def test_working_days_mon_fri() -> None:
    fri, mon = date(2025, 3, 7), date(2025, 3, 10)
    assert working_days_between(fri, mon) == 1
    assert working_days_between(mon, mon) == 0
    assert working_days_between(mon, date(2025, 3, 17)) == 5
    assert working_days_between(mon, date(2025, 3, 31)) == 15
    assert working_days_between(mon, date(2025, 3, 17), holidays=[date(2025, 3, 12)]) == 4
    assert working_days_between(date(2025, 3, 3), fri) == 4
    assert working_days_between(mon, date(2025, 3, 1)) == 0


BASE = Record(
    number="503/0001/PBG/DPMPTSP-BLG/III/2025", application_id="A1", permit="PBG",
    status=Status.ISSUED, seq=1, scope="office", year=2025, token="t" * 32,
    holder_name="=HYPERLINK(\"x\")", holder_nik_masked="6311**********01",
    received_on=date(2025, 3, 3), approved_on=date(2025, 3, 5),
    reserved_at=datetime(2025, 3, 5, 1, tzinfo=UTC), issued_at=datetime(2025, 3, 6, 2, tzinfo=UTC),
    sha256="a" * 64, signed_sha256=None, path="/x.pdf", signer_subject="CN=K",
    signer_fingerprint="ff", replaces=None, replaced_by=None, status_reason=None,
    status_decree=None, status_changed_at=None, data={"alamat": "Paringin"},
)


class ListOnly:
    """Just enough of a Registry for the report functions."""

    def __init__(self, recs: list[Record]) -> None:
        self.recs = recs

    def list(self, *, status=None, permit=None, limit=None) -> list[Record]:
        return [r for r in self.recs if (status is None or r.status is status)
                and (permit is None or r.permit == permit)]


def test_sla_flags_late_and_deemed_effective() -> None:
    recs = [
        BASE,  # received Mon 3 Mar, issued Thu 6 Mar: 3 working days, standard 5: on time
        replace(BASE, number="N2", application_id="A2", received_on=date(2025, 2, 3),
                issued_at=datetime(2025, 2, 20, 3, tzinfo=UTC)),  # 13 days: late
        replace(BASE, number="N3", application_id="A3", status=Status.RESERVED,
                issued_at=None, received_on=date(2025, 3, 3)),  # pending, 9 days by 14 Mar
        replace(BASE, number="N4", status=Status.VOIDED),  # ignored
        replace(BASE, number="N5", permit="SIP", received_on=None),  # no date: skipped
    ]
    report = sla_report(ListOnly(recs), {"PBG": (5, 0), "SIP": (0, 60)}, today=date(2025, 3, 14))
    by_number = {r.number: r for r in report.rows}
    assert set(by_number) == {BASE.number, "N2", "N3"}
    assert by_number[BASE.number].elapsed_working_days == 3 and not by_number[BASE.number].late
    assert by_number["N2"].late and not by_number["N2"].deemed_effective
    assert by_number["N3"].late and by_number["N3"].deemed_effective
    assert by_number["N3"].over_by == 4
    assert report.skipped_no_received_date == 1
    doc = report.as_dict()
    assert doc["late_count"] == 2 and doc["summary"]["PBG"]["pending"] == 1
    only_march = sla_report(ListOnly(recs), {"PBG": (5, 0)}, date_from=date(2025, 3, 1),
                            today=date(2025, 3, 14))
    assert {r.number for r in only_march.rows} == {BASE.number, "N3"}


def test_minutes_standard_means_same_day() -> None:
    rec = replace(BASE, permit="SIP", issued_at=datetime(2025, 3, 4, 2, tzinfo=UTC))
    report = sla_report(ListOnly([rec]), {"SIP": (0, 60)}, today=date(2025, 3, 14))
    assert report.rows[0].standard_working_days == 0 and report.rows[0].late


def test_export_csv_guards_formulas_and_hides_token() -> None:
    out = io.StringIO()
    n = export_csv(ListOnly([BASE, replace(BASE, number="N9", status=Status.VOIDED)]), out)
    lines = out.getvalue().splitlines()
    assert n == 1 and len(lines) == 2
    assert lines[0].startswith("number,application_id,permit,status")
    assert "token" not in lines[0] and "t" * 32 not in lines[1]
    assert "'=HYPERLINK" in lines[1]
