"""Every page type of the site, found by following its links (so a new page linked from anywhere is checked too).

A *type* is a path with its numbers replaced and its query's parameter names: ``/gov/043613/`` and
``/gov/131024/`` are one type, ``/search/`` and ``/search/?q=…`` two. The crawl stays on the site,
follows GET links only, and skips files (downloads, the API's JSON/CSV, static assets).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl, urljoin, urlsplit

Fetch = Callable[[str], tuple[int, str, str]]  # url -> (status, content type, text)
SKIP = re.compile(r"^/(static|downloads/\d+|api/v1)/|\.(csv|json|tsv|xlsx|pdf|png|svg|geojson|sqlite3|ico)$")


def page_type(url: str) -> str:
    parts = urlsplit(url)
    names = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return re.sub(r"\d+", "N", parts.path) + ("?" + "&".join(names) if names else "")


def links(html: str, base: str) -> list[str]:
    out = []
    for href in re.findall(r'<a\s[^>]*?href="([^"#]*)', html):
        url = urljoin(base, href.replace("&amp;", "&"))
        if url.startswith("/") and not url.startswith("//") and not SKIP.search(urlsplit(url).path):
            out.append(url)
    return out


def crawl(fetch: Fetch, start: Iterable[str], limit: int = 80) -> dict[str, tuple[str, str]]:
    """One page of each type reachable from ``start``: {type: (url, html)}."""
    queue, seen, found = list(start), set(), {}
    while queue and len(found) < limit:
        url = queue.pop(0)
        kind = page_type(url)
        if kind in seen:
            continue
        seen.add(kind)
        status, content_type, text = fetch(url)
        if status != 200 or not content_type.startswith("text/html"):
            continue
        found[kind] = (url, text)
        queue += links(text, url)
    return found
