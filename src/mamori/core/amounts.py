"""Exact amounts on every database: one field for base units, one for fiat money.

An amount in an asset's base units (satoshi, wei) is a Python ``int`` of any size up to
``MAX_DIGITS`` digits, which holds 2**256 − 1 (78 digits) and the difference of two such
balances; a fiat amount (yen) is a ``Decimal`` with a fixed number of decimal places. Neither
is ever a float.

PostgreSQL stores both as ``numeric``, which is exact. SQLite has no exact type for them: a
``decimal`` column has NUMERIC affinity, so a value wider than 64 bits becomes a REAL with 15
significant digits (123456789012345678901 wei came back as 123456789012346000000). On SQLite
both fields therefore store TEXT in an order-preserving encoding (see :func:`sortable`), so
``=``, ``<``, ``>``, ``IN``, ``BETWEEN``, ``ORDER BY``, ``MAX`` and ``MIN`` in the database
give the same answers as on PostgreSQL. :class:`Total` sums an amount column exactly on both
(Django's ``Sum`` would add the text as numbers on SQLite). Arithmetic in SQL
(``F("a") + 1``) and ``AVG`` do not work on that text. Lookups other than comparisons are
refused (``FieldError``), so a text lookup cannot silently misread an amount.

A migration that turns an older ``DecimalField`` into one of these fields adds
:func:`convert_on_sqlite` after its ``AlterField`` operations: SQLite copies the old numbers
into the new TEXT column as plain text, which it rewrites in the encoding.
"""

from __future__ import annotations

import decimal
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.db import migrations, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps
from django.db.models.lookups import Lookup
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

__all__ = [
    "MAX_DIGITS",
    "BaseUnitsField",
    "FiatField",
    "Total",
    "convert_on_sqlite",
    "in_coins",
    "sortable",
    "unsortable",
]

_log = logging.getLogger(__name__)

#: The most digits an amount in base units may have: 2**256 − 1 has 78, a difference of two
#: such balances 79.
MAX_DIGITS = 80

#: The lookups both fields answer (comparisons only; never text lookups on the encoding).
LOOKUPS = frozenset({"exact", "gt", "gte", "lt", "lte", "in", "range", "isnull"})

_COMPLEMENT = str.maketrans("0123456789", "9876543210")
_END = "~"  # after every digit: ends a negative number so a shorter one sorts after it


def _digits(value: Decimal | int) -> tuple[bool, str, str]:
    """Return (negative, integer digits, fraction digits) of ``value``, without leading
    zeros (one "0" for less than one) and without trailing zeros of the fraction."""
    text = format(value, "f") if isinstance(value, Decimal) else str(value)
    negative = text.startswith("-")
    whole, _dot, fraction = text.lstrip("+-").partition(".")
    whole, fraction = whole.lstrip("0") or "0", fraction.rstrip("0")
    if whole == "0" and not fraction:
        negative = False  # -0 is 0
    return negative, whole, fraction


def sortable(value: Decimal | int) -> str:
    """Return ``value`` as text whose byte order is the order of the numbers.

    Zero and positive numbers: ``P``, the number of integer digits in two digits, the integer
    digits, the fraction digits (123 → ``P03123``, 0.5 → ``P0105``). Negative numbers: ``N``,
    99 less the number of integer digits, every digit complemented to 9 − d, and ``~``
    (−123 → ``N96876~``). So more integer digits sort later among positive numbers and earlier
    among negative ones, and digit by digit the larger magnitude sorts later (positive) or
    earlier (negative). Equal numbers have one text (no trailing fraction zeros, −0 is 0).
    """
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"expected a finite amount, got {value}")
    negative, whole, fraction = _digits(value)
    if len(whole) > 99:
        raise ValueError(f"expected at most 99 integer digits, got {len(whole)}")
    if negative:
        return f"N{99 - len(whole):02d}{(whole + fraction).translate(_COMPLEMENT)}{_END}"
    return f"P{len(whole):02d}{whole}{fraction}"


def unsortable(text: str) -> Decimal:
    """Return the number :func:`sortable` encoded as ``text`` (exactly); refuse any other
    text, including a number written another way (leading or trailing zeros)."""
    sign, size, body = text[:1], text[1:3], text[3:]
    if sign not in ("P", "N") or not size.isdigit() or (sign == "N") != body.endswith(_END):
        raise ValueError(f"expected an encoded amount, got {text!r}")
    if sign == "N":
        size, body = f"{99 - int(size):02d}", body[:-1].translate(_COMPLEMENT)
    whole, fraction = body[: int(size)], body[int(size) :]
    canonical = (whole == "0" or not whole.startswith("0")) and not fraction.endswith("0")
    canonical = canonical and not (sign == "N" and whole == "0" and not fraction)  # no -0
    if not ((whole + fraction).isdigit() and len(whole) == int(size) and canonical):
        raise ValueError(f"expected an encoded amount, got {text!r}")
    return Decimal(f"{'-' if sign == 'N' else ''}{whole}{'.' if fraction else ''}{fraction}")


