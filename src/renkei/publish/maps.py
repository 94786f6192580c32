"""Maps drawn from the shipped N03 boundaries, as SVG (and PNG through resvg): no tiles, no network.

The usual Japanese layout: the main islands fill the frame, 沖縄県 sits in a box at the top left and
the 小笠原諸島 in a box at the bottom right. Every map has a title, the as-of date, a legend and the
attribution 国土数値情報（行政区域データ）（国土交通省）を加工して作成.

Projection: equirectangular with the longitude scaled by cos 37.5° — at this size it is
indistinguishable from the conic projections atlases use, and it keeps the code small.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from ..documents.wareki import format_wareki
from ..i18n import _

if TYPE_CHECKING:
    from .opendata import OpenData

DATA = Path(__file__).resolve().parent.parent / "data"
FONT = DATA / "fonts" / "ipaexg.ttf"
ATTRIBUTION = "国土数値情報（行政区域データ）（国土交通省）を加工して作成"
FONT_FAMILY = "IPAexGothic, 'Hiragino Sans', 'Yu Gothic', Meiryo, 'Noto Sans CJK JP', 'renkei IPAex', sans-serif"
WIDTH, HEIGHT = 1000, 1060
KX = math.cos(math.radians(37.5))
SCALE = 50.0  # pixels per degree of latitude

# (lon0, lat1) of each frame's top-left corner, where it is drawn (px), and its zoom
MAIN = (128.3, 45.8, 20.0, 60.0, 1.0)
OKINAWA = (122.9, 27.95, 30.0, 120.0, 1.0)  # 沖縄県, drawn at the top left
OGASAWARA = (141.0, 27.9, 890.0, 700.0, 1.5)  # 小笠原村, drawn at the bottom right, enlarged
OKINAWA_CODE = "470007"
OGASAWARA_CODE = "134210"
TOKYO_CODE = "130001"

NO_DATA = "#d9d9d9"
COUNT_CLASSES: tuple[tuple[int, int | None, str], ...] = (  # ColorBrewer Blues (colour-blind safe, prints in grey)
    (0, 0, "#f7fbff"), (1, 9, "#c6dbef"), (10, 19, "#6baed6"), (20, 29, "#2171b5"), (30, None, "#08306b"))
COVERAGE_CLASSES: tuple[tuple[float, float | None, str], ...] = (  # percentages are rounded to 0.1
    (0, 0, "#f7fbff"), (0.1, 9.9, "#c6dbef"), (10, 24.9, "#6baed6"), (25, 49.9, "#2171b5"), (50, None, "#08306b"))
PARTNER = "#e6550d"
WARD = "#a50f15"
OTHER = "#f0f0f0"


@dataclass(frozen=True, slots=True)
class LegendItem:
    label: str
    colour: str


@cache
def boundaries(layer: str) -> dict[str, list[list[list[tuple[float, float]]]]]:
    """code → polygons → rings → (lon, lat), decoded from the packaged TopoJSON."""
    topo = json.loads((DATA / f"boundaries_{layer}.json").read_text(encoding="utf-8"))
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)

    def ring(indexes: list[int]) -> list[tuple[float, float]]:
        out: list[tuple[float, float]] = []
        for i in indexes:
            points = arcs[i] if i >= 0 else arcs[~i][::-1]
            out.extend(points[1:] if out else points)
        return out

    shapes = {}
    for code, g in topo["features"].items():
        polys = g["arcs"] if g["type"] == "MultiPolygon" else [g["arcs"]]
        shapes[code] = [[ring(r) for r in poly] for poly in polys]
    return shapes


def _frame(code: str, lon: float, lat: float) -> tuple[float, float, float, float, float] | None:
    """Which frame a ring belongs to, by where it lies: the insets take 沖縄 and 小笠原."""
    if code.startswith("47"):
        return OKINAWA
    if code in (OGASAWARA_CODE, TOKYO_CODE) and lat < 28:
        return OGASAWARA if 140.5 < lon < 143 else None  # 南鳥島・沖ノ鳥島 are too small to draw
    return MAIN


def project(frame: tuple[float, float, float, float, float], lon: float, lat: float) -> tuple[float, float]:
    lon0, lat1, ox, oy, zoom = frame
    return ox + (lon - lon0) * KX * SCALE * zoom, oy + (lat1 - lat) * SCALE * zoom


def point(code: str, lon: float, lat: float) -> tuple[float, float] | None:
    frame = _frame(code, lon, lat)
    return project(frame, lon, lat) if frame else None


def _path(code: str, polygons: Sequence[Sequence[Sequence[tuple[float, float]]]]) -> str:
    parts = []
    for poly in polygons:
        frame = _frame(code, sum(p[0] for p in poly[0]) / len(poly[0]), sum(p[1] for p in poly[0]) / len(poly[0]))
        if frame is None:
            continue
        for r in poly:
            parts.append(ring_path([project(frame, x, y) for x, y in r]))
    return "".join(parts)


def ring_path(points: Sequence[tuple[float, float]], tolerance: float = 1.0) -> str:
    """An SVG subpath for a ring, dropping points closer than ``tolerance`` px to the last one kept.

    At the sizes drawn here this removes most points with no visible change, which keeps the
    national map small enough to inline in a page on a phone.
    """
    kept = [points[0]]
    for x, y in points[1:]:
        px, py = kept[-1]
        if abs(x - px) + abs(y - py) >= tolerance:
            kept.append((x, y))
    if len(kept) < 3:
        return ""
    return "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in kept) + "Z"


def _frames_svg() -> str:
    """The inset boxes: 沖縄 (top left) and 小笠原 (bottom right), labelled."""
    boxes = [(OKINAWA, 300, 200, "沖縄県"), (OGASAWARA, 95, 290, "小笠原諸島（1.5倍）")]
    out = []
    for (*_frame, ox, oy, _scale), w, h, label in boxes:
        out.append(f'<rect class="inset" x="{ox - 10}" y="{oy - 10}" width="{w}" height="{h}" fill="none" '
                   f'stroke="#555" stroke-width="1"/><text x="{ox - 10 + w}" y="{oy - 16}" font-size="13" '
                   f'text-anchor="end">{label}</text>')
    return "".join(out)


def _legend(items: Sequence[LegendItem], title: str, x: float = 600, y: float = 800, note: str = "") -> str:
    out = [f'<g class="legend" aria-label="凡例"><text x="{x}" y="{y}" font-size="16" font-weight="bold">'
           f"{escape(title)}</text>"]
    for i, item in enumerate(items):
        yy = y + 14 + i * 26
        out.append(f'<rect class="legend-key" x="{x}" y="{yy}" width="28" height="18" fill="{item.colour}" '
                   f'stroke="#333" stroke-width="0.6"/><text x="{x + 36}" y="{yy + 14}" font-size="14" '
                   f'data-colour="{item.colour}">{escape(item.label)}</text>')
    if note:
        out.append(f'<text x="{x}" y="{y + 36 + len(items) * 26}" font-size="12">{escape(note)}</text>')
    out.append("</g>")
    return "".join(out)


def _document(title: str, subtitle: str, body: str, legend: str, attribution: Iterable[str], description: str) -> str:
    """A whole map: ``role="img"`` with a ``<title>`` and a ``<desc>`` saying in words what it shows."""
    credits = "".join(f'<text x="20" y="{HEIGHT - 14 - 16 * i}" font-size="12" fill="#333">{escape(line)}</text>'
                      for i, line in enumerate(reversed(list(attribution))))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="{FONT_FAMILY}" role="img" aria-label="{escape(title)}">'
            f"<title>{escape(title)}</title><desc>{escape(description)}</desc>"
            f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>'
            f'<text x="{WIDTH - 20}" y="40" font-size="24" font-weight="bold" text-anchor="end">{escape(title)}'
            f'</text><text x="{WIDTH - 20}" y="66" font-size="15" text-anchor="end">{escape(subtitle)}</text>'
            f"{body}{_frames_svg()}{legend}{credits}</svg>\n")


def _classify(value: float, classes: Sequence[tuple[float, float | None, str]]) -> str:
    for low, high, colour in classes:
        if value >= low and (high is None or value <= high):
            return colour
    return classes[-1][2]


def _class_label(low: float, high: float | None, unit: str) -> str:
    if high is not None and low == high:
        return f"{low:g}{unit}"
    if high is None:
        return f"{low:g}{unit}以上"
    return f"{low:g}〜{high:g}{unit}"


def prefecture_map(data: OpenData, measure: str = "count") -> str:
    """Choropleth by prefecture: partner count (``count``) or coverage % (``coverage``)."""
    shapes = boundaries("prefectures")
    declared = data.prefectures
    classes = COUNT_CLASSES if measure == "count" else COVERAGE_CLASSES
    unit = "" if measure == "count" else "%"
    body = []
    for code, name, n, total, pct in data.coverage:
        value = n if measure == "count" else pct
        colour = _classify(value, classes) if code in declared else NO_DATA
        label = f"{name}: {n}団体（{total}団体中 {pct:g}%）" if code in declared else f"{name}: 原資料に記載なし"
        body.append(f'<path class="pref" data-code="{code}" data-name="{name}" data-value="{value}" '
                    f'fill="{colour}" stroke="#4d4d4d" stroke-width="0.6" d="{_path(code, shapes[code])}">'
                    f"<title>{escape(label)}</title></path>")
    legend = [LegendItem(_class_label(lo, hi, unit if measure == "coverage" else "団体"), c) for lo, hi, c in classes]
    legend.append(LegendItem("原資料に記載なし", NO_DATA))
    what = "連携自治体数" if measure == "count" else "連携自治体の割合（%）"
    title = "特別区と連携する自治体" + ("数（都道府県別）" if measure == "count" else "の割合（都道府県別）")
    note = "" if measure == "count" else "都道府県内の地方公共団体（都道府県を含む）に占める割合"
    ranked = sorted((c for c in data.coverage if c[0] in declared and c[2]),
                    key=lambda c: -(c[2] if measure == "count" else c[4]))
    top = "、".join(_("{name}（{n}団体・{pct}%）").format(name=name, n=n, pct=f"{pct:g}")
                   for _c, name, n, _t, pct in ranked[:3])
    description = (_("{as_of}の{what}を都道府県ごとに色の濃さで示した地図。連携自治体のある都道府県は{count}。")
                   .format(as_of=_as_of(data), what=what, count=len(ranked))
                   + (_("多い順に{top}。").format(top=top) if top else "")
                   + _("色のない都道府県は原資料に記載がない。"))
    return _document(title, _as_of(data), "".join(body), _legend(legend, what, note=note),
                     (ATTRIBUTION, *_extra(data)), description)


def municipality_map(data: OpenData) -> str:
    """Partner municipalities highlighted, the 23 wards marked; prefecture borders on top."""
    from ..directory import load

    d = load()
    shapes = boundaries("municipalities")
    partners = {p.code for p in data.partners}
    pref_partners = {p.code for p in data.partners if p.kind == "prefecture"}
    body = []
    for code, polygons in shapes.items():
        e = d.get(code)
        kind = "ward" if e and e.kind == "special_ward" else "partner" if code in partners else "other"
        colour = {"ward": WARD, "partner": PARTNER, "other": OTHER}[kind]
        name = e.name if e else code
        body.append(f'<path class="muni {kind}" data-code="{code}" fill="{colour}" stroke="#bdbdbd" '
                    f'stroke-width="0.25" d="{_path(code, polygons)}"><title>{escape(name)}</title></path>')
    for p in data.partners:  # islands the simplified boundaries leave out: a dot at the office
        if p.code not in shapes and p.kind != "prefecture" and p.lat is not None and p.lon is not None:
            xy = point(p.code, p.lon, p.lat)
            if xy:
                body.append(f'<circle class="muni partner dot" data-code="{p.code}" cx="{xy[0]:.1f}" '
                            f'cy="{xy[1]:.1f}" r="3" fill="{PARTNER}"><title>{escape(p.name)}</title></circle>')
    for code, polygons in boundaries("prefectures").items():
        strong = code in pref_partners
        body.append(f'<path class="pref-border{" partner-pref" if strong else ""}" data-code="{code}" fill="none" '
                    f'stroke="{"#7f2704" if strong else "#636363"}" stroke-width="{2.2 if strong else 0.6}" '
                    f'd="{_path(code, polygons)}"/>')
    tokyo = d.prefecture("東京都")
    if tokyo and tokyo.lat and tokyo.lon:  # the 23 wards are tiny at this scale: a labelled marker
        x, y = project(MAIN, tokyo.lon, tokyo.lat)
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="7" fill="none" stroke="{WARD}" stroke-width="2"/>'
                    f'<text x="{x + 10:.1f}" y="{y + 22:.1f}" font-size="13" fill="{WARD}" stroke="#ffffff" '
                    f'stroke-width="3" paint-order="stroke">特別区（23区）</text>')
    legend = [LegendItem(f"連携自治体（{len(partners - pref_partners)}市町村）", PARTNER),
              LegendItem("特別区（23区）", WARD), LegendItem("その他の市町村", OTHER),
              LegendItem(f"都道府県（庁）が連携先: 太枠（{len(pref_partners)}）", "#7f2704")]
    description = _("{as_of}、特別区と連携する{n}市町村を色付けし、特別区（23区）を別の色で示した全国の市町村地図。"
                    "都道府県（庁）が連携先の{prefs}都道府県は太枠。").format(
        as_of=_as_of(data), n=len(partners - pref_partners), prefs=len(pref_partners))
    return _document("特別区と連携する市町村", _as_of(data), "".join(body), _legend(legend, "凡例"),
                     (ATTRIBUTION, *_extra(data)), description)


def ward_map(ward_name: str, ward: tuple[float, float], partners: Sequence[tuple[str, str, float, float]],
             as_of: str | None, attribution: Iterable[str] = ()) -> str:
    """One ward's partners (code, name, lon, lat), joined to the ward's office by lines."""
    shapes = boundaries("prefectures")
    body = [f'<path class="pref" data-code="{code}" fill="{OTHER}" stroke="#969696" stroke-width="0.5" '
            f'd="{_path(code, polys)}"/>' for code, polys in shapes.items()]
    origin = project(MAIN, *ward)
    for code, name, lon, lat in partners:
        xy = point(code, lon, lat)
        if xy is None:
            continue
        if _frame(code, lon, lat) is MAIN:
            body.append(f'<line class="link" data-code="{code}" x1="{origin[0]:.1f}" y1="{origin[1]:.1f}" '
                        f'x2="{xy[0]:.1f}" y2="{xy[1]:.1f}" stroke="{PARTNER}" stroke-width="1" opacity="0.7"/>')
        body.append(f'<circle class="partner" data-code="{code}" cx="{xy[0]:.1f}" cy="{xy[1]:.1f}" r="3.5" '
                    f'fill="{PARTNER}"><title>{escape(name)}</title></circle>')
    body.append(f'<circle cx="{origin[0]:.1f}" cy="{origin[1]:.1f}" r="6" fill="{WARD}"/>'
                f'<text x="{origin[0] + 10:.1f}" y="{origin[1] + 20:.1f}" font-size="15" fill="{WARD}">'
                f"{escape(ward_name)}</text>")
    legend = [LegendItem(f"{ward_name}", WARD), LegendItem(f"連携先（{len(partners)}）", PARTNER)]
    subtitle = f"{format_wareki(as_of)}現在" if as_of else ""
    names = "、".join(p[1] for p in partners[:10]) + (_("ほか") if len(partners) > 10 else "")
    description = (_("{ward}の庁舎と、連携先の{n}自治体の位置を線で結んだ全国地図。").format(ward=ward_name,
                                                                                    n=len(partners))
                   + (_("連携先: {names}。").format(names=names) if partners else _("連携先はまだ登録されていない。")))
    return _document(f"{ward_name}の連携先", subtitle, "".join(body), _legend(legend, "凡例"),
                     (ATTRIBUTION, *attribution), description)


def _as_of(data: OpenData) -> str:
    s = data.snapshot
    return f"{format_wareki(s.as_of)}現在" if s.as_of else f"スナップショット #{s.id}"


def _extra(data: OpenData) -> list[str]:
    from .official import source_label

    return [f"連携データ: {source_label(data.snapshot)}",
            "市区町村コード・庁舎位置: アドレス・ベース・レジストリ（デジタル庁）を加工して作成"]


RENDERERS: dict[str, Callable[[OpenData], str]] = {
    "map-prefectures": lambda d: prefecture_map(d, "count"),
    "map-coverage": lambda d: prefecture_map(d, "coverage"),
    "map-municipalities": municipality_map,
}


def render(data: OpenData, fmt: str) -> str:
    return RENDERERS[fmt](data)


def svg_to_png(svg: str, width: int = 2000) -> bytes:
    """Rasterise with resvg and the bundled IPAex font only: the same pixels on every machine."""
    import resvg_py

    return bytes(resvg_py.svg_to_bytes(svg_string=svg, width=width, font_files=[str(FONT)], skip_system_fonts=True,
                                       font_family="IPAexGothic", sans_serif_family="IPAexGothic",
                                       background="#ffffff"))


# A map holding links is a group of links: role="img" would make them presentational (axe nested-interactive).
INTERACTIVE_ROLE = "group"


def prefecture_links(svg: str, href: Callable[[str], str]) -> str:
    """Wrap each prefecture of a choropleth in a link (keyboard-focusable, titled): the clickable national map."""
    import re

    def wrap(m: re.Match[str]) -> str:
        code, name = m.group(2), m.group(3)
        return f'<a href="{escape(href(code))}" aria-label="{escape(name)}">{m.group(0)}</a>'

    linked = re.sub(r'(<path class="pref" data-code="(\d{6})" data-name="([^"]+)".*?</path>)', wrap, svg)
    return linked.replace(' role="img"', f' role="{INTERACTIVE_ROLE}"', 1)


def region_map(pref_code: str, highlight: set[str], *, marks: set[str] | frozenset[str] = frozenset(),
               href: Callable[[str], str] | None = None, width: int = 640, height: int = 560,
               title: str = "") -> str:
    """One prefecture's municipalities, fitted to the frame; ``highlight`` in the partner colour.

    Outlying islands far from the prefecture's mainland (東京都's 伊豆・小笠原) are left out of the fit
    and listed under the map by the page instead.
    """
    from ..directory import load

    d = load()
    by_code, width, height = _region_geometry(pref_code, width, height)
    body = []
    links = 0
    for code, joined in by_code.items():
        e = d.get(code)
        kind = "mark" if code in marks else "partner" if code in highlight else "other"
        colour = {"mark": WARD, "partner": PARTNER, "other": OTHER}[kind]
        name = e.name if e else code
        path = (f'<path class="muni {kind}" data-code="{code}" fill="{colour}" stroke="#969696" '
                f'stroke-width="0.5" d="{joined}"><title>{escape(name)}</title></path>')
        if href is not None and (code in highlight or code in marks):  # partners link to their pages
            body.append(f'<a href="{escape(href(code))}" aria-label="{escape(name)}">{path}</a>')
            links += 1
        else:
            body.append(path)
    label = title or (d[pref_code].name if d.get(pref_code) else pref_code)
    shown = sorted(c for c in by_code if c in highlight or c in marks)
    names = "、".join(d[c].name for c in shown[:10] if d.get(c)) + (_("ほか") if len(shown) > 10 else "")
    description = (_("{label}の{n}市区町村の地図。色付きは{shown}団体。").format(label=label, n=len(by_code),
                                                                          shown=len(shown))
                   + (_("色付き: {names}。").format(names=names) if names else "")
                   + (_("色付きの市区町村を選ぶとそのページに移動する。") if links else ""))
    role = INTERACTIVE_ROLE if links else "img"
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="{role}" '
            f'aria-label="{escape(label)}の地図" class="region-map"><title>{escape(label)}の地図</title>'
            f'<desc>{escape(description)}</desc>{"".join(body)}</svg>')


@cache
def _region_geometry(pref_code: str, width: int, height: int) -> tuple[dict[str, str], int, int]:
    """A prefecture's municipalities as SVG path data fitted to the frame, and the frame's final size.

    Projecting and simplifying the outlines is most of a region map's cost and the same for every page of the
    prefecture (each local government's page draws it), so it is done once per prefecture and size.
    """
    shapes = boundaries("municipalities")
    codes = [c for c in shapes if c.startswith(pref_code[:2])]
    rings: list[tuple[str, list[tuple[float, float]]]] = []
    for code in codes:
        for poly in shapes[code]:
            outer = poly[0]
            lat = sum(p[1] for p in outer) / len(outer)
            if pref_code == TOKYO_CODE and lat < 35.3:
                continue
            rings += [(code, r) for r in poly]
    xs = [x for _, r in rings for x, _ in r]
    ys = [y for _, r in rings for _, y in r]
    lon0, lon1, lat0, lat1 = min(xs), max(xs), min(ys), max(ys)
    scale = min((width - 20) / ((lon1 - lon0) * KX or 1), (height - 20) / ((lat1 - lat0) or 1))

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return 10 + (lon - lon0) * KX * scale, 10 + (lat1 - lat) * scale

    by_code: dict[str, list[str]] = {}
    for code, r in rings:
        by_code.setdefault(code, []).append(ring_path([xy(*p) for p in r], 0.4))
    return ({code: "".join(parts) for code, parts in by_code.items()}, round(20 + (lon1 - lon0) * KX * scale),
            round(20 + (lat1 - lat0) * scale))
