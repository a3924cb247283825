"""Where the demo keeps its signing keys (demo only; imports nothing from Django).

With SoftHSM2 installed, a token initialised under the demo data directory (acceptable for
the demo alone: in production the token is an HSM and never beside the data); without it, a
key directory beside the data directory, ``<data dir>-keys``, with a warning.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import MutableMapping
from pathlib import Path

__all__ = ["DEMO_PIN", "DEMO_TOKEN", "SOFTHSM_MODULES", "configure", "softhsm_module"]

DEMO_TOKEN = "mamori-demo"
DEMO_PIN = "mamori-demo"
SOFTHSM_MODULES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",
)


def softhsm_module() -> str | None:
    """Return the SoftHSM2 module's path if SoftHSM2 (module and ``softhsm2-util``) is here."""
    if shutil.which("softhsm2-util") is None:
        return None
    return next((path for path in SOFTHSM_MODULES if Path(path).exists()), None)


def init_softhsm_token(directory: Path, label: str, pin: str) -> Path:
    """Make a SoftHSM2 configuration whose tokens live in ``directory`` and a token ``label``
    in it (if there is none yet); return the configuration file."""
    tokens = directory / "tokens"
    tokens.mkdir(mode=0o700, parents=True, exist_ok=True)
    conf = directory / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n"
        "slots.removable = false\n",
        encoding="utf-8",
    )
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    shown = subprocess.run(
        ["softhsm2-util", "--show-slots"],  # noqa: S607 - found on PATH like any tool
        env=env,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    if not re.search(rf"^\s*Label:\s+{re.escape(label)}\s*$", shown, re.MULTILINE):
        command = ["softhsm2-util", "--init-token", "--free", "--label", label]
        subprocess.run(  # noqa: S603 - a fixed program, no shell
            [*command, "--pin", pin, "--so-pin", pin],
            env=env,
            capture_output=True,
            check=True,
        )
    return conf


def configure(data_dir: Path, env: MutableMapping[str, str]) -> str | None:
    """Point ``env`` at the demo's key store unless one is configured; return a warning to
    print when the demo falls back to a key file."""
    if env.get("MAMORI_PKCS11_MODULE") or env.get("MAMORI_SIGNING_KEY_DIR"):
        return None
    data_dir = data_dir.expanduser().resolve()
    module = softhsm_module()
    if module is not None:
        try:
            conf = init_softhsm_token(data_dir / "softhsm", DEMO_TOKEN, DEMO_PIN)
        except (OSError, subprocess.CalledProcessError):
            module = None
        else:
            env["SOFTHSM2_CONF"] = str(conf)
            env["MAMORI_PKCS11_MODULE"] = module
            env["MAMORI_PKCS11_TOKEN"] = DEMO_TOKEN
            env["MAMORI_PKCS11_PIN"] = DEMO_PIN
            return None
    keys = data_dir.parent / f"{data_dir.name}-keys"
    env["MAMORI_SIGNING_KEY_DIR"] = str(keys)
    return (
        f"SoftHSM2 is not installed: the demo's signing keys are files in {keys} "
        "(production: an HSM through MAMORI_PKCS11_MODULE, or MAMORI_SIGNING_KEY_DIR)"
    )