def in_coins(units: int, decimals: int) -> Decimal:
    """Return ``units`` base units as whole coins (``units`` / 10**``decimals``), exactly and
    without trailing zeros: no division, so no rounding to the decimal context's 28 digits."""
    whole, rest = divmod(abs(units), 10**decimals)
    fraction = f"{rest:0{decimals}d}".rstrip("0") if decimals else ""
    point = "." if fraction else ""
    return Decimal(f"{'-' if units < 0 else ''}{whole}{point}{fraction}")


def _restricted(lookup: str, found: type[Lookup[Any]] | None) -> type[Lookup[Any]] | None:
    """Return ``found`` if ``lookup`` compares amounts; None (Django: unsupported) if not."""
    return found if lookup in LOOKUPS else None


class BaseUnitsField(models.Field):  # type: ignore[type-arg]
    """Store an amount in an asset's base units exactly: a Python ``int`` of up to
    ``MAX_DIGITS`` digits; ``numeric(80, 0)`` on PostgreSQL, order-preserving TEXT on SQLite.

    ``signed=True`` admits negative amounts (differences); otherwise the model validation
    and the form refuse them. A value that is not a whole number (a ``Decimal`` with a
    fraction, a float, text that is not digits) is refused, never rounded.
    """

    description = _("Amount in base units (exact integer)")
    empty_strings_allowed = False
    default_error_messages = {
        "invalid": _("“%(value)s” must be a whole number of base units."),
    }

    def __init__(self, *args: Any, signed: bool = False, **kwargs: Any) -> None:
        self.signed = signed
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        """Return the field's construction arguments (``signed`` only when True)."""
        name, path, args, kwargs = super().deconstruct()
        if self.signed:
            kwargs["signed"] = True
        return name, path, args, kwargs

    def get_internal_type(self) -> str:
        """Return our own type name, so no backend applies its decimal converters."""
        return "BaseUnitsField"

    def db_type(self, connection: BaseDatabaseWrapper) -> str:
        """Return TEXT on SQLite, ``numeric(80, 0)`` elsewhere."""
        return "text" if connection.vendor == "sqlite" else f"numeric({MAX_DIGITS}, 0)"

    def cast_db_type(self, connection: BaseDatabaseWrapper) -> str:
        """Return the type a ``Cast`` to this field uses."""
        return self.db_type(connection)

    @cached_property
    def validators(self) -> list[Any]:
        """Return the field's validators: at most ``MAX_DIGITS`` digits, not below 0 unless
        signed."""
        found = [*super().validators, validators.MaxValueValidator(10**MAX_DIGITS - 1)]
        found.append(validators.MinValueValidator(-(10**MAX_DIGITS) + 1 if self.signed else 0))
        return found

    def get_lookup(self, lookup_name: str) -> Any:
        """Return the lookup ``lookup_name`` if it compares amounts, else None."""
        return _restricted(lookup_name, super().get_lookup(lookup_name))

    def get_transform(self, lookup_name: str) -> Any:
        """Return None: no transform applies to an amount."""
        return None

    def to_python(self, value: Any) -> int | None:
        """Return ``value`` as an ``int``, refusing anything that is not a whole number."""
        if value is None:
            return None
        if isinstance(value, (bool, float)):
            raise ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": value}
            )
        if isinstance(value, int):
            return value
        try:
            number = Decimal(value.strip() if isinstance(value, str) else value)
        except (decimal.InvalidOperation, TypeError, ValueError):
            number = Decimal("NaN")
        if not number.is_finite() or number != number.to_integral_value():
            raise ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": value}
            )
        return int(number)

    def get_prep_value(self, value: Any) -> Any:
        """Return ``value`` as an ``int`` (expressions pass through)."""
        value = super().get_prep_value(value)
        return self.to_python(value)

    def get_db_prep_value(
        self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False
    ) -> Any:
        """Return ``value`` as the database stores it: encoded text on SQLite, a ``Decimal``
        elsewhere; a value wider than ``MAX_DIGITS`` digits is refused, never cut."""
        if not prepared:
            value = self.get_prep_value(value)
        if value is None or hasattr(value, "resolve_expression"):
            return value
        if len(str(abs(value))) > MAX_DIGITS:
            raise ValueError(f"expected at most {MAX_DIGITS} digits, got {len(str(abs(value)))}")
        return sortable(value) if connection.vendor == "sqlite" else Decimal(value)

    def from_db_value(self, value: Any, expression: Any, connection: BaseDatabaseWrapper) -> Any:
        """Return the stored ``value`` as an ``int``; a float is refused as inexact."""
        if value is None:
            return None
        if isinstance(value, str):
            number = unsortable(value)
        elif isinstance(value, float):
            raise ValueError(f"expected an exact amount, got the float {value!r}")
        else:
            number = Decimal(value)
        if number != number.to_integral_value():
            raise ValueError(f"expected a whole number of base units, got {number}")
        return int(number)

    def value_to_string(self, obj: models.Model) -> str:
        """Return the amount as digits (serialisation, fixtures)."""
        value = self.value_from_object(obj)
        return "" if value is None else str(value)

    def formfield(self, **kwargs: Any) -> Any:  # type: ignore[override]
        """Return a whole-number form field bounded like the model field."""
        defaults: dict[str, Any] = {
            "form_class": forms.IntegerField,
            "max_value": 10**MAX_DIGITS - 1,
            "min_value": -(10**MAX_DIGITS) + 1 if self.signed else 0,
        }
        defaults.update(kwargs)
        return super().formfield(**defaults)


