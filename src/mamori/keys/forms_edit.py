"""Forms editing the key inventory (ISM 28) and the leak response (ISM 30)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import User
from mamori.engines import keys as engine
from mamori.engines.keys.spread import ATTRIBUTES
from mamori.keys.forms import KeyForm
from mamori.keys.models import Backup, KeyMaterial, Site, SpreadRule, Wallet

DATE = forms.DateInput(attrs={"type": "date"})


def open_sites() -> Any:
    """The sites not closed."""
    return Site.objects.filter(closure__isnull=True)


class SiteForm(forms.ModelForm):  # type: ignore[type-arg]
    """A site: its code and name (ISM 28-2-6)."""

    class Meta:
        model = Site
        fields = ["code", "name"]


class SiteCloseForm(forms.Form):
    """Close a site: from when and why."""

    closed_on = forms.DateField(label=_("closed on"), widget=DATE)
    reason = forms.CharField(label=_("reason"), max_length=300)


class WalletForm(forms.ModelForm):  # type: ignore[type-arg]
    """A wallet: chain, asset, addresses (one a line), derivation, scheme, m/n, hot,
    responsible person (ISM 28-2-1/2/4/5)."""

    address_lines = forms.CharField(
        label=_("addresses"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=20000,
        help_text=_("one address a line"),
    )

    class Meta:
        model = Wallet
        fields = [
            "name",
            "chain",
            "asset",
            "derivation_path",
            "scheme",
            "m",
            "n",
            "hot",
            "hash_function",
            "responsible",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["address_lines"] = "\n".join(self.instance.addresses)
        self.fields["responsible"].queryset = User.objects.filter(is_active=True)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        """Check m and n fit the scheme, saying why."""
        data = super().clean() or {}
        m, n, scheme = data.get("m"), data.get("n"), data.get("scheme")
        if m is not None and n is not None and scheme:
            try:
                engine.SigningScheme(engine.Scheme(scheme), m, n)
            except ValueError:
                self.add_error(
                    "m",
                    _("m and n must satisfy 1 ≤ m ≤ n; a single key is 1-of-1 (got %(m)s-of-%(n)s)")
                    % {"m": m, "n": n},
                )
        return data

    def save(self, commit: bool = True) -> Wallet:
        """Return the wallet with its addresses from the lines (saved by the service)."""
        wallet: Wallet = super().save(commit=False)
        lines = self.cleaned_data.get("address_lines", "")
        wallet.addresses = [line.strip() for line in lines.splitlines() if line.strip()]
        return wallet


class KeyEditForm(forms.ModelForm):  # type: ignore[type-arg]
    """A key already entered: where it is, who holds it, its storage (ISM 28-2-6/7)."""

    class Meta:
        model = KeyMaterial
        fields = [name for name in KeyForm.Meta.fields if name != "label"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = self.instance.site_id if self.instance.pk else None
        self.fields["site"].queryset = Site.objects.filter(  # type: ignore[attr-defined]
            Q(closure__isnull=True) | Q(pk=current)
        )


class BackupForm(forms.ModelForm):  # type: ignore[type-arg]
    """A backup: of which key, where, who holds it, encryption, access (ISM 28-3)."""

    class Meta:
        model = Backup
        fields = [
            "key",
            "label",
            "site",
            "holder",
            "encryption",
            "access_rights",
            "access_detection",
        ]
        help_texts = {"access_rights": _("comma separated usernames")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = self.instance.site_id if self.instance.pk else None
        self.fields["site"].queryset = Site.objects.filter(  # type: ignore[attr-defined]
            Q(closure__isnull=True) | Q(pk=current)
        )


ROLES = [r.value for r in engine.Role]
SCHEMES = [s.value for s in engine.Scheme]


def _json_list(
    value: str, allowed: list[str] | tuple[str, ...], example: str, empty: bool
) -> list[str]:
    text = (value or "").strip() or "[]"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise forms.ValidationError(
            _("not valid JSON (%(error)s); write a list such as %(example)s")
            % {"error": error.msg, "example": example}
        ) from None
    if not isinstance(data, list) or not all(isinstance(v, str) for v in data):
        raise forms.ValidationError(
            _("expected a JSON list of names such as %(example)s") % {"example": example}
        )
    unknown = [v for v in data if v not in allowed]
    if unknown:
        raise forms.ValidationError(
            _("unknown: %(unknown)s; allowed: %(allowed)s")
            % {"unknown": ", ".join(unknown), "allowed": ", ".join(allowed)}
        )
    if not data and not empty:
        raise forms.ValidationError(
            _("name at least one of: %(allowed)s") % {"allowed": ", ".join(allowed)}
        )
    return list(dict.fromkeys(data))


class RuleForm(forms.ModelForm):  # type: ignore[type-arg]
    """A spread rule as data: its JSON lists checked one by one, saying what is allowed."""

    apart_json = forms.CharField(
        label=_("kept apart by (JSON)"),
        help_text=_('e.g. ["site", "unit"]; among site, unit, holder, organisation'),
    )
    roles_json = forms.CharField(
        label=_("roles (JSON)"),
        required=False,
        help_text=_('e.g. ["recovery"]; empty: every role'),
    )
    against_json = forms.CharField(
        label=_("against roles (JSON)"),
        required=False,
        help_text=_('e.g. ["operating"]; empty: the same roles'),
    )
    schemes_json = forms.CharField(
        label=_("schemes (JSON)"),
        required=False,
        help_text=_('e.g. ["multisig"]; empty: every scheme'),
    )
    scope = forms.ChoiceField(
        label=_("scope"),
        choices=[("key", _("one key's shares")), ("wallet", _("the whole wallet"))],
    )

    class Meta:
        model = SpreadRule
        fields = ["code", "scope", "copies", "article", "text", "active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            rule = self.instance
            for name in ("apart", "roles", "against", "schemes"):
                self.initial[f"{name}_json"] = json.dumps(getattr(rule, name) or [])

    def clean_apart_json(self) -> list[str]:
        return _json_list(self.cleaned_data["apart_json"], ATTRIBUTES, '["site"]', False)

    def clean_roles_json(self) -> list[str]:
        return _json_list(self.cleaned_data["roles_json"], ROLES, '["recovery"]', True)

    def clean_against_json(self) -> list[str]:
        return _json_list(self.cleaned_data["against_json"], ROLES, '["operating"]', True)

    def clean_schemes_json(self) -> list[str]:
        return _json_list(self.cleaned_data["schemes_json"], SCHEMES, '["multisig"]', True)

    def save(self, commit: bool = True) -> SpreadRule:
        """Return the rule with its lists (saved by the service)."""
        rule: SpreadRule = super().save(commit=False)
        rule.apart = self.cleaned_data["apart_json"]
        rule.roles = self.cleaned_data["roles_json"]
        rule.against = self.cleaned_data["against_json"]
        rule.schemes = self.cleaned_data["schemes_json"]
        return rule


class VersionForm(forms.Form):
    """A new version of a leak-response document: text or file; for the runbook its steps
    and the wallets it covers (ISM 30-1, 30-4)."""

    text = forms.CharField(
        label=_("text (Markdown)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        max_length=200_000,
    )
    file = forms.FileField(
        label=_("or a file (.pdf, .md, .txt)"),
        required=False,
    )
    steps = forms.CharField(
        label=_("steps"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=20000,
        help_text=_('one a line, in order: "target minutes | what to do"'),
    )
    wallets = forms.ModelMultipleChoiceField(
        label=_("wallets covered"),
        queryset=Wallet.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, runbook: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not runbook:
            del self.fields["steps"]
            del self.fields["wallets"]


def _key_holders() -> Any:
    from mamori.accounts.models import RoleAssignment

    ids = RoleAssignment.objects.filter(
        role__code="key_holder", revoked_at__isnull=True
    ).values_list("user_id", flat=True)
    return User.objects.filter(pk__in=ids, is_active=True).order_by("username")


class DrillForm(forms.Form):
    """Schedule a drill: when, the scenario, the key holders invited (ISM 30-3)."""

    scheduled_for = forms.DateField(label=_("scheduled for"), widget=DATE)
    scenario = forms.CharField(
        label=_("scenario"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    participants = forms.ModelMultipleChoiceField(
        label=_("key holders invited"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["participants"].queryset = _key_holders()  # type: ignore[attr-defined]


class DrillRecordForm(forms.Form):
    """Record a drill held: who took part, the minutes per step, the findings (ISM 30-3)."""

    held_on = forms.DateField(label=_("held on"), widget=DATE)
    took_part = forms.ModelMultipleChoiceField(
        label=_("took part"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    step_times = forms.CharField(
        label=_("minutes per step"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        help_text=_('one line per runbook step, in order: whole minutes, or "-" if not executed'),
    )
    findings = forms.CharField(
        label=_("findings"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=20000,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["took_part"].queryset = _key_holders()  # type: ignore[attr-defined]
