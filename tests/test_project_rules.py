"""One set of project value rules, applied by the registry's Python API, the ORM, the template reader and the form."""

from __future__ import annotations

import re

import pytest

from renkei import project_rules
from renkei.documents.model import DocumentError
from renkei.documents.projects import HEADERS, read_projects
from renkei.registry import Registry
from renkei.registry.schema import Project
from renkei.registry.values import InvalidProjectValue


@pytest.fixture
def reg(tmp_path, directory, resolver):
    registry = Registry.open(f"sqlite:///{tmp_path / 'r.sqlite3'}", directory=directory, resolver=resolver,
                             seed=False)
    yield registry
    registry.engine.dispose()


GOOD = {"title": "物産展", "wards": ["131032"], "partners": ["043419"], "actor": "admin"}


@pytest.mark.parametrize(("values", "field"), [
    ({"source_url": "javascript:alert(1)"}, "source_url"),
    ({"source_url": "JavaScript:alert(1)"}, "source_url"),
    ({"source_url": "https://"}, "source_url"),
    ({"source_url": "https://example.jp/a b"}, "source_url"),
    ({"fiscal_year": 99999}, "fiscal_year"),
    ({"fiscal_year": 1988}, "fiscal_year"),
    ({"start_date": "2025-02-30"}, "start_date"),
    ({"start_date": "0001-01-01"}, "start_date"),
    ({"start_date": "2025-10-05", "end_date": "2025-10-04"}, "end_date"),
    ({"summary": "あ" * 2001}, "summary"),
    ({"title": "あ" * 201}, "title"),
])
def test_the_python_api_refuses_values_against_the_rules(reg, values, field):
    with pytest.raises(InvalidProjectValue) as caught:
        reg.add_project(**{**GOOD, **values})
    assert caught.value.field == field
    assert reg.count_projects() == 0  # nothing stored


def test_codes_are_checked_by_the_same_rules(reg):
    with pytest.raises(InvalidProjectValue, match="特別区"):
        reg.add_project(**{**GOOD, "wards": ["011002"]})
    with pytest.raises(InvalidProjectValue, match="全国地方公共団体コード"):
        reg.add_project(**{**GOOD, "partners": ["999999"]})


def test_good_values_are_stored(reg):
    p = reg.add_project(**GOOD, fiscal_year=2025, source_url="https://www.city.minato.tokyo.jp/",
                        start_date="2025-10-04", end_date="2025-10-05")
    assert (p.fiscal_year, p.source_url, p.start_date) == (2025, "https://www.city.minato.tokyo.jp/", "2025-10-04")


def test_an_update_is_checked_too(reg):
    p = reg.add_project(**GOOD)
    with pytest.raises(InvalidProjectValue):
        reg.update_project(p.id, p.version, {"source_url": "javascript:alert(1)"}, actor="admin")
    assert reg.project(p.id).source_url == ""


def test_a_write_through_the_orm_is_refused_before_it_reaches_the_database(reg):
    """Any code path that writes a Project row (not only the registry's functions) meets the rules."""
    p = reg.add_project(**GOOD)
    with reg.Session() as s:
        row = s.get(Project, p.id)
        row.fiscal_year = 99999
        with pytest.raises(InvalidProjectValue):
            s.commit()
    assert reg.project(p.id).fiscal_year is None


def _template(tmp_path, **cells):
    row = {"区": "港区", "連携先都道府県": "宮城県", "連携先": "亘理町", "事業名": "物産展", **cells}
    path = tmp_path / "t.csv"
    path.write_text(",".join(HEADERS) + "\n" + ",".join(row.get(h, "") for h in HEADERS) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("column", "value"), [("出典URL", "javascript:alert(1)"), ("年度", "2999"),
                                               ("開始日", "1800-01-01"), ("事業名", "あ" * 201)])
def test_the_template_reader_names_the_cell(tmp_path, column, value):
    with pytest.raises(DocumentError) as caught:
        list(read_projects(_template(tmp_path, **{column: value})))
    assert caught.value.row == 2 and caught.value.col == HEADERS.index(column) + 1
    assert column in str(caught.value)


def test_the_rules_accept_the_edges_of_their_ranges():
    assert project_rules.check_fiscal_year(1989) == 1989 and project_rules.check_fiscal_year("2100") == 2100
    assert project_rules.check_url(" http://a.example/ ") == "http://a.example/"
    assert project_rules.check_fiscal_year("２０２５") == 2025  # typed with an IME
    with pytest.raises(project_rules.ProjectValueError):
        project_rules.check_fiscal_year("٢٠٢٥")  # digits, but not ones anybody here writes a year in


def test_a_project_stored_before_a_rule_can_still_be_changed(reg):
    """Rows written before the rules (here: by plain SQL) are checked only in the fields a change touches."""
    from sqlalchemy import text

    p = reg.add_project(**GOOD)
    with reg.engine.begin() as conn:
        conn.execute(text("UPDATE projects SET fiscal_year = 1980 WHERE id = :id"), {"id": p.id})
    changed = reg.update_project(p.id, p.version, {"title": "改名"}, actor="admin")
    assert (changed.title, changed.fiscal_year) == ("改名", 1980)
    with pytest.raises(InvalidProjectValue):
        reg.update_project(p.id, changed.version, {"fiscal_year": 1981}, actor="admin")


def test_the_form_applies_the_same_rules(tmp_path, directory, resolver, make_fixtures):
    from test_web import MINATO, make_registry, sign_in

    from renkei.web import create_app

    reg = make_registry(f"sqlite:///{tmp_path / 'web.sqlite3'}", directory, resolver, make_fixtures, tmp_path)
    try:
        app = create_app(registry=reg)
        admin = sign_in(app, "jimu")
        token = re.search(r'name="csrf_token" value="([^"]+)"', admin.get("/admin/").text).group(1)
        data = {"csrf_token": token, "title": "新しい事業", "field": "観光", "fiscal_year": "2026", "start_date": "",
                "end_date": "", "summary": "", "source_url": "", "wards": [MINATO], "partners": "亘理町"}
        before = reg.count_projects()
        for changes, message in (({"source_url": "javascript:alert(1)"}, "http:// または https://"),
                                 ({"fiscal_year": "99999"}, "1989〜2100"),
                                 ({"start_date": "2026-05-01", "end_date": "2026-04-01"}, "開始日")):
            response = admin.post("/admin/projects/new", data={**data, **changes})
            assert response.status_code == 422 and message in response.text, changes
        assert reg.count_projects() == before
    finally:
        reg.engine.dispose()
