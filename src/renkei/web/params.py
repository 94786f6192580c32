"""Bounds for numbers a request carries into the database, so that none can overflow a column (a 500).

PostgreSQL's ``INTEGER`` ends at 2^31 - 1 and SQLite's at 2^63 - 1; an id or offset beyond the
smaller one is refused with 422 (a path id out of range is a resource that cannot exist).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

MAX_ID = 2**31 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]

# A ward's projects are shown a page at a time (the HTML page and /api/v1/wards/{code}): at scale a ward has
# thousands, and one unpaged page was 1 MB.
PAGE = 100
MAX_PAGE = 500
PageLimit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Projects per page (at most {MAX_PAGE})")]
PageOffset = Annotated[int, Query(ge=0, le=MAX_ID, description="How many projects to skip")]
