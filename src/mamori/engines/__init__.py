"""Framework-free engines: plain Python, no Django imports (a test enforces it).

Some engine modules are also compiled by the build where a C compiler is present;
:mod:`mamori.engines.native` makes sure a compiled module never runs after its source changed.
"""

from mamori.engines.native import install_guard

install_guard()

__all__: list[str] = []
