"""The benches' synthetic inputs stay what their figures claim: a bench whose input the importer
starts to refuse (or profile otherwise) would print fast, wrong figures, or stop on its own checks
long after the change that broke it. Each input is built here small and put through the same checks."""

from __future__ import annotations

from datetime import date

from bench import import_export, profiling
from collect.imports import prepare_lines
from collect.profiling import column_values, profile_column, propose_fields


def test_the_profiling_bench_table_is_proposed_as_the_bench_expects():
    # 20 000 lines: on fewer, its two all-date columns come close enough to swap (the other is then proposed
    # as date_maj, with the first as its alternative: right for a file without headers, not what the bench checks).
    table, holds = profiling.synthetic_table(rows=20_000)

    profiles = [profile_column(name, values) for name, values in column_values(table).items()]

    profiling.check_results(profiles, propose_fields(profiles), holds)  # raises AssertionError naming the column


def test_the_import_bench_rows_are_all_taken_without_a_note_on_their_identifiers(tmp_path):
    columns, rows = import_export.synthetic_rows(rows=400)
    csv_path, _ = import_export.write_inputs(tmp_path, columns, rows)
    from collect.readers import read_table

    prepared = list(prepare_lines(read_table(csv_path), today=date(2026, 12, 7)))

    assert [p.line for p in prepared if p.structure is None] == []
    assert [(p.line, i.field, i.message) for p in prepared for i in p.issues if i.field == "pivot"] == []
