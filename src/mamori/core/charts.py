"""Charts people read at a glance: axes with units, local times, the threshold drawn, drawn
by pygal (a maintained pure-Python SVG library) as inline SVG under the strict CSP.

pygal puts a ``<style>`` and a ``<script>`` in every SVG and a ``style`` attribute on its
tooltip; the policy (``style-src``/``script-src 'self'``) refuses all three. Each chart is
therefore drawn without them (:func:`_fit_policy`): its look comes from
``static/mamori/charts.css``, the same CSS pygal would embed, written once per kind of
chart by :func:`stylesheet` (a test keeps the file equal to it), and each point's tooltip
is a native SVG ``<title>`` instead of pygal's JavaScript one.

Figures shown are exact: the caller passes each value's text (formatted by
:mod:`mamori.core.money`); the float a point is placed at only decides where it is drawn.
Times are drawn in the configured zone (``settings.TIME_ZONE``), never in UTC.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pygal
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from pygal.style import Style

__all__ = [
    "PALETTES",
    "Marker",
    "Point",
    "Series",
    "counts_chart",
    "days_chart",
    "local_zone",
    "stylesheet",
    "ticks",
    "time_chart",
    "zone_name",
]

#: The colours of each kind of chart, one per series in the order the series are added.
PALETTES: dict[str, tuple[str, ...]] = {
    # outflow, limit, halt
    "outflow": ("#1c7ed6", "#c92a2a", "#862e9c"),
    # difference, matched, failed run, no run
    "difference": ("#e03131", "#2f9e44", "#495057", "#ffa8a8"),
    # compliant, partial, non-compliant, not measured, not applicable
    "compliance": ("#2f9e44", "#f59f00", "#e03131", "#adb5bd", "#dee2e6"),
    # inherent, before treatment (current), after treatment (residual)
    "risk": ("#ffa94d", "#e8590c", "#1c7ed6"),
}

_FONT = "system-ui, 'Hiragino Sans', 'Noto Sans CJK JP', sans-serif"


def local_zone() -> ZoneInfo:
    """Return the zone times are shown in (``settings.TIME_ZONE``)."""
    return ZoneInfo(settings.TIME_ZONE)


def zone_name(at: datetime | None = None) -> str:
    """Return the zone as people know it: ``Asia/Tokyo, JST``."""
    zone = local_zone()
    abbreviation = (at or datetime.now(UTC)).astimezone(zone).tzname()
    return f"{zone.key}, {abbreviation}" if abbreviation and abbreviation[0].isalpha() else zone.key


@dataclass(frozen=True)
class Point:
    """One value: where it is drawn (``x``, ``value``) and what its tooltip says."""

    x: Any
    value: Decimal | None
    text: str


@dataclass(frozen=True)
class Series:
    """A named line or set of bars."""

    title: str
    points: Sequence[Point]


@dataclass(frozen=True)
class Marker:
    """A moment drawn as a vertical line across the chart (a halt)."""

    at: datetime
    title: str


def ticks(low: Decimal, high: Decimal, count: int = 5) -> list[Decimal]:
    """Return round tick values (1, 2 or 5 × 10ⁿ apart) from at or below ``low`` (and 0) to
    at or above ``high``, exactly: ``ticks(0, 47.6)`` is 0, 10, 20, 30, 40, 50."""
    low, high = min(Decimal(low), Decimal(0)), max(Decimal(high), Decimal(0))
    span = high - low
    if span == 0:
        return [Decimal(0), Decimal(1)]
    raw = span / count
    power = Decimal(10) ** raw.adjusted()
    step = next(power * m for m in (1, 2, 5, 10) if power * m >= raw)
    first = (low / step).to_integral_value(rounding="ROUND_FLOOR") * step
    out = [first]
    while out[-1] < high:
        out.append(out[-1] + step)
    return [Decimal(format(t.normalize(), "f")) if t else Decimal(0) for t in out]


def _fit_policy(tree: Any) -> Any:
    """Make pygal's SVG obey the CSP: drop its ``<style>``, ``<script>``, the tooltip overlay
    (it needs the script and has a ``style`` attribute) and the empty id; turn each value's
    description (the caller's exact text) into a native ``<title>`` tooltip; leave out the
    empty bars a stacked chart draws for missing values."""
    for parent in list(tree.iter()):
        for child in list(parent):
            tag = child.tag if isinstance(child.tag, str) else ""
            local = tag.rsplit("}", 1)[-1]
            if local in ("style", "script") or "tooltip-overlay" in child.get("class", ""):
                parent.remove(child)
                continue
            if local == "title" and "guides" in parent.get("class", ""):
                parent.remove(child)  # an axis label's raw position
                continue
            if local == "g" and child.get("class") == "bar" and _empty_bar(child):
                parent.remove(child)  # a stacked chart's placeholder for a missing value
                continue
            if local == "desc" and child.get("class") == "value":
                title = type(child)(tag.replace("desc", "title"))
                title.text = child.text or ""
                parent.insert(0, title)
        for child in list(parent):
            if (child.tag if isinstance(child.tag, str) else "").endswith("desc"):
                parent.remove(child)
    if not tree.get("id"):
        tree.attrib.pop("id", None)
    return tree


def _empty_bar(bar: Any) -> bool:
    """Return whether ``bar`` is drawn with no height (no value that day)."""
    return any(rect.get("height") in ("0", "0.0") for rect in bar if str(rect.tag).endswith("rect"))


def _base(kind: str, lines: int = 1, width: int = 760) -> dict[str, Any]:
    """Return the settings every chart shares; ``lines`` legend entries, one per line
    (pygal reserves the right room at the bottom only for one column)."""
    return {
        "style": Style(
            colors=PALETTES[kind],
            font_family=_FONT,
            background="transparent",
            plot_background="#f8f9fa",
            guide_stroke_color="#ced4da",
            major_guide_stroke_color="#adb5bd",
        ),
        "no_prefix": True,
        "js": [],
        "css": [],
        "classes": ["pygal-chart", f"chart-{kind}"],
        "disable_xml_declaration": True,
        "explicit_size": False,
        "width": width,
        "height": 250 + 22 * lines,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 1,
        "truncate_legend": -1,
        "print_values": False,
        "show_minor_x_labels": False,
    }


def _render(chart: Any, label: str) -> SafeString:
    # pygal builds its SVG with lxml whenever lxml is installed (feedgen and python-docx
    # bring it); the filter below, like the charts' tests, reads the standard library's tree
    from pygal.etree import etree as pygal_etree

    pygal_etree.to_etree()
    chart.add_xml_filter(_fit_policy)
    svg = str(chart.render(is_unicode=True))
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{_attr(label)}" ', 1)
    return mark_safe(svg)  # noqa: S308 -- pygal escapes every text it writes


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _y_axis(values: Sequence[Decimal], text: Callable[[Decimal], str]) -> list[dict[str, Any]]:
    marks = ticks(min(values, default=Decimal(0)), max(values, default=Decimal(0)))
    return [{"value": float(t), "label": text(t)} for t in marks]


def _value(point: Point, x: Any = None) -> Any:
    """Return the point as pygal takes it: its position, and its exact text as the formatter
    (``x`` makes it an (x, y) pair, for a chart over time)."""
    if point.value is None:
        return None
    at = float(point.value) if x is None else (x, float(point.value))
    return {"value": at, "formatter": lambda _v, text=point.text: text}


def time_chart(
    *,
    title: str,
    series: Sequence[Series],
    start: datetime,
    end: datetime,
    hours: int,
    y_title: str,
    x_title: str,
    y_text: Callable[[Decimal], str],
    limit: Point | None = None,
    markers: Sequence[Marker] = (),
    kind: str = "outflow",
) -> SafeString:
    """Return a line chart over time: ``series`` of (datetime, value) points, the ``limit``
    as a horizontal line, each of ``markers`` as a vertical line; the time axis labelled in
    the local zone every ``hours`` hours."""
    zone = local_zone()
    values = [p.value for s in series for p in s.points if p.value is not None]
    if limit is not None and limit.value is not None:
        values.append(limit.value)
    y_labels = _y_axis(values, y_text)
    top = max(label["value"] for label in y_labels)
    first = start.astimezone(zone).replace(minute=0, second=0, microsecond=0)
    x_labels = []
    at = first
    while at <= end:
        if at >= start:
            shown = at.strftime("%H:%M") if at.hour or at.minute else at.strftime("%m-%d")
            x_labels.append({"value": at, "label": shown})
        at = datetime.fromtimestamp(at.timestamp() + hours * 3600, zone)
    chart = pygal.DateTimeLine(
        title=title,
        x_title=x_title,
        y_title=y_title,
        y_labels=y_labels,
        x_labels=x_labels,
        show_dots=False,
        fill=False,
        range=(float(min(y["value"] for y in y_labels)), top),
        xrange=(start.timestamp(), end.timestamp()),
        **{
            **_base(kind, len(series) + (limit is not None) + len(markers)),
            "show_minor_x_labels": True,
        },
    )

    def when(at: datetime) -> str:
        return at.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    for one in series:
        chart.add(
            one.title,
            [_value(Point(p.x, p.value, f"{when(p.x)} · {p.text}"), p.x) for p in one.points],
            show_dots=True,
            dots_size=1.5,
        )
    if limit is not None:
        chart.add(limit.text, [_value(limit, start), _value(limit, end)])
    for marker in markers:
        text = f"{when(marker.at)} · {marker.title}"
        chart.add(
            marker.title,
            [
                _value(Point(None, Decimal(0), text), marker.at),
                _value(Point(None, Decimal(str(top)), text), marker.at),
            ],
            show_dots=True,
            dots_size=3,
        )
    return _render(chart, title)


def days_chart(
    *,
    title: str,
    days: Sequence[date],
    series: Sequence[Series],
    y_title: str,
    x_title: str,
    y_text: Callable[[Decimal], str],
    kind: str,
    every: int = 7,
    percent: bool = False,
    width: int = 760,
) -> SafeString:
    """Return stacked bars, one slot per day of ``days`` (its date as the x label; past
    two weeks one in ``every`` is shown, counted back from the last), each series' points
    keyed by ``x`` = the day; a zero line always."""
    by_series = [{p.x: p for p in s.points} for s in series]
    values = [p.value for s in series for p in s.points if p.value is not None]
    if percent:
        values = [Decimal(0), Decimal(100)]
    labels = [d.strftime("%m-%d") for d in days]
    chart = pygal.StackedBar(
        title=title,
        x_title=x_title,
        y_title=y_title,
        y_labels=_y_axis(values, y_text),
        x_labels=labels,
        x_labels_major=labels if len(days) <= 14 else labels[::-1][::every],  # the last named
        x_label_rotation=0 if len(days) <= 14 else -30,
        **_base(kind, len(series), width),
    )
    for one, points in zip(series, by_series, strict=True):
        chart.add(one.title, [_value(points[d]) if d in points else None for d in days])
    return _render(chart, title)


def counts_chart(
    *,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    y_title: str,
    x_title: str,
    kind: str,
    width: int = 760,
) -> SafeString:
    """Return grouped bars of whole counts: one group per category, one bar per series
    (``x`` = the category's index)."""
    values = [p.value for s in series for p in s.points if p.value is not None]
    chart = pygal.Bar(
        title=title,
        x_title=x_title,
        y_title=y_title,
        y_labels=_y_axis(values or [Decimal(1)], lambda d: f"{d:f}"),
        x_labels=list(categories),
        **{**_base(kind, len(series), width), "show_minor_x_labels": True},
    )
    for one in series:
        points = {p.x: p for p in one.points}
        chart.add(
            one.title, [_value(points[i]) if i in points else None for i in range(len(categories))]
        )
    return _render(chart, title)


def stylesheet() -> str:
    """Return the CSS of every kind of chart: pygal's own, scoped by the chart's class
    (``.chart-outflow``) instead of its random id, so it can be a static file."""
    parts = ["/* Generated by mamori.core.charts.stylesheet() from pygal's CSS: do not edit. */"]
    for kind, palette in PALETTES.items():
        settings = {key: value for key, value in _base(kind).items() if key != "css"}
        chart = pygal.Line(**{**settings, "no_prefix": False})
        for n in range(len(palette)):
            chart.add(str(n), [1, 2])
        svg = chart.render(is_unicode=True)
        match = re.search(r"<style[^>]*>(.*?)</style>", svg, re.S)
        css = html.unescape(match.group(1)) if match else ""
        css = re.sub(r"#chart-[0-9a-f-]+", f".chart-{kind}", css)
        parts.append(css.strip())
    return "\n".join(parts) + "\n"


if __name__ == "__main__":  # pragma: no cover - regenerate the static file
    print(stylesheet(), end="")
