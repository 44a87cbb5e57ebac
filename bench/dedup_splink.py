"""Splink beside Jaring's duplicate scan, on the same persons and the same planted truth.

Splink (the maintained Fellegi–Sunter record-linkage library, DuckDB backend) runs in its own
process after the registry is built, so its time and memory are its own, as the scan's are. It
reads the persons from the benchmark database through ``jaring.registry.dedup.load_columns`` (the
NIK decrypted in memory) and the name as the scan compares it (``dedup.normalise``). The model is
what a careful Splink user would write for this registry:

* comparisons: name (exact, Jaro-Winkler ≥ 0.92 / 0.88 / 0.7, with term-frequency adjustment: a
  common name is weak evidence); NIK and birth date as one comparison (the NIK's digits 7–12 are
  the birth date: NIK exact, its first 12 digits — region and date —, one keystroke apart, the
  date part with the birth date, the birth date alone, the date part alone, the birth date one
  character off, the region part 1–6 within a year, within a year); sex; KK, phone and kelurahan
  as one comparison (same KK and phone, same KK, same phone, same kelurahan): Fellegi–Sunter takes
  its comparisons as independent, and kept apart these count one fact twice (``settings``);
* blocking like the scan's: the birth date and sex; the sound key of the first or last word of the
  name (the scan's ``word_key``) with year and month, year and day, month and day; the NIK's first
  12 digits;
* training on the registry itself: λ from a deterministic rule (same name and birth date, recall
  taken as 0.7), u by random sampling (``U_PAIRS``), m by expectation maximisation over two
  blockings (birth date; name and birth year), each on at most ``EM_PAIRS`` pairs;
* prediction at match probability ≥ ``THRESHOLD`` (0.5); pairs down to ``FLOOR`` are kept to
  report the threshold with the best F1 as well.

Splink is an optional extra (``pip install -e '.[bench]'``: splink, duckdb, pyarrow, sqlglot);
without it the benchmark says so and prints Jaring's figures alone. A run that takes longer than
``TIMEOUT`` seconds (15 minutes; ``BENCH_SPLINK_TIMEOUT`` to change) is stopped and reported as such.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np

from bench.harness import emit, progress

if TYPE_CHECKING:
    from bench.dedup import Truth

THRESHOLD = 0.5
FLOOR = 0.01
TIMEOUT = int(os.environ.get("BENCH_SPLINK_TIMEOUT", 15 * 60))  # seconds; then Splink is stopped and reported
EM_PAIRS = 5e6  # at most this many blocked pairs per EM session (a hash sample of the records)
U_PAIRS = 5e6  # pairs sampled for u: Splink advises 1e7 or more; 5e6 gave the same weights at 20,000 persons
INSTALL_HINT = "pip install -e '.[bench]'"


def available() -> bool:
    return importlib.util.find_spec("splink") is not None and importlib.util.find_spec("duckdb") is not None


# --- In the child process -----------------------------------------------------------------------
def load_table() -> Any:
    """The persons as Splink reads them: a pyarrow table, one row per person."""
    import pyarrow as pa

    from jaring.registry.dedup import load_columns, normalise, word_key
    from jaring.registry.models import Person

    c = load_columns(Person.objects.all())
    names = [normalise(n) for n in c["names"]]
    words = [n.split() for n in names]
    births = np.asarray(c["births"], dtype="datetime64[D]")
    years = births.astype("datetime64[Y]")
    months = births.astype("datetime64[M]")
    return pa.table({
        "unique_id": pa.array(c["ids"], pa.int64()),
        "name": pa.array([n or None for n in names], pa.string()),
        "first_key": pa.array([word_key(w[0]) if w else None for w in words], pa.string()),
        "last_key": pa.array([word_key(w[-1]) if len(w) > 1 else None for w in words], pa.string()),
        "birth_date": pa.array(births, pa.date32()),
        "birth_year": pa.array(years.astype(np.int64) + 1970, pa.int32()),
        "birth_month": pa.array((months - years).astype(np.int64) + 1, pa.int32()),
        "birth_day": pa.array((births - months).astype(np.int64) + 1, pa.int32()),
        "sex": pa.array(c["sexes"], pa.string()),
        "household": pa.array(c["households"], pa.int64()),
        "kelurahan": pa.array(c["kelurahans"], pa.int64()),
        "phone": pa.array([p or None for p in c["phones"]], pa.string()),
        "nik": pa.array([n or None for n in c["niks"]], pa.string()),
    })


def settings() -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    # Fellegi–Sunter multiplies the evidence of the comparisons as if independent. The NIK's digits
    # 7–12 are the birth date (and sex), so NIK and birth date are one comparison, its levels from
    # the strongest down; the KK, the phone (one per family, often) and the kelurahan go together
    # in the same way. Kept apart they count the same fact twice: at 20,000 persons, any two people
    # born on the same day scored 0.95 and family members above 0.9 (precision 0.03 at 0.5).
    nik_birth = cl.CustomComparison(output_column_name="nik_birth", comparison_description="NIK and birth date",
                                    comparison_levels=[
        cll.CustomLevel("nik_l IS NULL OR nik_r IS NULL", "no NIK").configure(is_null_level=True),
        cll.ExactMatchLevel("nik"),
        cll.CustomLevel("substr(nik_l, 1, 12) = substr(nik_r, 1, 12)", "NIK region and date part (1-12)"),
        cll.DamerauLevenshteinLevel("nik", 1),
        cll.CustomLevel("substr(nik_l, 7, 6) = substr(nik_r, 7, 6) AND birth_date_l = birth_date_r",
                        "NIK date part (7-12) and birth date"),
        cll.CustomLevel("birth_date_l = birth_date_r", "birth date, not the NIK date part"),
        cll.CustomLevel("substr(nik_l, 7, 6) = substr(nik_r, 7, 6)", "NIK date part, not the birth date"),
        cll.CustomLevel("damerau_levenshtein(CAST(birth_date_l AS VARCHAR), CAST(birth_date_r AS VARCHAR)) <= 1",
                        "birth date one character apart"),
        cll.CustomLevel("substr(nik_l, 1, 6) = substr(nik_r, 1, 6) AND "
                        "abs(date_diff('day', birth_date_l, birth_date_r)) <= 366", "NIK region (1-6), within a year"),
        cll.CustomLevel("abs(date_diff('day', birth_date_l, birth_date_r)) <= 366", "birth date within a year"),
        cll.ElseLevel(),
    ])
    place = cl.CustomComparison(output_column_name="place", comparison_description="KK, phone, kelurahan",
                                comparison_levels=[
        cll.CustomLevel("household_l = household_r AND phone_l = phone_r", "same KK and phone"),
        cll.CustomLevel("household_l = household_r", "same KK"),
        cll.CustomLevel("phone_l = phone_r", "same phone"),
        cll.CustomLevel("kelurahan_l = kelurahan_r", "same kelurahan"),
        cll.ElseLevel(),
    ])
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.NameComparison("name").configure(term_frequency_adjustments=True),
            nik_birth,
            cl.ExactMatch("sex"),
            place,
        ],
        blocking_rules_to_generate_predictions=[
            block_on("birth_date", "sex"),
            *(block_on(key, *part) for key in ("first_key", "last_key")
              for part in (("birth_year", "birth_month"), ("birth_year", "birth_day"), ("birth_month", "birth_day"))),
            block_on("substr(nik, 1, 12)"),
        ],
        retain_matching_columns=False,
    )


def link(table: Any, out_path: str) -> dict[str, Any]:
    """Train and predict; write the pairs (id_l, id_r, match probability ≥ FLOOR) to ``out_path``
    (parquet); return the timings."""
    import pyarrow.parquet as pq
    from splink import DuckDBAPI, Linker, block_on

    started = time.perf_counter()
    db_api = DuckDBAPI()
    frame = db_api.register(table, dataset_display_name="persons")
    linker = Linker(frame, settings(), log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match([block_on("name", "birth_date")], recall=0.7)
    _step("λ estimated", started)
    linker.training.estimate_u_using_random_sampling(max_pairs=U_PAIRS, seed=17)
    _step("u estimated", started)
    for rule in (block_on("birth_date"), block_on("name", "birth_year")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule, max_pairs=EM_PAIRS)
        _step("m estimated (EM)", started)
    trained = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=FLOOR)
    _step("predicted", started)
    pairs = predictions.as_duckdbpyrelation().select("unique_id_l, unique_id_r, match_probability").arrow()
    if hasattr(pairs, "read_all"):  # newer DuckDB hands back a record batch reader
        pairs = pairs.read_all()
    pq.write_table(pairs, out_path)
    done = time.perf_counter()
    model = linker.misc.save_model_to_json()  # what the model learnt, for the report: log2(m/u) per level
    weights = {}
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            m, u = level.get("m_probability"), level.get("u_probability")
            if not level.get("is_null_level") and m and u:
                weights[f"{comparison['output_column_name']}: {level['label_for_charts']}"] = round(
                    float(np.log2(m / u)), 2)
    return {"train_seconds": round(trained - started, 3), "predict_seconds": round(done - trained, 3),
            "splink_seconds": round(done - started, 3), "pairs_kept": pairs.num_rows,
            "lambda": model["probability_two_random_records_match"], "match_weights": weights}


def _step(what: str, since: float) -> None:
    """A line on stderr: the last one says how far a run that was stopped got."""
    sys.stderr.write(f"STEP {what} after {time.perf_counter() - since:.0f} s\n")
    sys.stderr.flush()


def child(out_path: str) -> None:
    import django
    import splink

    django.setup()
    started = time.perf_counter()
    table = load_table()
    loaded = time.perf_counter()
    _step(f"{table.num_rows:,} persons loaded", started)
    info = link(table, out_path)
    with open("/proc/self/status") as status:
        hwm = next(line for line in status if line.startswith("VmHWM"))
    info.update(load_seconds=round(loaded - started, 3), vm_hwm_mb=round(int(hwm.split()[1]) / 1024, 1),
                persons=table.num_rows, version=splink.__version__)
    sys.stdout.write("\n" + json.dumps(info) + "\n")


# --- In the benchmark -----------------------------------------------------------------------------
def _keys(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    low, high = np.minimum(a, b), np.maximum(a, b)
    return (low.astype(np.int64) << 32) | high.astype(np.int64)


def compare(*, truth: Truth, jaring: dict[str, Any], env: dict[str, str]) -> dict[str, Any] | None:
    """Run Splink in its own process on the benchmark database; emit ``dedup.splink`` and print
    Jaring and Splink side by side. Returns the line, or None when Splink is missing or stopped."""
    from bench.dedup import run_measured

    if not available():
        sys.stdout.write(json.dumps({"name": "dedup.splink", "size": truth.persons, "skipped":
                                     f"Splink is not installed ({INSTALL_HINT})"}) + "\n")
        progress(f"dedup.splink skipped: Splink is not installed; {INSTALL_HINT} to compare")
        side_by_side(jaring, None, note="Splink not installed")
        return None
    home = env.get("JARING_HOME") or tempfile.gettempdir()
    out_path = os.path.join(home, "splink-pairs.parquet")
    progress(f"Splink on {truth.persons:,} persons (time limit {TIMEOUT} s) …")
    started = time.perf_counter()
    out, err, code, anon_mb, timed_out = run_measured(
        [sys.executable, "-m", "bench.dedup_splink", out_path], env, timeout=TIMEOUT)
    seconds = time.perf_counter() - started
    if timed_out or code != 0:
        steps = [line[5:] for line in err.splitlines() if line.startswith("STEP ")]
        reached = f" (last step done: {steps[-1]})" if steps else " (persons not loaded yet)"
        reason = (f"stopped after {TIMEOUT} s: Splink did not finish at {truth.persons:,} persons on this machine"
                  f"{reached}" if timed_out else f"failed (exit {code}): {err.strip()[-1500:]}")
        sys.stdout.write(json.dumps({"name": "dedup.splink", "size": truth.persons, "seconds": round(seconds, 3),
                                     "skipped": reason, "peak_anon_rss_mb": anon_mb}) + "\n")
        progress(f"dedup.splink: {reason}")
        side_by_side(jaring, None, note=reason)
        return None
    info = json.loads([line for line in out.splitlines() if line.strip()][-1])

    import pyarrow.parquet as pq

    pairs = pq.read_table(out_path)
    keys = _keys(pairs.column("unique_id_l").to_numpy(), pairs.column("unique_id_r").to_numpy())
    probability = pairs.column("match_probability").to_numpy()
    planted = np.fromiter(((a << 32) | b for a, b in truth.duplicates), dtype=np.int64, count=len(truth.duplicates))
    hit = np.isin(keys, planted)
    at = probability >= THRESHOLD
    metrics = _metrics(int(hit[at].sum()), int(at.sum()), len(planted))
    # The best threshold: the one with the highest F1, over the probabilities seen.
    order = np.argsort(-probability, kind="stable")
    tp = np.cumsum(hit[order])
    n = np.arange(1, len(order) + 1)
    f1 = 2 * tp / (n + len(planted))
    best = int(np.argmax(f1)) if len(order) else None
    best_threshold = None
    if best is not None:
        cut = float(probability[order][best])
        kept = probability >= cut
        best_threshold = {"match_probability": round(cut, 6),
                          **_metrics(int(hit[kept].sum()), int(kept.sum()), len(planted))}
    found = {(int(k >> 32), int(k & 0xFFFFFFFF)) for k in keys[at]}
    missed = Counter(v for pair in truth.duplicates - found for v in truth.variants[pair])
    planted_by_variant = Counter(v for pair in truth.duplicates for v in truth.variants[pair])
    near = Counter(truth.near_misses[p] for p in found if p in truth.near_misses)
    line = emit(
        "dedup.splink", truth.persons, seconds, rows=truth.persons, database=jaring.get("database"),
        splink_version=info["version"], threshold=THRESHOLD, **metrics,
        planted_duplicates=len(planted), best_threshold=best_threshold,
        splink_seconds=info["splink_seconds"], train_seconds=info["train_seconds"],
        predict_seconds=info["predict_seconds"], load_seconds=info["load_seconds"],
        splink_peak_rss_mb=info["vm_hwm_mb"], splink_peak_anon_rss_mb=anon_mb,
        pairs_scored_above_floor=info["pairs_kept"], floor=FLOOR, probability_two_random_records_match=info["lambda"],
        near_misses_flagged=dict(near),
        recall_by_variant={v: round(1 - missed[v] / k, 4) for v, k in sorted(planted_by_variant.items())},
        match_weights=info["match_weights"],
        timing="its own process: Python start-up, loading and decrypting the persons (load_seconds), then Splink "
               "train + predict (splink_seconds); seconds is the whole")
    side_by_side(jaring, line)
    return line


def _metrics(true_positives: int, candidates: int, planted: int) -> dict[str, Any]:
    return {"candidates": candidates, "true_positives": true_positives,
            "precision": round(true_positives / candidates, 4) if candidates else None,
            "recall": round(true_positives / planted, 4) if planted else None}


def side_by_side(jaring: dict[str, Any], splink: dict[str, Any] | None, note: str = "") -> None:
    """A small table on stderr (stdout keeps one JSON line per figure)."""
    rows = [("", "Jaring", "Splink")]

    def cell(line: dict[str, Any] | None, key: str) -> str:
        value = line.get(key) if line else None
        if value is None:
            return "—"
        return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}" if key == "seconds" else str(value)

    for label, key in (("precision", "precision"), ("recall", "recall"), ("seconds (own process)", "seconds"),
                       ("candidates", "candidates"), ("peak anon RSS MB", None)):
        if key is None:
            rows.append((label, cell(jaring, "scan_peak_anon_rss_mb"), cell(splink, "splink_peak_anon_rss_mb")))
        else:
            rows.append((label, cell(jaring, key), cell(splink, key)))
    if splink and splink.get("best_threshold"):
        best = splink["best_threshold"]
        rows.append((f"Splink at best F1 (p ≥ {best['match_probability']})", "",
                     f"P {best['precision']} R {best['recall']}"))
    width = max(len(r[0]) for r in rows)
    progress(f"dedup at {jaring.get('size', 0):,} persons: Jaring vs Splink" + (f" ({note})" if note else ""))
    for label, left, right in rows:
        progress(f"  {label:<{width}}  {left:>12}  {right:>18}")


if __name__ == "__main__":
    child(sys.argv[1])
