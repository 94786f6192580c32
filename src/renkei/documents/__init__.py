"""Readers for the published lists: TSV/CSV/text, XLSX, XLS and PDF → :class:`PublishedList`."""

from .model import Block, Cell, DocumentError, NotOfficialLayout, PublishedList, cell_name
from .readers import FORMATS, MAX_BYTES, read, sniff_format

__all__ = ["FORMATS", "MAX_BYTES", "Block", "Cell", "DocumentError", "NotOfficialLayout", "PublishedList", "cell_name",
           "read", "sniff_format"]
