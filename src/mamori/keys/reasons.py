"""What the key engine's finding codes say, in the reader's language (ISM 28–29).

The engine's messages are English, for logs and the API; what people read is made here from
the stable code and the conflicts, as :mod:`mamori.custody.reasons` does for custody.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext_lazy

__all__ = ["ATTRIBUTES", "RULES", "conflict_text", "result_text", "rule_text"]

#: spread rule code → what it asks
RULES = {
    "site_apart": gettext_lazy("no two shares of one key at one site"),
    "unit_apart": gettext_lazy("no two shares of one key held by one organisation unit"),
    "person_apart": gettext_lazy("no two shares of one key held by one person"),
    "recovery_apart": gettext_lazy("recovery keys at another site than the operating keys"),
    "multisig_apart": gettext_lazy("multisig keys kept apart: site, organisation unit and holder"),
    "backup_apart": gettext_lazy("a backup at another site than the key it copies"),
}

#: attribute a rule keeps apart → its name
ATTRIBUTES = {
    "site": gettext_lazy("site"),
    "unit": gettext_lazy("organisation unit"),
    "holder": gettext_lazy("holder"),
    "organisation": gettext_lazy("organisation"),
}

#: policy and record check codes → what falls short
CHECKS = {
    "policy.curve": gettext_lazy("a curve the crypto policy does not allow"),
    "policy.key_size": gettext_lazy("a key shorter than the crypto policy asks"),
    "policy.encryption": gettext_lazy("an encryption the crypto policy does not allow"),
    "policy.hash_function": gettext_lazy("a hash function the crypto policy does not allow"),
    "policy.threshold": gettext_lazy("fewer signatures required than the crypto policy asks"),
    "policy.hot_single_key": gettext_lazy("a hot wallet signed by a single key"),
    "policy.key_count": gettext_lazy("not as many keys registered as the scheme has"),
    "record.generation": gettext_lazy("no generation record"),
    "record.generated_by": gettext_lazy("the record does not say who generated the key"),
    "record.method": gettext_lazy("the record does not say the generation method"),
    "record.rng_spec": gettext_lazy("the record does not say the random number generator"),
    "record.prior_verification": gettext_lazy("the record does not say the prior verification"),
    "record.witnesses": gettext_lazy("the record does not say who witnessed the generation"),
    "record.hsm_model": gettext_lazy("the HSM's model is not recorded"),
    "record.backup_encryption": gettext_lazy("a backup without encryption recorded"),
    "record.backup_access": gettext_lazy("a backup without recorded access rights"),
    "record.backup_detection": gettext_lazy("a backup without access detection"),
}


def rule_text(code: str, fallback: str = "") -> str:
    """Return what the rule ``code`` (``site_apart`` or ``spread.site_apart``) asks."""
    name = code.removeprefix("spread.")
    if name in RULES:
        return str(RULES[name])
    if code in CHECKS:
        return str(CHECKS[code])
    return fallback or code


def conflict_text(conflict: Mapping[str, Any]) -> str:
    """Say which two keys share what (``hot-a and hot-b share the organisation unit custody``)."""
    attribute = str(conflict.get("attribute", ""))
    return str(
        gettext_lazy("%(first)s and %(second)s share the %(attribute)s %(value)s")
        % {
            "first": conflict.get("first", ""),
            "second": conflict.get("second", ""),
            "attribute": ATTRIBUTES.get(attribute, attribute),
            "value": conflict.get("value", ""),
        }
    )


def result_text(code: str, conflicts: Iterable[Mapping[str, Any]], fallback: str = "") -> str:
    """Say a violated check: the rule, then each conflict (or the subjects it concerns)."""
    said = "; ".join(conflict_text(c) for c in conflicts)
    return str(
        gettext_lazy("%(rule)s — violated: %(conflicts)s")
        % {"rule": rule_text(code, fallback), "conflicts": said or fallback}
    )
