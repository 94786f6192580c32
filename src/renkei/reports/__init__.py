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
# an error needs review (exit 1), a warning fails only with --strict; the totals use the same two words
SEVERITY_LABELS = {"error": N_("エラー"), "warning": N_("警告")}

# what each kind of problem is called where a person reads it (the reports' 種類 column); new kinds add theirs here
PROBLEM_KIND_LABELS = {
    "count_mismatch": N_("件数の不一致"), "rows_lost": N_("行の欠落"), "count_mismatch_cause": N_("件数の超過"),
    "duplicate": N_("重複"), "wrong_prefecture": N_("都道府県の違い"), "order": N_("並び順"),
    "unknown_prefecture": N_("都道府県名でない"), "duplicate_block": N_("ブロックの重複"),
    "block_order": N_("ブロックの順序"), "missing_prefectures": N_("都道府県の欠落"), "structure": N_("構成"),
    "note": N_("注記"), "not_a_name": N_("自治体名でない値"), "prefecture": N_("都道府県不明"),
    "count": N_("件数なし"), "total": N_("合計"),
}


def label(labels: dict[str, str], key: str) -> str:
    """A status, severity or problem kind in the reader's language (the key itself when it has no label)."""
    from ..i18n import gettext

    return gettext(labels[key]) if key in labels else key
