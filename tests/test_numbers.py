"""reportgen.numbers: formatting figures in Indonesian and English, and reading them from quotes."""

from __future__ import annotations

import pytest

from reportgen.model import Value
from reportgen.numbers import (
    describe_value, figure_in_text, format_amount, format_number, format_value, parse_numbers,
)


def one(number) -> Value:
    return Value(number, number)


# --- formatting ------------------------------------------------------------------------

@pytest.mark.parametrize("number, locale, expected", [
    (530000, "id", "530.000"),
    (19336, "id", "19.336"),
    (2.5, "id", "2,5"),
    (530000, "en", "530,000"),
    (1234.5, "en", "1,234.5"),
    (744, "id", "744"),
])
def test_format_number(number, locale, expected):
    assert format_number(number, locale) == expected


@pytest.mark.parametrize("number, unit, locale, expected", [
    (2_200_000_000, "IDR", "id", "Rp2,2 miliar"),
    (1_100_000_000, "IDR", "id", "Rp1,1 miliar"),
    (42_000_000, "IDR", "id", "Rp42 juta"),
    (500_000, "IDR", "id", "Rp500.000"),
    (1_500_000_000_000, "IDR", "id", "Rp1,5 triliun"),
    (70, "percent", "id", "70%"),
    (70.5, "percent", "id", "70,5%"),
    (530000, "people", "id", "530.000"),
    (2_200_000_000, "IDR", "en", "IDR 2.2 billion"),
    (42_000_000, "IDR", "en", "IDR 42 million"),
    (500_000, "IDR", "en", "IDR 500,000"),
    (70.5, "percent", "en", "70.5%"),
    (530000, "families", "en", "530,000"),
])
def test_format_amount(number, unit, locale, expected):
    assert format_amount(number, unit, locale) == expected


def test_format_amount_rounding_up_to_the_next_scale():
    assert format_amount(999_999_999, "IDR", "id") == "Rp1 miliar"


@pytest.mark.parametrize("value, unit, locale, expected", [
    (one(530000), "people", "id", "530.000"),
    (Value(1500, 2000), "people", "id", "1.500–2.000"),
    (Value(1500, 2000), "people", "en", "1,500–2,000"),
    (Value(100_000_000, 200_000_000), "IDR", "id", "Rp100 juta–Rp200 juta"),
    (one(2_200_000_000), "IDR", "en", "IDR 2.2 billion"),
])
def test_format_value(value, unit, locale, expected):
    assert format_value(value, unit, locale) == expected


@pytest.mark.parametrize("value, unit, qualifier, locale, expected", [
    (one(19336), "people", "about", "id", "sekitar 19.336 orang"),
    (one(70), "percent", "more-than", "id", "lebih dari 70%"),
    (one(744), "families", None, "id", "744 keluarga"),
    (Value(1500, 2000), "people", "about", "id", "sekitar 1.500–2.000 orang"),
    (one(2_200_000_000), "IDR", None, "id", "Rp2,2 miliar"),
    (one(19336), "people", "about", "en", "about 19,336 people"),
    (one(70), "percent", "more-than", "en", "more than 70%"),
    (one(42_000_000), "IDR", "up-to", "en", "up to IDR 42 million"),
])
def test_describe_value(value, unit, qualifier, locale, expected):
    assert describe_value(value, unit, qualifier, locale) == expected


# --- parsing ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("530.000", {530000, 530}),
    ("19,336", {19336, 19.336}),  # English thousands, or an Indonesian decimal comma
    ("Rp2,2 miliar", {2_200_000_000}),
    ("1,1 Miliar", {1_100_000_000}),
    ("42 juta", {42_000_000}),
    ("70 Persen", {70}),
    ("seribu", {1000}),
    ("dua ribu lima ratus", {2500}),
    ("tiga ratus ribu", {300_000}),
    ("lima belas", {15}),
    ("7000an", {7000}),
    ("1500 hingga 2000", {1500, 2000}),
    ("Rp100 juta hingga Rp200 juta", {100_000_000, 200_000_000}),
    ("Rp. 500.000 per bulan", {500_000, 500}),
    ("1.234.567", {1_234_567}),
    ("tanpa angka", set()),
])
def test_parse_numbers(text, expected):
    assert parse_numbers(text) == {float(n) for n in expected}


@pytest.mark.parametrize("text, expected", [("dua puluh lima", 25), ("seratus dua puluh", 120)])
def test_parse_compound_number_words(text, expected):
    assert parse_numbers(text) == {float(expected)}


@pytest.mark.parametrize("value, text", [
    (one(530000), "Sementara, 2022 BPJS Ketenagakerjaan telah melindungi sebanyak 530.000 orang."),
    (one(19336), "menganggarkan Rp2,2 miliar dari APBD 2024 untuk melindungi 19,336 pekerja rentan"),
    (one(19336), "Pekerja rentan di Kota Sorong ... sekitar 19.336 orang."),
    (one(2_200_000_000), "menganggarkan Rp2,2 miliar dari APBD 2024"),
    (one(1_100_000_000), "APBD Kota Sorong hanya 1,1 Miliar, dibandingkan dengan wilayah lain."),
    (one(42_000_000), "maka jaminan sosial sebesar 42 juta akan diberikan"),
    (one(70), "dapat mencover masyarakat rentan hingga 70 Persen lebih."),
    (one(1000), "Tahun lalu seribu pekerja sudah terlindungi."),
    (one(2500), "sebanyak dua ribu lima ratus pekerja"),
    (one(7000), "total keluarga rentan dan miskin di Parepare mencapai 7000an"),
    (Value(1500, 2000), "mencapai 1500 hingga 2000 peserta,"),
    (Value(100_000_000, 200_000_000), "adalah sebanyak Rp100 juta hingga Rp200 juta."),
])
def test_figure_in_text_finds_real_phrases(value, text):
    assert figure_in_text(value, text)


@pytest.mark.parametrize("value, text", [
    (one(2000), "Tahun lalu seribu pekerja sudah terlindungi."),
    (one(53000), "melindungi sebanyak 530.000 orang."),
    (one(2_200_000_000), "menganggarkan Rp2,2 juta"),
    (one(42), "sebesar 42 juta akan diberikan"),
    (Value(1500, 2500), "mencapai 1500 hingga 2000 peserta"),  # only one end is stated
    (one(700), "hingga 70 Persen lebih"),
])
def test_figure_in_text_rejects_figures_not_stated(value, text):
    assert not figure_in_text(value, text)
