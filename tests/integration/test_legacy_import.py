"""`pdu import legacy DIR`: the old directory with its numbers and dates, a dry run first,
all or nothing, and nothing added the second time."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.integration.test_cli import pdu

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "migration-sample"


def directory() -> dict[str, dict]:
    rows = json.loads(pdu("directory", "list", "--all", "--json").stdout)
    return {r["number"]: r for r in rows}


def test_the_sample_imports_with_its_numbers_and_dates_once(database_url):
    dry = json.loads(pdu("import", "legacy", str(SAMPLE), "--json").stdout)
    assert (dry["executed"], dry["rows"], dry["new"], dry["problems"]) == (
        False,
        {"providers.csv": 3},
        {"providers.csv": 3},
        [],
    )
    assert directory() == {}
    done = json.loads(pdu("import", "legacy", str(SAMPLE), "--execute", "--json").stdout)
    assert done["executed"] and done["new"] == {"providers.csv": 3}
    listed = directory()
    assert sorted(listed) == ["MTP-00107", "MTP-00212", "PDU-0031"]
    assert listed["MTP-00107"]["approved"] == "2019-08-15"
    again = json.loads(pdu("import", "legacy", str(SAMPLE), "--execute", "--json").stdout)
    assert again["new"] == {"providers.csv": 0} and len(again["present"]) == 3
    assert len(directory()) == 3
    # A provider approved here afterwards gets a number of its own.
    pdu("directory", "add", "New Org", "--email", "new@org.example")
    assert len(directory()) == 4


def test_one_bad_line_imports_nothing_and_names_file_and_line(database_url, tmp_path):
    pdu("directory", "add", "Taken Name", "--email", "t@org.example")  # gets MTP-00001
    shutil.copy(SAMPLE / "providers.csv", tmp_path / "providers.csv")
    with (tmp_path / "providers.csv").open("a") as handle:
        handle.write("MTP-00001,Someone Else,other,x@y.example,2018-01-01,,,,\n")
        handle.write("MTP-00900,Taken Name,other,x@y.example,2018-01-01,,,,\n")
        handle.write("MTP-00901,Bad Date,other,x@y.example,01/02/2018,,,,\n")
    (tmp_path / "certificates.csv").write_text("number\n")
    done = pdu("import", "legacy", str(tmp_path), "--execute", check=False)
    assert done.returncode == 2
    assert done.stderr == "pdu: nothing imported: 3 problem(s) listed above\n"
    assert "providers.csv line 5: MTP-00001 is already this system's number" in done.stdout
    assert "providers.csv line 6: 'Taken Name' is already in the directory as MTP-00001" in (
        done.stdout
    )
    assert "providers.csv line 7: approved_on '01/02/2018' is not a date" in done.stdout
    assert "not read by this version: certificates.csv" in done.stdout
    assert sorted(directory()) == ["MTP-00001"]
