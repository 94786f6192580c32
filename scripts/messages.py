"""``make messages``: extract every message from the code and templates into both catalogues, then compile them.

New ids get their Japanese (the id itself) at once; the English is left empty and listed here, and
``tests/test_i18n.py`` fails until someone writes it in src/renkei/locale/en/LC_MESSAGES/renkei.po (by hand, or
``python scripts/messages.py --set en translations.json`` with a JSON object {msgid: text, or [singular, plural]}).
"""

import json
import sys

from renkei.i18n import compile_catalogues
from renkei.i18n_catalogue import read, set_translations, update

if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--set":
        with open(sys.argv[3], encoding="utf-8") as f:
            given = {k: tuple(v) if isinstance(v, list) else v for k, v in json.load(f).items()}
        for msgid in set_translations(sys.argv[2], given):
            print(f"not in the catalogue (run make messages first?): {msgid!r}")
    missing = update()
    compile_catalogues()
    for message in read("en"):
        if message.id and not (all(message.string) if isinstance(message.string, tuple) else message.string):
            print(f"English needed: {message.id!r}")
    print(f"catalogues updated; English missing for {missing['en']} message(s)")
