"""Indonesian numerals both ways: format what a page shows, parse what an article says.

Formatting goes through Babel, so that a page shows 530.000, Rp2,2 miliar and 70% in
Indonesian and 530,000, IDR 2.2 billion and 70% in English.  This is the one number
formatter of the project: templates, charts and the data export all call it.

Parsing reads the figures a quoted sentence states ("530.000", "19,336", "Rp2,2 miliar",
"42 juta", "70 Persen", "seribu", "7000an", "1500 hingga 2000") so that a figure can be
checked against its quote.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from babel.numbers import format_compact_decimal, format_decimal

from .model import QUALIFIERS, UNITS, Value

_COMPACT_FROM = 1_000_000
"""Rupiah amounts from one million up are written with juta/miliar/triliun."""


@lru_cache(maxsize=4096)
def format_number(number: int | float, locale: str = "id") -> str:
    """A plain number in the locale's style: 530.000 (id), 530,000 (en)."""
    return format_decimal(number, locale=locale, decimal_quantization=False)


@lru_cache(maxsize=65536)
def format_amount(number: int | float, unit: str, locale: str = "id") -> str:
    """One number with its unit sign where the unit has one: Rp2,2 miliar, 70%, 530.000."""
    if unit == "IDR":
        if abs(number) >= _COMPACT_FROM:
            text = format_compact_decimal(_round_to_scale(number), format_type="long",
                                          locale=locale, fraction_digits=2)
        else:
            text = format_number(number, locale)
        return f"Rp{text}" if locale == "id" else f"IDR {text}"
    if unit == "percent":
        return f"{format_number(number, locale)}%"
    return format_number(number, locale)


def _round_to_scale(number: int | float) -> float:
    """Round to two decimals of its juta/miliar/triliun scale first, so that 999.999.999
    becomes 1 miliar rather than '1000 juta'."""
    scale = 10 ** (3 * int(math.log10(abs(number)) // 3))
    rounded = round(number / scale, 2)
    return rounded * scale if abs(rounded) < 1000 else round(number / (scale * 1000), 2) * scale * 1000


def format_value(value: Value, unit: str, locale: str = "id") -> str:
    """A figure as a page shows it: one amount, or a range 'low–high'."""
    if not value.is_range:
        return format_amount(value.low, unit, locale)
    return f"{format_amount(value.low, unit, locale)}–{format_amount(value.high, unit, locale)}"


def qualifier_label(qualifier: str | None, locale: str = "id") -> str:
    """The hedge word shown before a figure ('sekitar', 'lebih dari'), or ''."""
    if not qualifier:
        return ""
    term = QUALIFIERS[qualifier]
    return term.label if locale == "id" else term.label_en


def unit_label(unit: str, locale: str = "id") -> str:
    """The unit word shown after a count ('orang', 'keluarga'); '' where the sign says it."""
    if unit in ("IDR", "percent"):
        return ""
    return UNITS[unit].label if locale == "id" else UNITS[unit].label_en


@lru_cache(maxsize=65536)
def describe_value(value: Value, unit: str, qualifier: str | None, locale: str = "id") -> str:
    """The whole figure in words: 'sekitar 19.336 orang', 'lebih dari 70%'."""
    parts = [qualifier_label(qualifier, locale), format_value(value, unit, locale),
             unit_label(unit, locale)]
    return " ".join(p for p in parts if p)


# --- Parsing ---------------------------------------------------------------------------

_SCALES = {"ribu": 1e3, "rb": 1e3, "juta": 1e6, "jt": 1e6, "miliar": 1e9, "milyar": 1e9,
           "triliun": 1e12}
_DIGITS = re.compile(
    r"(?<![\w.,])(\d+(?:[.,]\d+)*)(an)?(?:\s*(ribu|rb|juta|jt|miliar|milyar|triliun)\b)?",
    re.IGNORECASE)
_WORD_UNITS = {"satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6, "tujuh": 7,
               "delapan": 8, "sembilan": 9, "sepuluh": 10, "sebelas": 11, "seratus": 100,
               "seribu": 1000, "sejuta": 1e6, "semiliar": 1e9}
_WORD_MULTIPLIERS = {"puluh": 10, "ratus": 100, "ribu": 1e3, "juta": 1e6,
                     "miliar": 1e9, "milyar": 1e9, "triliun": 1e12}
_WORDS = re.compile(r"[a-z]+", re.IGNORECASE)


def _digit_readings(digits: str) -> set[float]:
    """Every number a digit group can mean in an Indonesian text."""
    if re.fullmatch(r"\d+", digits):
        return {float(digits)}
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", digits):  # 530.000: Indonesian thousands
        readings = {float(digits.replace(".", ""))}
        if digits.count(".") == 1:
            readings.add(float(digits))  # 2.200 may also be an English decimal
        return readings
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", digits):  # 19,336: English thousands, or a decimal
        readings = {float(digits.replace(",", ""))}
        if digits.count(",") == 1:
            readings.add(float(digits.replace(",", ".")))
        return readings
    if re.fullmatch(r"\d+,\d+", digits):  # 2,2: Indonesian decimal comma
        return {float(digits.replace(",", "."))}
    if re.fullmatch(r"\d+\.\d+", digits):  # 2.5: English decimal point
        return {float(digits)}
    return set()


def _word_numbers(text: str) -> set[float]:
    """Numbers written in words: 'seribu', 'dua ribu', 'lima belas', 'seratus dua puluh'."""
    found: set[float] = set()
    total = current = digit = 0.0
    active = False

    def finish() -> None:
        nonlocal total, current, digit, active
        if active:
            found.add(total + current + digit)
        total = current = digit = 0.0
        active = False

    for word in [w.lower() for w in _WORDS.findall(text)] + [""]:
        if word in _WORD_UNITS:
            value = _WORD_UNITS[word]
            if digit:  # 'dua tiga': two numbers, not one
                finish()
            active = True
            if value < 10:
                digit = value
            elif value < 1000:
                current += value  # sepuluh, sebelas, seratus
            else:
                total += value  # seribu, sejuta, semiliar
        elif active and word == "belas":
            current, digit = current + digit + 10, 0.0
        elif active and word in _WORD_MULTIPLIERS:
            multiplier = _WORD_MULTIPLIERS[word]
            if multiplier < 1000:  # puluh, ratus: multiply the digit before them
                current, digit = current + (digit or 1) * multiplier, 0.0
            else:  # ribu, juta, ...: multiply everything below a thousand so far
                total, current, digit = total + ((current + digit) or 1) * multiplier, 0.0, 0.0
        else:
            finish()
    return found


def parse_numbers(text: str) -> set[float]:
    """Every figure a sentence can be read to state, in all plausible readings."""
    numbers: set[float] = set()
    text = re.sub(r"\bRp\.?\s?(?=\d)", " ", text, flags=re.IGNORECASE)  # Rp2,2 -> 2,2
    for match in _DIGITS.finditer(text):
        digits, _suffix, scale = match.groups()
        multiplier = _SCALES[scale.lower()] if scale else 1
        for reading in _digit_readings(digits):
            numbers.add(round(reading * multiplier, 6))
    numbers |= _word_numbers(text)
    return numbers


def figure_in_text(value: Value, text: str) -> bool:
    """Whether *text* states the figure (both ends of a range)."""
    found = parse_numbers(text)
    return all(any(abs(n - float(end)) < 1e-6 * max(1.0, abs(n)) for n in found)
               for end in {value.low, value.high})
