"""Build hook: compile the engines that must be fast, where a C compiler is present.

Configured in ``pyproject.toml`` (``[tool.hatch.build.targets.wheel.hooks.custom]``):

- ``mypyc``: engine modules compiled with mypyc (they are mypy --strict already);
- ``extensions``: C extensions (name, sources, libraries).

Each is a *group*: all of it is built or none of it. A group that cannot be built (no compiler,
no OpenSSL headers) is skipped with a warning and mamori runs that code as plain Python;
``MAMORI_PURE_PYTHON=1`` skips them all. The built files go beside their sources for an
editable install (what ``uv sync`` makes) or into the wheel, with ``mamori/engines/_native.json``
naming each module's source and its SHA-256, which :mod:`mamori.engines.native` checks at
import so that a module edited after it was compiled runs from its source.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

MANIFEST = "mamori/engines/_native.json"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _build_ext(extensions: list[Any], work: Path) -> list[Path]:
    """Compile setuptools extensions into ``work/lib``; return the built files."""
    from setuptools import Distribution
    from setuptools.command.build_ext import build_ext

    command = build_ext(Distribution({"name": "mamori-engines", "ext_modules": extensions}))
    command.build_lib = str(work / "lib")
    command.build_temp = str(work / "temp")
    command.ensure_finalized()
    command.run()
    return [Path(output) for output in command.get_outputs()]


def _mypyc(sources: list[str], src: Path, work: Path) -> list[Path]:
    from mypyc.build import mypycify

    # mypy names modules from their package folders; it runs from the scratch folder with a
    # config of its own (the project's loads the Django plugin, absent from the build)
    (work / "mypy.ini").write_text("[mypy]\nstrict = True\nignore_missing_imports = True\n")
    here = Path.cwd()
    os.chdir(work)
    try:
        extensions = mypycify(
            [str(src / source) for source in sources],
            opt_level="3",
            group_name="mamori.engines._compiled",
            target_dir=str(work / "mypyc"),
        )
    finally:
        os.chdir(here)
    return _build_ext(extensions, work)


def _c_extensions(specs: list[dict[str, Any]], src: Path, work: Path) -> list[Path]:
    from setuptools import Extension

    extensions = [
        Extension(
            spec["name"],
            [str(src / source) for source in spec["sources"]],
            libraries=spec.get("libraries", []),
            extra_compile_args=["-O2", "-Wall", "-Werror"],
        )
        for spec in specs
    ]
    return _build_ext(extensions, work)


class NativeEngines(BuildHookInterface):
    """Compile the configured engine modules; never fail the build for want of a compiler."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Build each group and put its files beside the sources or into the wheel."""
        src = Path(self.root) / "src"
        editable = version == "editable"
        if editable:  # what an earlier build left beside the sources goes, whatever happens now
            for old in (*(src / "mamori").rglob("*.so"), src / MANIFEST):
                old.unlink(missing_ok=True)
        if os.environ.get("MAMORI_PURE_PYTHON") == "1":
            self.app.display_info("mamori: MAMORI_PURE_PYTHON=1, engines stay plain Python")
            return
        groups: list[tuple[str, list[str], Any]] = []
        if self.config.get("mypyc"):
            sources = list(self.config["mypyc"])
            groups.append(("mypyc", sources, lambda work: _mypyc(sources, src, work)))
        for spec in self.config.get("extensions", []):
            groups.append(
                (spec["name"], spec["sources"], lambda work, s=spec: _c_extensions([s], src, work))
            )
        manifest: list[dict[str, Any]] = []
        for name, sources, build in groups:
            work = Path(tempfile.mkdtemp(prefix="mamori-native-"))
            try:
                built = build(work)
            except (Exception, SystemExit) as exc:  # distutils reports compiler errors so
                self.app.display_warning(
                    f"mamori: {name} not compiled ({type(exc).__name__}: {exc}); "
                    "that code runs as plain Python"
                )
                continue
            finally:
                sys.stdout.flush()
            modules = {}
            for path in built:
                relative = path.relative_to(work / "lib")
                if editable:
                    shutil.copy2(path, src / relative)
                else:
                    build_data["force_include"][str(path)] = str(relative)
                module = str(relative).split(".", 1)[0].replace(os.sep, ".")
                source = next(
                    (s for s in sources if s.rsplit(".", 1)[0].replace("/", ".") == module), None
                )
                if source is not None:
                    modules[module] = {"source": source, "sha256": _sha256(src / source)}
            manifest.append({"name": name, "modules": modules})
            self.app.display_info(f"mamori: compiled {name} ({len(built)} files)")
        if editable and manifest:
            (src / MANIFEST).write_text(json.dumps({"groups": manifest}, indent=1) + "\n")
        elif manifest:
            written = Path(tempfile.mkdtemp(prefix="mamori-native-")) / "_native.json"
            written.write_text(json.dumps({"groups": manifest}, indent=1) + "\n")
            build_data["force_include"][str(written)] = MANIFEST
        if manifest:
            build_data["pure_python"] = False
            build_data["infer_tag"] = True
