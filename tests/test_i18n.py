"""The message catalogue: complete in both languages, in step with the code, and used by templates and the CLI."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from renkei import i18n
from renkei.i18n import Message, format_date, format_datetime, gettext, use_language, wareki

FIELDS = re.compile(r"\{(\w*)[^{}]*\}|%\((\w+)\)[sdrif]")


def _ids(catalog) -> dict:
    return {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m for m in catalog if m.id}


@pytest.fixture(scope="module")
def extracted():
    from renkei.i18n_catalogue import extract

    return _ids(extract())


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_extracted_message_is_translated(extracted, lang):
    """`pybabel extract` equivalent over the package and its templates: nothing missing, nothing left over."""
    from renkei.i18n_catalogue import read

    catalogue = _ids(read(lang))
    missing = sorted(k[1] for k in extracted if k not in catalogue)
    assert not missing, f"not in the {lang} catalogue (run `make messages`): {missing[:20]}"
    untranslated = sorted(k[1] for k, m in catalogue.items()
                          if not (all(m.string) if isinstance(m.string, tuple) else m.string))
    assert not untranslated, f"no {lang} text (write it in locale/{lang}/LC_MESSAGES/renkei.po): {untranslated[:20]}"
    fuzzy = sorted(k[1] for k, m in catalogue.items() if m.fuzzy)
    assert not fuzzy, f"fuzzy {lang} messages: {fuzzy[:20]}"
    stale = sorted(k[1] for k in catalogue if k not in extracted)
    assert not stale, f"in the {lang} catalogue but no longer in the code (run `make messages`): {stale[:20]}"


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_translations_keep_their_fields(lang):
    """A translation that drops or renames {name} / %(name)s would fail at run time, in one language only."""
    from renkei.i18n_catalogue import read

    bad = []
    for m in read(lang):
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        want = {f for i in ids for f in FIELDS.findall(i)}
        for s in strings:
            if s and {f for f in FIELDS.findall(s)} - want:
                bad.append((m.id, s))
            if s and len(ids) == 1 and {f for f in FIELDS.findall(s)} != want:
                bad.append((m.id, s))
    assert not bad, bad[:10]


def test_extraction_sees_python_and_templates(extracted, tmp_path):
    """The checker is only as good as the extraction: it finds _() in code, N_() in tables and trans in templates."""
    assert (None, "誤記訂正") in extracted  # N_ in reports/__init__.py
    assert (None, "時点不明") in extracted  # gettext() in templating.py
    from babel.messages.extract import extract_from_file

    from renkei.i18n_catalogue import KEYWORDS, OPTIONS

    page = tmp_path / "page.html"
    page.write_text('{{ _("送信") }} {% trans n=3 %}{{ n }}件{% endtrans %} '
                    '{{ ngettext("%(num)d件", "%(num)d件", 2) }}', encoding="utf-8")
    found = [m[1] for m in extract_from_file("jinja2.ext:babel_extract", str(page), KEYWORDS,
                                             options=OPTIONS["templates/**.html"])]
    assert found == ["送信", "%(n)s件", ("%(num)d件", "%(num)d件")]


def test_gettext_follows_the_language(monkeypatch):
    monkeypatch.delenv("RENKEI_LANG", raising=False)
    assert i18n.current_language() == "ja"
    assert gettext("誤記訂正") == "誤記訂正"
    with use_language("en"):
        assert gettext("誤記訂正") == "corrected"
        with use_language("ja"):
            assert gettext("誤記訂正") == "誤記訂正"
        assert i18n.lazy_gettext("誤記訂正") == "corrected"
    monkeypatch.setenv("RENKEI_LANG", "en_US.UTF-8")
    assert i18n.current_language() == "en"
    monkeypatch.setenv("RENKEI_LANG", "fr")
    assert i18n.current_language() == "ja"


def test_lazy_strings_translate_when_shown():
    label = i18n.lazy_gettext("誤記訂正")
    with use_language("en"):
        assert f"[{label}]" == "[corrected]"
    assert str(label) == "誤記訂正"


def test_templates_translate(monkeypatch):
    from renkei.templating import environment

    monkeypatch.delenv("RENKEI_LANG", raising=False)
    page = environment().from_string(
        '<html lang="{{ language() }}">{{ _("誤記訂正") }}/{{ "corrected"|status_label }}/{{ "x<y"|status_label }}'
        '/{{ "2025-08-01"|date_ja }}</html>')
    assert page.render() == '<html lang="ja">誤記訂正/誤記訂正/x&lt;y/令和7年8月1日 (2025-08-01)</html>'
    with use_language("en"):
        assert page.render() == '<html lang="en">corrected/corrected/x&lt;y/2025-08-01</html>'


def test_structured_message_renders_in_the_readers_language():
    m = Message("status", "{label}：{n}件", {"label": Message("s", "誤記訂正"), "n": 3})
    assert str(m) == "誤記訂正：3件"
    assert m.json_params() == {"label": "誤記訂正", "n": 3}
    with use_language("en"):
        assert m.json_params() == {"label": "corrected", "n": 3}


def test_cli_lang_option_and_environment(monkeypatch):
    from click.testing import CliRunner

    from renkei.cli import cli

    seen = []
    monkeypatch.setattr(i18n, "set_language", lambda lang: seen.append(lang))
    runner = CliRunner()
    assert runner.invoke(cli, ["--lang", "en", "template", "--help"]).exit_code == 0
    assert runner.invoke(cli, ["template", "--help"], env={"RENKEI_LANG": "en"}).exit_code == 0
    assert runner.invoke(cli, ["--lang", "fr", "template", "--help"]).exit_code == 2
    assert seen == ["en", "en"]
    monkeypatch.undo()
    assert runner.invoke(cli, ["--lang", "en", "template", "--help"]).exit_code == 0
    assert i18n.current_language() == "ja"  # a run's --lang ends with the run (CliRunner shares the process)


def test_dates_in_wareki_and_seireki():
    assert wareki("2025-08-01") == "令和7年8月1日"
    assert wareki("2019-05-01") == "令和元年5月1日"
    assert wareki("2019-04-30") == "平成31年4月30日"
    assert format_date("2025-08-01", "ja") == "令和7年8月1日 (2025-08-01)"
    assert format_date("2025-08-01", "en") == "2025-08-01"
    assert format_date(None, "ja") == "日付不明"
    assert format_date(None, "en") == "date unknown"


def test_times_are_stored_utc_and_shown_in_japan_time():
    stored = datetime(2025, 7, 31, 15, 30)  # naive = UTC, as the registry stores it
    assert format_datetime(stored, "ja") == "2025-08-01 00:30"
    assert format_datetime(stored.replace(tzinfo=UTC).isoformat(), "en") == "2025-08-01 00:30 JST"
    assert format_datetime("2025-07-31T15:30:05+00:00", "ja", seconds=True) == "2025-08-01 00:30:05"
    assert format_datetime(None) == "-"
    assert i18n.utcnow().tzinfo is UTC


def test_catalogues_compile(tmp_path):
    """What setup.py runs at build time: every .po compiles to a .mo that gettext reads."""
    import gettext as stdlib
    import shutil

    shutil.copytree(i18n.LOCALE_DIR, tmp_path / "locale", ignore=shutil.ignore_patterns("*.mo"))
    written = i18n.compile_catalogues(tmp_path / "locale")
    assert sorted(p.parent.parent.name for p in written) == ["en", "ja"]
    en = stdlib.translation(i18n.DOMAIN, tmp_path / "locale", ["en"])
    assert en.gettext("誤記訂正") == "corrected"


def test_template_instructions_are_japanese(tmp_path, monkeypatch):
    """The template's 記入方法 sheet: no English sentence, only column names, examples, URLs and format names."""
    from openpyxl import load_workbook

    from renkei.documents.projects import write_template

    monkeypatch.delenv("RENKEI_LANG", raising=False)
    xlsx = next(p for p in write_template(tmp_path) if p.suffix == ".xlsx")
    wb = load_workbook(xlsx)
    texts = [str(c.value) for row in wb["記入方法"].iter_rows() for c in row if c.value is not None]
    texts += [c.comment.text for row in wb["連携事業"].iter_rows(max_row=1) for c in row if c.comment]
    assert len(texts) > 30
    words = {w for t in texts for w in re.findall(r"[A-Za-z]{2,}", re.sub(r"https?://\S+", "", t))}
    assert words <= {"URL"}, words
    with use_language("en"):
        write_template(tmp_path / "en")
    english = load_workbook(tmp_path / "en" / xlsx.name)["記入方法"]
    assert any("the partner" in str(c.value) for row in english.iter_rows() for c in row)


