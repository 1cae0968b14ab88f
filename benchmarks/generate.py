"""Write SYNTHETIC content at a chosen scale, for benchmarks.

    python benchmarks/generate.py --out DIR [--regions N] [--facts-per-region F] [--seed S]

By default: the national scale, 38 provinces and 514 regencies and cities, about 100
facts per region (~55,000 facts) and 5,000 sources, with ranges, hedged figures, several
periods per metric and multi-source facts in realistic proportions.  Every name says
"Sintetis" and the site title says the data are synthetic: none of it is real.  The same
arguments always write the same bytes.
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PROVINCES = 38
REGENCIES = 514
SOURCES = 5_000
PERIODS = list(range(2019, 2026))

# (metric id, label, label_en, unit, typical size)
METRICS = [
    ("workforce", "Angkatan kerja", "Labour force", "people", 400_000),
    ("participants-protected", "Peserta terlindungi", "Participants protected", "people", 60_000),
    ("membership-dropouts", "Peserta putus kepesertaan", "Participants who dropped out", "people", 20_000),
    ("vulnerable-population", "Pekerja rentan", "Vulnerable workers", "people", 30_000),
    ("coverage-rate", "Cakupan kepesertaan", "Coverage rate", "percent", 60),
    ("contribution-budget", "Anggaran iuran", "Budget for contributions", "IDR", 2_000_000_000),
    ("death-benefit", "Santunan kematian", "Death benefit", "IDR", 42_000_000),
    ("villages-total", "Jumlah kampung", "Villages", "villages", 150),
    ("villages-enrolled", "Kampung terdaftar", "Villages enrolled", "villages", 40),
    ("claims-paid", "Klaim dibayar", "Claims paid", "IDR", 5_000_000_000),
]
PROGRAMS = [("jkk", "JKK", "Jaminan Kecelakaan Kerja", "Work Accident Insurance", "program"),
            ("jkm", "JKM", "Jaminan Kematian", "Death Benefit", "program"),
            ("jht", "JHT", "Jaminan Hari Tua", "Old-Age Savings", "program"),
            ("jp", "JP", "Jaminan Pensiun", "Pension Insurance", "program"),
            ("jkp", "JKP", "Jaminan Kehilangan Pekerjaan", "Job Loss Insurance", "program"),
            ("iuran-apbd", "APBD", "Iuran dibayar APBD", "Contributions paid from a regional budget",
             "scheme")]
STATUSES = [("actual", 60), ("target", 20), ("budget", 10), ("plan", 7), ("benefit", 3)]
HEDGES = [(None, 88), ("about", 8), ("more-than", 4)]


def _dump(path: Path, data: object, header: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), allow_unicode=True,
                     sort_keys=False, width=100)
    path.write_text(f"# SYNTHETIC benchmark content: {header}\n{text}", encoding="utf-8")


def _id_number(value: float, unit: str) -> str:
    """The figure as an article would write it, Indonesian style."""
    if unit == "IDR":
        return f"Rp{value / 1e6:,.0f} juta".replace(",", ".")
    if unit == "percent":
        return f"{value:g} persen"
    return f"{value:,.0f}".replace(",", ".")


def _pick(rng: random.Random, weighted):
    return rng.choices([w[0] for w in weighted], [w[1] for w in weighted])[0]


def generate(out: Path, regions: int = REGENCIES, facts_per_region: int = 100,
             seed: int = 2024) -> dict[str, int]:
    """Write the content folder *out*; returns counts."""
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    provinces = min(PROVINCES, max(1, regions // 10 or 1))
    region_rows = [{"id": "indonesia", "name": "Indonesia (sintetis)", "name_en": "Indonesia (synthetic)",
                    "kind": "country", "parent": None, "code": None}]
    all_regions = []
    for p in range(1, provinces + 1):
        pid = f"provinsi-sintetis-{p:02d}"
        region_rows.append({"id": pid, "name": f"Provinsi Sintetis {p:02d}",
                            "name_en": f"Synthetic Province {p:02d}", "kind": "province",
                            "parent": "indonesia", "code": f"{p:02d}"})
        all_regions.append(pid)
    for r in range(regions):
        p = r % provinces + 1
        kind = "city" if r % 5 == 0 else "regency"
        word = "Kota" if kind == "city" else "Kabupaten"
        rid = f"{word.lower()}-sintetis-{r + 1:03d}"
        region_rows.append({"id": rid, "name": f"{word} Sintetis {r + 1:03d}",
                            "name_en": f"Synthetic {kind} {r + 1:03d}", "kind": kind,
                            "parent": f"provinsi-sintetis-{p:02d}", "code": None})
        all_regions.append(rid)
    n_sources = max(20, SOURCES * len(all_regions) // (PROVINCES + REGENCIES))
    sources = []
    for s in range(n_sources):
        year = rng.choice(PERIODS[2:] + [2025, 2025])
        sources.append({"id": f"media-sintetis-{s + 1:04d}", "publisher": f"Media Sintetis {s % 40 + 1:02d}",
                        "title": f"Berita sintetis nomor {s + 1}", "date": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                        "authors": [f"Penulis Sintetis {s % 97 + 1}"], "url": None, "archive": None})
    by_year: dict[int, list[dict]] = {}
    for source in sources:
        by_year.setdefault(int(source["date"][:4]), []).append(source)

    content = out
    _dump(content / "site.yaml", {"title": "DATA SINTETIS: uji kinerja reportgen",
                                  "title_en": "SYNTHETIC DATA: reportgen benchmark",
                                  "description": "Data buatan untuk mengukur kinerja; bukan data nyata.",
                                  "description_en": "Made-up data for measuring performance; not real."}, "site")
    _dump(content / "regions.yaml", {"regions": region_rows}, "regions")
    _dump(content / "programs.yaml", {"programs": [
        {"id": i, "short": s, "name": n, "name_en": e, "kind": k} for i, s, n, e, k in PROGRAMS]}, "programs")
    _dump(content / "metrics.yaml", {"metrics": [
        {"id": i, "label": l, "label_en": e, "unit": u} for i, l, e, u, _ in METRICS]}, "metrics")

    cited: set[str] = set()
    total = 0
    for region in all_regions:
        facts, used = [], set()
        name = next(r["name"] for r in region_rows if r["id"] == region)
        while len(facts) < facts_per_region:
            metric, label, _, unit, size = rng.choice(METRICS)
            period = rng.choice(PERIODS)
            status = _pick(rng, STATUSES)
            key = (metric, period, status)
            if key in used and rng.random() > 0.01:  # about 1% disagree or repeat on purpose
                continue
            used.add(key)
            low = round(size * rng.uniform(0.2, 1.8)) if unit != "percent" else rng.randint(5, 95)
            if unit == "IDR":
                low = round(low / 1e6) * 1_000_000
            value: object = low
            if rng.random() < 0.05 and unit != "percent":
                value = {"low": low, "high": low + round(low * rng.uniform(0.1, 0.5))}
                if unit == "IDR":
                    value["high"] = round(value["high"] / 1e6) * 1_000_000
            years = [y for y in by_year if y >= period] if status == "actual" else list(by_year)
            pool = [s for y in years for s in by_year[y]] or sources
            citing = rng.sample(pool, 2 if rng.random() < 0.1 else 1)
            if isinstance(value, dict):
                said = f"{_id_number(value['low'], unit)} hingga {_id_number(value['high'], unit)}"
            else:
                said = _id_number(value, unit)
            fact = {"id": f"{region}-{metric}-{period}-{status}-{len(facts)}", "region": region,
                    "programs": [rng.choice(PROGRAMS)[0]], "metric": metric, "value": value,
                    "unit": unit, "period": str(period), "status": status}
            hedge = _pick(rng, HEDGES)
            if hedge:
                fact["qualifier"] = hedge
            fact["sources"] = [{"source": s["id"], "quote": f"Menurut berita sintetis ini, "
                                f"{label.lower()} di {name} pada {period} sebesar {said}."}
                               for s in citing]
            cited.update(s["id"] for s in citing)
            facts.append(fact)
        total += len(facts)
        _dump(content / "facts" / f"{region}.yaml", {"facts": facts}, f"facts of {name}")
    _dump(content / "sources.yaml", {"sources": [s for s in sources if s["id"] in cited]}, "sources")
    (content / "pages").mkdir(parents=True, exist_ok=True)
    (content / "pages" / "tentang.md").write_text(
        "# Tentang data ini\n\nSemua angka di situs ini **sintetis**: dibuat untuk uji kinerja.\n",
        encoding="utf-8")
    return {"regions": len(region_rows), "facts": total, "sources": len(cited)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="content folder to write")
    parser.add_argument("--regions", type=int, default=REGENCIES,
                        help=f"regencies and cities (default {REGENCIES})")
    parser.add_argument("--facts-per-region", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    counts = generate(args.out, args.regions, args.facts_per_region, args.seed)
    print(f"wrote {counts['facts']:,} facts, {counts['regions']:,} regions and "
          f"{counts['sources']:,} sources (SYNTHETIC) to {args.out}")


if __name__ == "__main__":
    main()