class FiatField(models.DecimalField):  # type: ignore[type-arg]
    """Store a fiat amount (yen) exactly as a ``Decimal`` with ``decimal_places`` places and
    at most ``max_digits`` digits: ``numeric(max_digits, decimal_places)`` on PostgreSQL,
    order-preserving TEXT on SQLite. Read back, a value always has ``decimal_places``
    places on both databases (as ``DecimalField`` does). A value with more places or more
    digits than the field admits is refused when saved, never rounded; a float is refused.
    """

    description = _("Fiat amount (exact decimal)")

    def get_internal_type(self) -> str:
        """Return our own type name, so no backend applies its decimal converters."""
        return "FiatField"

    def db_type(self, connection: BaseDatabaseWrapper) -> str:
        """Return TEXT on SQLite, ``numeric(max_digits, decimal_places)`` elsewhere."""
        if connection.vendor == "sqlite":
            return "text"
        return f"numeric({self.max_digits}, {self.decimal_places})"

    def cast_db_type(self, connection: BaseDatabaseWrapper) -> str:
        """Return the type a ``Cast`` to this field uses."""
        return self.db_type(connection)

    def get_lookup(self, lookup_name: str) -> Any:
        """Return the lookup ``lookup_name`` if it compares amounts, else None."""
        return _restricted(lookup_name, super().get_lookup(lookup_name))

    def get_transform(self, lookup_name: str) -> Any:
        """Return None: no transform applies to an amount."""
        return None

    def to_python(self, value: Any) -> Any:
        """Return ``value`` as a ``Decimal``; a float is refused as inexact."""
        if isinstance(value, float):
            raise ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": value}
            )
        return super().to_python(value)

    def _exact(self, value: Decimal) -> Decimal:
        """Return ``value`` if the field holds it exactly, else raise ValueError."""
        assert self.max_digits is not None and self.decimal_places is not None
        context = decimal.Context(prec=self.max_digits + 2)
        places = Decimal(1).scaleb(-self.decimal_places)
        if not value.is_finite():
            raise ValueError(f"expected a finite amount, got {value}")
        try:
            held = value.quantize(places, context=context, rounding=decimal.ROUND_DOWN)
        except decimal.InvalidOperation:
            held = None
        if held != value or len(held.as_tuple().digits) > self.max_digits:
            raise ValueError(
                f"expected at most {self.max_digits} digits with {self.decimal_places} "
                f"decimal places, got {value}"
            )
        return held

    def get_db_prep_value(
        self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False
    ) -> Any:
        """Return ``value`` as the database stores it: encoded text on SQLite, the
        ``Decimal`` elsewhere; a value the field cannot hold exactly is refused."""
        if not prepared:
            value = self.get_prep_value(value)
        if value is None or hasattr(value, "resolve_expression"):
            return value
        exact = self._exact(value)
        return sortable(exact) if connection.vendor == "sqlite" else exact

    def from_db_value(self, value: Any, expression: Any, connection: BaseDatabaseWrapper) -> Any:
        """Return the stored ``value`` as a ``Decimal`` with ``decimal_places`` places; a
        float is refused as inexact."""
        if value is None:
            return None
        if isinstance(value, float):
            raise ValueError(f"expected an exact amount, got the float {value!r}")
        number = unsortable(value) if isinstance(value, str) else Decimal(value)
        assert self.max_digits is not None and self.decimal_places is not None
        context = decimal.Context(prec=max(self.max_digits, len(number.as_tuple().digits)) + 2)
        return number.quantize(Decimal(1).scaleb(-self.decimal_places), context=context)


