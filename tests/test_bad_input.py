"""Bad input: a clear error naming the file (and sheet, page, row, cell), never a traceback."""

import contextlib
import zipfile

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from renkei.cli import cli
from renkei.documents import DocumentError, read


def fails(path, match, **kw):
    with pytest.raises(DocumentError, match=match) as info:
        read(path, **kw)
    assert str(path) in str(info.value)
    return info.value


def test_empty(tmp_path):
    (p := tmp_path / "empty.tsv").write_bytes(b"")
    fails(p, "ファイルが空です")


def test_binary(tmp_path):
    (p := tmp_path / "x.bin").write_bytes(bytes(range(256)) * 4)
    fails(p, "バイナリファイルです")


def test_mixed_encoding_names_the_line(tmp_path):
    data = "特別区連携\n都道府県\t自治体数\t名\n".encode() + "北海道\t1\t札幌市\n".encode("cp932")
    (p := tmp_path / "mixed.tsv").write_bytes(data)
    err = fails(p, "文字コードが混在しています")
    assert err.row == 3


def test_truncated_xlsx(tmp_path, fixtures_dir):
    data = fixtures_dir["xlsx"].read_bytes()
    (p := tmp_path / "cut.xlsx").write_bytes(data[: len(data) // 2])
    fails(p, "XLSX ファイルが壊れているか、途中で切れています")


def test_xlsx_without_workbook(tmp_path):
    p = tmp_path / "notbook.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("hello.txt", "hi")
    fails(p, "XLSX ファイルが壊れて")


def test_scanned_pdf_needs_ocr(tmp_path):
    from reportlab.pdfgen import canvas

    p = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(p))
    c.rect(50, 50, 300, 300, fill=1)  # an "image" of a table: no text layer
    c.save()
    fails(p, "OCR が必要です")


def test_encrypted_pdf(tmp_path):
    from reportlab.pdfgen import canvas

    p = tmp_path / "locked.pdf"
    c = canvas.Canvas(str(p), encrypt="secret")
    c.drawString(100, 100, "locked")
    c.save()
    fails(p, "PDF が暗号化されています")


def test_broken_pdf(tmp_path):
    (p := tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\n garbage \x00\x01")
    fails(p, "PDF が壊れているか")


def test_missing_headers(tmp_path):
    (p := tmp_path / "noheader.tsv").write_text("北海道\t54\t札幌市\n", encoding="utf-8")
    fails(p, "見出し行.*が見つかりません")


def test_count_not_a_number_names_the_cell(tmp_path):
    text = "都道府県\t自治体数\t名\n北海道\t五十四\t札幌市\n"
    (p := tmp_path / "count.tsv").write_text(text, encoding="utf-8")
    err = fails(p, "が数ではありません")
    assert (err.row, err.col) == (2, 2)
    assert "2行目、セルB2：" in str(err)


def test_xlsx_count_error_names_the_sheet(tmp_path):
    import make_fixtures

    grid = [["都道府県", "自治体数", "名"], ["北海道", "多数", "札幌市"]]
    p = make_fixtures.write_xlsx([["題"], *grid], tmp_path / "bad.xlsx", sheets=1)
    err = fails(p, "が数ではありません")
    assert err.sheet == "一覧1" and "シート「一覧1」" in str(err)


def test_huge_file(tmp_path):
    p = tmp_path / "huge.tsv"
    with p.open("wb") as f:
        f.truncate(50 * 1024 * 1024)
    fails(p, "上限 20 MB")


def test_cli_reports_one_line_and_exit_2(tmp_path):
    (p := tmp_path / "empty.csv").write_bytes(b"")
    result = CliRunner().invoke(cli, ["check", str(p)])
    assert result.exit_code == 2
    assert result.output.strip() == f"エラー：ファイル「{p}」：ファイルが空です"
    assert "Traceback" not in result.output


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_fuzz_bytes_never_crash(data):
    with contextlib.suppress(DocumentError):
        read("fuzz.bin", data=data)


cells = st.text(alphabet=st.sampled_from(list("北海道県市町村0123456789,\"\t\n 　都道府県自治体数")), max_size=8)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(cells, max_size=12), max_size=20), st.sampled_from(["\t", ","]))
def test_fuzz_grids_never_crash(grid, sep):
    text = "\n".join(sep.join(r) for r in [["都道府県", "自治体数", "名"], *grid])
    try:
        doc = read("fuzz.tsv", data=text.encode())
    except DocumentError:
        return
    assert all(isinstance(b.declared, int | None) for b in doc.blocks)
