"""Forms of key ceremonies (ISM 28-1, 28-2) and of backup access findings (ISM 28-3-5)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import User
from mamori.keys.models import Ceremony, Site, Wallet

__all__ = ["AcknowledgeForm", "OutputForm", "PlanForm"]

_WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _people(text: str) -> tuple[dict[str, User], list[str]]:
    names = [n.strip() for n in text.replace(",", "\n").splitlines() if n.strip()]
    found = {u.username: u for u in User.objects.filter(username__in=names, is_active=True)}
    return found, [n for n in names if n not in found]


class PlanForm(forms.Form):
    """A ceremony to plan: kind, wallet, sites, window, script, participants and witnesses."""

    title = forms.CharField(label=_("title"), max_length=200)
    kind = forms.ChoiceField(label=_("kind"), choices=Ceremony.Kind.choices)
    wallet = forms.ModelChoiceField(label=_("wallet"), queryset=Wallet.objects.all())
    sites = forms.ModelMultipleChoiceField(label=_("sites"), queryset=Site.objects.all())
    starts_at = forms.DateTimeField(label=_("window starts"), widget=_WHEN)
    ends_at = forms.DateTimeField(label=_("window ends"), widget=_WHEN)
    script = forms.CharField(
        label=_("script"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=20000,
        help_text=_("One step per line, in order."),
    )
    participants = forms.CharField(
        label=_("participants"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        help_text=_('One per line: "username: part", e.g. "watanabe: operator".'),
    )
    witnesses = forms.CharField(
        label=_("witnesses"),
        max_length=1000,
        required=False,
        help_text=_("Usernames, comma separated; a witness may not be a participant."),
    )

    def clean_participants(self) -> list[tuple[User, str]]:
        """Return each participant with their part; refuse an unknown username."""
        lines = [line for line in self.cleaned_data["participants"].splitlines() if line.strip()]
        pairs = [(line.partition(":")[0].strip(), line.partition(":")[2].strip()) for line in lines]
        found, unknown = _people("\n".join(name for name, _part in pairs))
        if unknown:
            raise forms.ValidationError(
                _("unknown people: %(names)s") % {"names": ", ".join(unknown)}
            )
        return [(found[name], part[:200]) for name, part in pairs]

    def clean_witnesses(self) -> list[User]:
        """Return the witnesses; refuse an unknown username."""
        found, unknown = _people(self.cleaned_data.get("witnesses", ""))
        if unknown:
            raise forms.ValidationError(
                _("unknown people: %(names)s") % {"names": ", ".join(unknown)}
            )
        return list(found.values())

    def values(self) -> dict[str, Any]:
        """Return the cleaned values as :func:`mamori.keys.ceremonies.plan` takes them."""
        return dict(self.cleaned_data)


class OutputForm(forms.Form):
    """The public output of a ceremony: extended public keys or a public key, and the
    registered addresses to check (ISM 28-2-5)."""

    kind = forms.ChoiceField(label=_("kind of output"), choices=Ceremony.OutputKind.choices)
    public_data = forms.CharField(
        label=_("public output"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )
    addresses = forms.CharField(
        label=_("registered addresses"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        required=False,
        help_text=_(
            'One per line, as "0/0 address" or the address alone (paths 0/0, 0/1 … in '
            "order); empty: the wallet's registered addresses."
        ),
    )


class AcknowledgeForm(forms.Form):
    """Why an unexpected access to a backup is acknowledged."""

    reason = forms.CharField(label=_("reason"), max_length=500)