class _SqliteTotal:
    """SQLite aggregate adding encoded amounts exactly (any inexact step raises)."""

    def __init__(self) -> None:
        self.context = decimal.Context(prec=4 * MAX_DIGITS, traps=[decimal.Inexact])
        self.total: Decimal | None = None

    def step(self, value: Any) -> None:
        if value is None:
            return
        number = unsortable(value) if isinstance(value, str) else Decimal(value)
        self.total = number if self.total is None else self.context.add(self.total, number)

    def finalize(self) -> str | None:
        return None if self.total is None else sortable(self.total)


class Total(models.Aggregate):
    """Return the exact sum of an amount column (``BaseUnitsField`` or ``FiatField``), None
    over no rows unless ``default`` is given: ``SUM`` on PostgreSQL, an exact aggregate over
    the encoded text on SQLite."""

    function = "SUM"
    name = "Total"
    allow_distinct = False

    def as_sqlite(self, compiler: Any, connection: BaseDatabaseWrapper, **extra: Any) -> Any:
        """Return the SQL calling the exact aggregate, registered on this connection."""
        connection.ensure_connection()
        connection.connection.create_aggregate("mamori_amount_total", 1, _SqliteTotal)
        return self.as_sql(compiler, connection, function="mamori_amount_total", **extra)


def _rewrite(
    model_fields: dict[str, tuple[str, ...]], to_text: Callable[[str], str]
) -> Callable[[StateApps, BaseDatabaseSchemaEditor], None]:
    def rewrite(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        connection = schema_editor.connection
        if connection.vendor != "sqlite":
            return
        quote = connection.ops.quote_name
        for label, names in model_fields.items():
            meta = apps.get_model(label)._meta
            table, pk = quote(meta.db_table), quote(meta.pk.column)
            for name in names:
                column = quote(meta.get_field(name).column)
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT {pk}, {column} FROM {table} WHERE {column} IS NOT NULL"  # noqa: S608
                    )
                    found = cursor.fetchall()
                    for key, value in found:
                        if to_text is _encode_stored and _maybe_rounded(str(value)):
                            _log.warning(
                                "%s.%s of row %s: SQLite had kept %s, 15 significant digits; "
                                "the figure written may have had more (run it again)",
                                label,
                                name,
                                key,
                                value,
                            )
                    rows = [(to_text(str(value)), key) for key, value in found]
                    cursor.executemany(
                        f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",  # noqa: S608
                        rows,
                    )

    return rewrite


def _maybe_rounded(text: str) -> bool:
    """Return whether SQLite may have rounded the value it copied as ``text``: a REAL (an
    INTEGER has neither point nor exponent) of 15 significant digits or of 2**53 or more."""
    if not any(mark in text.lower() for mark in ".e"):
        return False
    number = Decimal(text)
    significant = "".join(map(str, number.as_tuple().digits)).strip("0")
    return number.copy_abs() >= 2**53 or len(significant) >= 15


def _encode_stored(text: str) -> str:
    """Return the text SQLite copied from an old decimal column, encoded (idempotent)."""
    if text[:1] in ("P", "N"):
        return text
    return sortable(Decimal(text))


def _plain_stored(text: str) -> str:
    """Return an encoded value as plain digits (to go back to a decimal column)."""
    if text[:1] not in ("P", "N"):
        return text
    return format(unsortable(text), "f")


def convert_on_sqlite(**model_fields: tuple[str, ...]) -> migrations.RunPython:
    """Return the migration step that rewrites, on SQLite, the values an ``AlterField`` from
    a decimal column copied into the TEXT column of one of these fields, as
    ``convert_on_sqlite(**{"app.Model": ("field", ...)})``; reversible; nothing to do on
    PostgreSQL (``numeric`` to ``numeric`` is exact).

    The old column held what SQLite had kept: exact up to 64 bits, 15 significant digits
    beyond. That is preserved exactly; digits SQLite had already lost cannot come back, so
    each value SQLite had kept as a wide REAL is logged as a warning naming its row.
    """
    return migrations.RunPython(
        _rewrite(model_fields, _encode_stored),
        _rewrite(model_fields, _plain_stored),
        elidable=False,
    )
