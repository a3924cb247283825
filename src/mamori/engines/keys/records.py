"""What the inventory must say about each key and backup (ISM 28-1, 28-3): a key without a
generation record (who, method, RNG spec, prior verification, witnesses) or a backup without
encryption, access rights or an access-detection channel is a finding, so a register that is
only half filled in does not read as meeting the articles.
"""

from __future__ import annotations

from mamori.engines.keys.findings import Finding
from mamori.engines.keys.inventory import Inventory, StorageKind

__all__ = ["check_records"]

#: (code, article, what is missing) of a key's generation record
_GENERATION = (
    ("generated_by", "ISM 28-1-1", "who generated it"),
    ("method", "ISM 28-1-2", "the generation method"),
    ("rng_spec", "ISM 28-1-3", "the random number generator's specification"),
    ("prior_verification", "ISM 28-1-2", "the prior verification of the method"),
)


def _missing(code: str, subject: str, article: str, what: str) -> Finding:
    return Finding(
        f"record.{code}",
        subject,
        False,
        article,
        f"{subject}: the inventory does not say {what}",
        expected=what,
        got="nothing",
    )


def check_records(inventory: Inventory) -> list[Finding]:
    """Return one finding per missing item of a key's or a backup's record (empty when all
    are complete)."""
    found = []
    for key in inventory.keys:
        record = key.generation
        if record is None:
            found.append(_missing("generation", key.id, "ISM 28-1", "how it was generated"))
        else:
            for name, article, what in _GENERATION:
                if not getattr(record, name):
                    found.append(_missing(name, key.id, article, what))
            if not record.witnesses:
                found.append(_missing("witnesses", key.id, "ISM 28-1-1", "who witnessed it"))
        if key.storage.kind is StorageKind.HSM and not key.storage.model:
            found.append(_missing("hsm_model", key.id, "ISM 28-1-3", "the HSM's model"))
        for backup in key.backups:
            if not backup.encryption:
                found.append(
                    _missing("backup_encryption", backup.id, "ISM 28-3-6", "its encryption")
                )
            if not backup.access_rights:
                found.append(
                    _missing("backup_access", backup.id, "ISM 28-3-4", "who may access it")
                )
            if not backup.access_detection:
                found.append(
                    _missing(
                        "backup_detection",
                        backup.id,
                        "ISM 28-3-5",
                        "how an access to it is detected",
                    )
                )
    return found
