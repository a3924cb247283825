"""Forms of operating-status monitoring (SRM 21-1): a service, an alert rule, a probe, a
heartbeat."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mamori.operations.models import AlertRule, Heartbeat, MonitoredService, Probe

__all__ = ["AlertRuleForm", "HeartbeatForm", "ProbeForm", "ServiceForm"]


class ServiceForm(forms.ModelForm):  # type: ignore[type-arg]
    """A monitored service tied to its system and configuration items."""

    class Meta:
        model = MonitoredService
        fields = ["code", "name_ja", "name_en", "system", "items", "availability_target"]


class AlertRuleForm(forms.ModelForm):  # type: ignore[type-arg]
    """Which alerts (label matchers, one ``label=value`` a line) put the service in which
    state, and whether they open an incident."""

    matchers = forms.CharField(
        label=_("label matchers"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One label=value a line; an alert must carry all of them."),
    )

    class Meta:
        model = AlertRule
        fields = ["name", "matchers", "state", "open_incident", "severity", "kind", "priority"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and isinstance(self.instance.matchers, dict):
            self.initial["matchers"] = "\n".join(
                f"{k}={v}" for k, v in self.instance.matchers.items()
            )

    def clean_matchers(self) -> dict[str, str]:
        """Return the matchers as a mapping; refuse a line without ``=``."""
        text = self.cleaned_data["matchers"]
        if text.strip().startswith("{"):
            try:
                parsed = json.loads(text)
            except ValueError:
                raise forms.ValidationError(_("Expected label=value lines.")) from None
            return {str(k): str(v) for k, v in parsed.items()}
        found: dict[str, str] = {}
        for line in text.splitlines():
            if not line.strip():
                continue
            key, sep, value = line.partition("=")
            if not sep or not key.strip():
                raise forms.ValidationError(_("Expected label=value lines."))
            found[key.strip()] = value.strip().strip('"')
        if not found:
            raise forms.ValidationError(_("Expected label=value lines."))
        return found


class ProbeForm(forms.ModelForm):  # type: ignore[type-arg]
    """An HTTP or TCP probe of the service."""

    class Meta:
        model = Probe
        fields = [
            "kind",
            "target",
            "interval_seconds",
            "timeout_seconds",
            "expected_status",
            "expected_body",
            "failures_before_down",
            "active",
        ]

    def clean(self) -> dict[str, Any]:
        """Refuse a TCP target that is not host:port and an HTTP target that is not a URL."""
        data = super().clean() or {}
        target, kind = str(data.get("target", "")), data.get("kind")
        if kind == Probe.Kind.TCP and not target.rpartition(":")[2].isdigit():
            self.add_error("target", _("Expected host:port."))
        if kind == Probe.Kind.HTTP and not target.startswith(("http://", "https://")):
            self.add_error("target", _("Expected an http:// or https:// URL."))
        return data


class HeartbeatForm(forms.ModelForm):  # type: ignore[type-arg]
    """A heartbeat a batch job pushes within its window."""

    class Meta:
        model = Heartbeat
        fields = ["code", "window_seconds"]
