"""Splink 4 baseline for `custodia reconcile` (benchmark only; not a project dependency).

usage: splink_compare.py DIR   (DIR holds manifest.csv, intake.csv, truth.csv written by
       `cargo run --release -p custodia-linkage --example bench_reconcile -- N SEED DIR`);
       run by crates/linkage/bench/splink_compare.sh, which runs ours on the same files first.

A standard Splink 4 model: ForenameSurnameComparison (with term-frequency adjustment on
the surname), DateOfBirthComparison, exact match on document, sex and nationality; u by
random sampling, m by EM in two sessions blocked on date of birth and on surname; predict
with blocking on surname, date of birth and document; then a one-to-one assignment
(greedy by descending probability) above threshold 0.5, as `custodia reconcile` does.
Prints precision, recall, F1 and the time from reading the files to the assignment.
"""
import sys
import time

import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

d = sys.argv[1]
t0 = time.perf_counter()
cols = ["record_id", "family_names", "given_names", "date_of_birth", "sex", "nationality", "document_number"]
frames = []
for name in ("manifest", "intake"):
    df = pd.read_csv(f"{d}/{name}.csv", dtype=str, keep_default_na=False)[cols]
    df = df.replace("", None)
    df["unique_id"] = df["record_id"]
    # Splink's usual preparation: lower case; surname = first family-name word.
    df["given"] = df["given_names"].str.lower()
    df["surname"] = df["family_names"].str.lower()
    df["first_name"] = df["given"].str.split(" ").str[0]
    df["surname1"] = df["surname"].str.split(" ").str[0]
    frames.append(df)
manifest, intake = frames

settings = SettingsCreator(
    link_type="link_only",
    comparisons=[
        cl.ForenameSurnameComparison("first_name", "surname1").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("date_of_birth", input_is_string=True),
        cl.ExactMatch("document_number"),
        cl.ExactMatch("sex"),
        cl.ExactMatch("nationality"),
    ],
    blocking_rules_to_generate_predictions=[
        block_on("surname1"),
        block_on("date_of_birth"),
        block_on("document_number"),
        block_on("first_name", "substr(date_of_birth, 1, 4)"),
    ],
    retain_intermediate_calculation_columns=False,
)
linker = Linker([manifest, intake], settings, db_api=DuckDBAPI(), input_table_aliases=["manifest", "intake"])
linker.training.estimate_probability_two_random_records_match(
    [block_on("surname1", "first_name", "date_of_birth")], recall=0.7
)
linker.training.estimate_u_using_random_sampling(max_pairs=1e7)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("surname1"))
t_pred = time.perf_counter()
pred = linker.inference.predict(threshold_match_probability=0.05).as_pandas_dataframe()
t_pred = time.perf_counter() - t_pred

# One-to-one: greedy by descending probability, threshold 0.5.
pred["m"] = pred.apply(lambda r: r["unique_id_l"] if r["source_dataset_l"] == "manifest" else r["unique_id_r"], axis=1)
pred["i"] = pred.apply(lambda r: r["unique_id_r"] if r["source_dataset_l"] == "manifest" else r["unique_id_l"], axis=1)
pred = pred[pred["match_probability"] >= 0.5].sort_values("match_probability", ascending=False)
used_m, used_i, pairs = set(), set(), {}
for m, i in zip(pred["m"], pred["i"]):
    if m not in used_m and i not in used_i:
        used_m.add(m)
        used_i.add(i)
        pairs[m] = i
elapsed = time.perf_counter() - t0

truth = pd.read_csv(f"{d}/truth.csv", dtype=str, keep_default_na=False)
true_pairs = {m: i for m, i in zip(truth["manifest_id"], truth["intake_id"]) if i}
# A person entered twice in the intake: either record is a right answer.
also = {}
if "duplicate_intake_ids" in truth.columns:
    also = {m: set(x.split(";")) for m, x in zip(truth["manifest_id"], truth["duplicate_intake_ids"]) if x}
correct = sum(1 for m, i in pairs.items() if true_pairs.get(m) == i or i in also.get(m, ()))
p = correct / len(pairs) if pairs else 1.0
r = correct / len(true_pairs) if true_pairs else 1.0
f1 = 2 * p * r / (p + r) if p + r else 0.0
missing = [m for m, i in zip(truth["manifest_id"], truth["intake_id"]) if not i]
flagged = sum(1 for m in missing if m not in pairs)
print(
    f"RESULT splink f1={f1:.4f} precision={p:.4f} recall={r:.4f} "
    f"missing_flagged={flagged}/{len(missing)} time_s={elapsed:.3f} predict_s={t_pred:.3f}"
)