def test_no_function_hides_the_gettext_alias():
    """`_` is gettext wherever a module imports it: a function that also binds `_` (``key, _, code = …``) makes
    every ``_("…")`` in that function fail at run time (UnboundLocalError), on an error path that is rarely run."""
    import ast
    from pathlib import Path

    import renkei

    bad = []
    for path in Path(renkei.__path__[0]).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imports_alias = any(isinstance(n, ast.ImportFrom) and any((a.asname or a.name) == "_" for a in n.names)
                            for n in ast.walk(tree))
        if not imports_alias:
            continue
        for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                targets = node.targets if isinstance(node, ast.Assign) else \
                    [node.target] if isinstance(node, ast.For | ast.AnnAssign | ast.AugAssign) else []
                names = [t for target in targets for t in ast.walk(target) if isinstance(t, ast.Name)]
                if any(n.id == "_" for n in names):
                    bad.append(f"{path.name}:{node.lineno} in {fn.name}")
    assert not bad, bad


def test_change_labels_and_template_summaries_come_from_the_catalogue():
    """A change's action and state, and a template's summary of bad rows, read in the reader's language."""
    import dataclasses

    from renkei.documents.projects import RowProblems
    from renkei.i18n import use_language
    from renkei.registry.changes import ChangeView

    view = ChangeView(**{**{f.name: None for f in dataclasses.fields(ChangeView)},
                         "action": "update", "state": "superseded"})
    problems = RowProblems()
    assert (view.action_label, view.state_label) == ("変更", "置き換え済み")
    assert problems.summary().startswith("問題のある行が0件")
    with use_language("en"):
        assert view.state_label == "replaced" and view.action_label != "変更"
        assert problems.summary().startswith("0 rows have problems")
