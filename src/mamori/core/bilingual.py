"""A message said in both languages at once, for records read in either (an incident raised by
a service, a containment action, a drill's title): the catalogue's Japanese and English."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext

__all__ = ["in_both"]


def in_both(message: str, **params: Any) -> tuple[str, str]:
    """Return ``message`` (marked with ``gettext_noop``) in Japanese and in English, formatted
    with ``params``; a parameter given as ``{"ja": …, "en": …}`` takes each language's value,
    and a lazy translation is read in each language."""
    said = []
    for language in ("ja", "en"):
        with translation.override(language):  # a lazy value is read in this language too
            text = gettext(message)
            values = {k: v[language] if isinstance(v, dict) else v for k, v in params.items()}
            said.append(text % values if values else text)
    return said[0], said[1]
