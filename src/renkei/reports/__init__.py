"""Renderings of a validation :class:`~renkei.validate.Report`: text (terminal), HTML and XLSX.

Each renderer takes the report and returns text or bytes; none of them decides anything.
"""

from ..i18n import N_

# msgids: shown through i18n.gettext (the templates' status_label/severity_label filters)
STATUS_LABELS = {
    "exact": N_("一致"),
    "normalized": N_("表記ゆれ"),
    "variant": N_("異体字"),
    "corrected": N_("誤記訂正"),
    "merged": N_("合併・改称"),
    "ambiguous": N_("要確認（候補複数）"),
    "unresolved": N_("不明"),
    "multiple": N_("複数の名称"),
    "reviewed": N_("確認済み"),
}
SEVERITY_LABELS = {"error": N_("要確認"), "warning": N_("注意")}
