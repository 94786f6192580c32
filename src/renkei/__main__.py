"""``python -m renkei``. The guard keeps the worker processes that ``serve --workers N`` spawns
(they import this module as ``__mp_main__``) from running the command again."""

from renkei.cli import main

if __name__ == "__main__":
    main()
