"""The ten real exports of ``shared/reference/raw-hub-exports/`` imported with no mapping file and no
profile: one Markdown table for ``docs/real-files.md`` (lines, lieux, rejected by reason, columns
used and kept aside, fields filled), then the same figures one a line (``name: value unit``).

    python -m bench.real_files            # the table and the figures
    python -m bench.real_files --markdown # the table only
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

RAW = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "raw-hub-exports"
FIELDS = ("nom", "adresse", "code_postal", "code_insee", "latitude", "telephone", "courriels", "site_web", "horaires",
          "date_maj", "typologie", "services", "modalites_accompagnement", "frais_a_charge")


def _filled(store, field: str) -> int:
    column = f'"{field}"'
    if field == "date_maj":
        return store.query("SELECT count(*) AS n FROM structures WHERE NOT coalesce(date_maj_estimee, FALSE)")[0]["n"]
    return store.query(f"SELECT count(*) AS n FROM structures WHERE {column} IS NOT NULL")[0]["n"]  # noqa: S608


def file_rows() -> list[dict]:
    from collect.imports import import_file
    from models.store import Store

    rows = []
    for path in sorted(p for p in RAW.glob("*/*.json") if not p.name.endswith(".config.json")):
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(Path(tmp) / "s.duckdb", keep_open=0)
            store.migrate()
            started = time.perf_counter()
            report = import_file(store, path)
            seconds = time.perf_counter() - started
            reasons = Counter(f"{e.field} : {e.message}" for e in report.errors)
            filled = {field: _filled(store, field) for field in FIELDS}
        used = [u for u in report.columns if u.field and not u.ignored]
        rows.append({
            "file": path.parent.name, "lines": report.rows_read, "lieux": report.new, "identical": report.identical,
            "rejected": report.rejected, "reasons": reasons, "columns": len(report.columns), "used": len(used),
            "by_content": sum(1 for u in used if u.how == "contenu"), "aside": len(report.unmatched_columns),
            "translations": len(report.translations),
            "unknown": sum(1 for t in report.translations if t.unknown), "filled": filled, "seconds": seconds,
        })
    return rows


def markdown(rows: list[dict]) -> str:
    head = ("| fichier | lignes | lieux importés | identiques | rejetées (raison) | colonnes | utilisées (dont par le "
            "contenu) | mises à part | valeurs traduites (sans traduction) |")
    lines = [head, "|" + "---|" * 9]
    for r in rows:
        reasons = "; ".join(f"{n} × {text}" for text, n in r["reasons"].items()) or "—"
        lines.append(f"| {r['file']} | {r['lines']} | {r['lieux']} | {r['identical']} | {r['rejected']} ({reasons}) | "
                     f"{r['columns']} | {r['used']} ({r['by_content']}) | {r['aside']} | "
                     f"{r['translations']} ({r['unknown']}) |")
    lines += ["", "Champs remplis (lieux importés ayant une valeur ; `date_maj` : la date de la source, pas celle de "
              "l'import) :", "", "| fichier | " + " | ".join(FIELDS) + " |", "|---|" + "---|" * len(FIELDS)]
    for r in rows:
        lines.append(f"| {r['file']} | " + " | ".join(str(r["filled"][f]) for f in FIELDS) + " |")
    return "\n".join(lines)


def main() -> int:
    rows = file_rows()
    print(markdown(rows))
    if "--markdown" in sys.argv:
        return 0
    print()
    for r in rows:
        print(f"{r['file']}_lieux: {r['lieux']} lieux")
        print(f"{r['file']}_rejetees: {r['rejected']} lignes")
        print(f"{r['file']}_seconds: {r['seconds']:.2f} s")
    print(f"total_lines: {sum(r['lines'] for r in rows)} lignes")
    print(f"total_lieux: {sum(r['lieux'] for r in rows)} lieux")
    print(f"total_rejected: {sum(r['rejected'] for r in rows)} lignes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
