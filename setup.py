"""Build hook: compile the message catalogues (locale/*/LC_MESSAGES/renkei.po → .mo) whenever the package is built.

Everything else is declared in pyproject.toml. The .mo files are build products (not committed): this runs for a
wheel, an sdist install and ``pip install -e .`` alike, writing them next to their .po in the source tree so an
editable install sees them too. It loads renkei/i18n.py by path (it needs only Babel and the standard library),
so the compiler is the one the package itself uses.
"""

import importlib.util
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

I18N = Path(__file__).parent / "src" / "renkei" / "i18n.py"


class BuildPyWithCatalogues(build_py):
    def run(self) -> None:
        spec = importlib.util.spec_from_file_location("_renkei_i18n_build", I18N)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
        if not module.compile_catalogues():
            raise RuntimeError("no message catalogue found under src/renkei/locale")
        super().run()


setup(cmdclass={"build_py": BuildPyWithCatalogues})
