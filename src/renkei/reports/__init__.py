"""Renderings of a validation :class:`~renkei.validate.Report`: text (terminal), HTML and XLSX.

Each renderer takes the report and returns text or bytes; none of them decides anything.
"""

STATUS_LABELS = {
    "exact": "一致",
    "normalized": "表記ゆれ",
    "variant": "異体字",
    "corrected": "誤記訂正",
    "merged": "合併・改称",
    "ambiguous": "要確認（候補複数）",
    "unresolved": "不明",
    "multiple": "複数の名称",
    "reviewed": "確認済み",
}
SEVERITY_LABELS = {"error": "要確認", "warning": "注意"}
