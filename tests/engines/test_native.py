"""The compiled engines give the same results as plain Python, and a stale one never runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import mamori
from mamori.engines import native
from mamori.engines.merkle import bulk

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(mamori.__file__).resolve().parent
ENGINE_TESTS = [
    "tests/engines/test_threshold_engine.py",
    "tests/engines/test_threshold_journal.py",
    "tests/engines/test_merkle_engine.py",
]
needs_native = pytest.mark.skipif(not native.status(), reason="the engines were not compiled")

body = st.binary(max_size=400).map(lambda b: b.replace(b"\n", b" "))
hashes = st.integers(0, 6).flatmap(lambda k: st.binary(min_size=32 << k, max_size=32 << k))


def _modules_the_build_compiles() -> list[str]:
    """Every module pyproject.toml tells the build to compile (mypyc modules and C extensions)."""
    build = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    native_build = build["tool"]["hatch"]["build"]["targets"]["wheel"]["hooks"]["custom"]
    typed = [path.removesuffix(".py").replace("/", ".") for path in native_build["mypyc"]]
    return typed + [extension["name"] for extension in native_build["extensions"]]


def test_compiled_engines_are_in_use_where_the_build_must_compile_them() -> None:
    if os.environ.get("MAMORI_REQUIRE_NATIVE") != "1":
        pytest.skip("MAMORI_REQUIRE_NATIVE=1 is not set")
    assert native.status() == dict.fromkeys(_modules_the_build_compiles(), "compiled")
    assert bulk.NATIVE


@needs_native
@given(st.lists(body, min_size=1, max_size=40))
def test_bulk_leaf_hashes_equal_hashlib_for_any_bodies(bodies: list[bytes]) -> None:
    joined = b"\n".join(bodies)
    assert bulk.leaf_hashes(joined) == bulk._py_leaf_hashes(joined)


@needs_native
@given(hashes)
def test_bulk_parents_and_perfect_root_equal_hashlib(level: bytes) -> None:
    if len(level) >= 64:
        assert bulk.parents(level) == bulk._py_parents(level)
    assert bulk.perfect_root(level) == bulk._py_perfect_root(level)


@pytest.mark.parametrize(
    ("function", "data", "message"),
    [
        (bulk.parents, b"x" * 96, "not a whole number of pairs"),
        (bulk.perfect_root, b"x" * 33, "not a whole number of 32-byte hashes"),
        (bulk.perfect_root, b"x" * 96, "power-of-two count, got 3"),
        (bulk.perfect_root, b"", "power-of-two count, got 0"),
    ],
)
def test_ragged_hashes_are_refused_saying_why(function, data, message) -> None:
    with pytest.raises(ValueError, match=message):
        function(data)


def _python(*code: str, cwd: Path, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MAMORI_")}
    done = subprocess.run(
        [sys.executable, "-c", "\n".join(code)],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


@needs_native
def test_an_engine_edited_after_it_was_compiled_runs_from_its_source(tmp_path: Path) -> None:
    copy = tmp_path / "mamori"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    window = copy / "engines" / "threshold" / "window.py"
    window.write_text(window.read_text() + "\n# edited after the build\n")
    shown = _python(
        "import mamori.engines.threshold.monitor as m, mamori.engines.native as n",
        "import mamori.engines.merkle.bulk as b",
        "print(m.__file__.endswith('.py'), b.NATIVE)",
        "print(n.status()['mamori.engines.threshold.monitor'])",
        cwd=tmp_path,
        PYTHONPATH=str(tmp_path),
    ).splitlines()
    assert shown[0] == "True True"  # the whole group from source; the C hashing still compiled
    assert "changed since compiled" in shown[1] and "window" in shown[1]


@needs_native
def test_plain_python_is_forced_by_the_setting_and_says_so(tmp_path: Path) -> None:
    shown = _python(
        "import mamori.engines.threshold.monitor as m, mamori.engines.native as n",
        "import mamori.engines.merkle.bulk as b",
        "print(m.__file__.endswith('.py'), b.NATIVE, set(n.status().values()))",
        cwd=tmp_path,
        MAMORI_PURE_PYTHON="1",
    )
    assert shown.strip() == "True False {'source (MAMORI_PURE_PYTHON=1)'}"


@needs_native
def test_the_engines_pass_their_tests_as_plain_python_too() -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MAMORI_")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", *ENGINE_TESTS],
        cwd=ROOT,
        env={**clean, "MAMORI_PURE_PYTHON": "1"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]
