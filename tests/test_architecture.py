"""The package has no import cycles: every module can be understood (and changed) after the ones it imports.

grimp builds the import graph from the source, counting imports inside functions too
(a lazy import still ties two modules together); only ``if TYPE_CHECKING:`` imports are left out.
"""

from __future__ import annotations

import grimp


def find_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """One shortest cycle per direct import that closes one, each written as the chain of modules."""
    cycles: dict[frozenset[str], list[str]] = {}
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back:
                chain = [importer, *back]
                cycles.setdefault(frozenset(chain), chain)
    return list(cycles.values())


def test_no_import_cycles() -> None:
    cycles = find_cycles(grimp.build_graph("renkei", exclude_type_checking_imports=True))
    assert not cycles, "import cycles:\n" + "\n".join(" → ".join(c) for c in cycles)


def test_the_check_finds_a_cycle() -> None:
    """The check itself can fail: a → b → c → a is reported once; c → d alone is not a cycle."""
    graph = grimp.ImportGraph()
    for m in ("pkg", "pkg.a", "pkg.b", "pkg.c", "pkg.d"):
        graph.add_module(m)
    for importer, imported in (("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")):
        graph.add_import(importer=f"pkg.{importer}", imported=f"pkg.{imported}")
    assert [sorted(c) for c in find_cycles(graph)] == [["pkg.a", "pkg.a", "pkg.b", "pkg.c"]]
