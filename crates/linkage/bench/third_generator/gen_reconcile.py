#!/usr/bin/env python3
"""Generate a deportation-flight manifest, the receiving prison's intake, and the truth.

    gen_reconcile.py --persons N --seed S --out DIR

Writes DIR/manifest.csv, DIR/intake.csv, DIR/truth.csv and DIR/gen_stats.json.
truth.csv: manifest_id,intake_id,noise,relation
  - intake_id empty when the person never arrived; two ids joined by ';' when the
    person was entered twice;
  - one row with an empty manifest_id per unexpected arrival;
  - noise: the kinds applied (intake clerk's kinds, plus m_* kinds of the manifest row),
    joined by '+'; 'none' when nothing was applied;
  - relation: e.g. 'sibling:M-000123' (a relative on the same manifest),
    'brother_of_missing:M-000456' for the wrong brother on the plane.
Deterministic: all randomness comes from random.Random(seed).
"""

import argparse
import collections
import csv
import json
import os
import random
import sys

sys.dont_write_bytecode = True  # keep the repository free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import clerk  # noqa: E402
from namemodel import build_population, new_person, sibling_of  # noqa: E402

COLUMNS = ["record_id", "family_names", "given_names", "date_of_birth", "sex",
           "nationality", "document_number"]

MISSING_SHARE = 0.03
UNEXPECTED_SHARE = 0.02        # of N; half of them a sibling of a missing person
DUPLICATE_SHARE = 0.005        # of arrived persons


def kinds_str(kinds):
    return "+".join(kinds) if kinds else "none"


def generate(n, seed):
    rng = random.Random(seed)
    people = build_population(rng, n)

    manifest_ids = ["M-%06d" % i for i in range(n)]
    for pid, p in zip(manifest_ids, people):
        p["mid"] = pid

    # relatives on the same manifest
    by_group = collections.defaultdict(list)
    for p in people:
        if p["group"]:
            by_group[p["group"]].append(p)
    for members in by_group.values():
        for p in members:
            others = [q["mid"] for q in members if q is not p]
            p["relation"] = ";".join("%s:%s" % (p["rel"], o) for o in others)
    for p in people:
        p.setdefault("relation", "")

    # who never arrived, who arrived twice, who came instead
    order = list(range(n))
    rng.shuffle(order)
    n_missing = int(round(n * MISSING_SHARE))
    missing = set(order[:n_missing])
    arrived = [i for i in range(n) if i not in missing]
    n_dup = int(round(len(arrived) * DUPLICATE_SHARE))
    twice = set(rng.sample(arrived, n_dup))

    n_unexpected = int(round(n * UNEXPECTED_SHARE))
    n_wrong_brother = min(n_unexpected // 2, n_missing)
    brother_for = rng.sample(sorted(missing), n_wrong_brother)
    unexpected = []
    for i in brother_for:
        b = sibling_of(rng, people[i])
        b["relation"] = "brother_of_missing:%s" % people[i]["mid"]
        b["utag"] = "unexpected_sibling"
        unexpected.append(b)
    while len(unexpected) < n_unexpected:
        u = new_person(rng)
        u["relation"] = ""
        u["utag"] = "unexpected_other"
        unexpected.append(u)

    # manifest rows
    manifest_rows, truth = [], {}
    for p in people:
        fields, kinds = clerk.manifest_record(rng, p)
        row = dict(fields, record_id=p["mid"])
        manifest_rows.append(row)
        truth[p["mid"]] = {"intake": [], "noise": list(kinds), "relation": p["relation"]}

    # intake rows (ids assigned after shuffling)
    intake_rows = []   # (row without id, owner key)
    for i in arrived:
        p = people[i]
        fields, kinds = clerk.intake_record(rng, p)
        intake_rows.append((fields, ("m", p["mid"])))
        truth[p["mid"]]["noise"] += kinds
        if i in twice:
            # second entry by another clerk: another spelling, a document or none
            f2, k2 = clerk.intake_record(rng, p, force_spelling=True)
            if f2["document_number"] == fields["document_number"]:
                f2["document_number"] = "" if fields["document_number"] else p["doc"]
            intake_rows.append((f2, ("m", p["mid"])))
            merged = truth[p["mid"]]["noise"]
            merged += [k for k in k2 if k not in merged]
            merged.append("entered_twice")
    for i in sorted(missing):
        truth[people[i]["mid"]]["noise"].insert(0, "missing")
    unexpected_truth = []
    for j, u in enumerate(unexpected):
        fields, kinds = clerk.intake_record(rng, u)
        key = ("u", j)
        intake_rows.append((fields, key))
        unexpected_truth.append({"intake": [], "noise": [u["utag"]] + kinds,
                                 "relation": u["relation"]})

    rng.shuffle(intake_rows)
    numbers = rng.sample(range(100000, 1000000), len(intake_rows))
    final_intake = []
    for (fields, key), num in zip(intake_rows, numbers):
        iid = "CEC-%d" % num
        final_intake.append(dict(fields, record_id=iid))
        if key[0] == "m":
            truth[key[1]]["intake"].append(iid)
        else:
            unexpected_truth[key[1]]["intake"].append(iid)

    # keep the relation of a missing person pointing to its stand-in
    for u, ut in zip(unexpected, unexpected_truth):
        if u["utag"] == "unexpected_sibling":
            mid = u["relation"].split(":", 1)[1]
            rel = truth[mid]["relation"]
            tag = "replaced_by:%s" % ut["intake"][0]
            truth[mid]["relation"] = (rel + ";" + tag) if rel else tag

    # a person's manifest row also reports the relatives' relation for scoring
    rows = []
    for row in manifest_rows:
        t = truth[row["record_id"]]
        rows.append({"manifest_id": row["record_id"], "intake_id": ";".join(t["intake"]),
                     "noise": kinds_str(t["noise"]), "relation": t["relation"]})
    for ut in unexpected_truth:
        rows.append({"manifest_id": "", "intake_id": ";".join(ut["intake"]),
                     "noise": kinds_str(ut["noise"]), "relation": ut["relation"]})
    return manifest_rows, final_intake, rows


def write_csv(path, columns, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in columns})


def stats(truth_rows):
    arrived = [r for r in truth_rows if r["manifest_id"] and r["intake_id"]]
    kinds = collections.Counter()
    n_sub = collections.Counter()
    for r in arrived:
        ks = [k for k in r["noise"].split("+") if k != "none"]
        kinds.update(set(ks))
        sub = [k for k in ks if k not in clerk.BASELINE_KINDS and not k.startswith("m_")
               and k != "entered_twice"]
        n_sub[min(len(sub), 3)] += 1
    a = len(arrived)
    return {
        "manifest": sum(1 for r in truth_rows if r["manifest_id"]),
        "arrived": a,
        "missing": sum(1 for r in truth_rows if r["manifest_id"] and not r["intake_id"]),
        "unexpected": sum(1 for r in truth_rows if not r["manifest_id"]),
        "entered_twice": sum(1 for r in arrived if ";" in r["intake_id"]),
        "share_two_or_more_substantive_kinds": round(
            sum(v for k, v in n_sub.items() if k >= 2) / a, 4),
        "substantive_kinds_histogram": {str(k): v for k, v in sorted(n_sub.items())},
        "kind_share_of_arrived": {k: round(v / a, 4) for k, v in kinds.most_common()},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--persons", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    manifest, intake, truth = generate(a.persons, a.seed)
    write_csv(os.path.join(a.out, "manifest.csv"), COLUMNS, manifest)
    write_csv(os.path.join(a.out, "intake.csv"), COLUMNS, intake)
    write_csv(os.path.join(a.out, "truth.csv"),
              ["manifest_id", "intake_id", "noise", "relation"], truth)
    st = stats(truth)
    with open(os.path.join(a.out, "gen_stats.json"), "w") as f:
        json.dump(st, f, indent=1)
    print("wrote %s: %d manifest, %d intake (%d missing, %d unexpected, %d entered twice); "
          "%.1f %% of arrivals carry >= 2 substantive noise kinds"
          % (a.out, len(manifest), len(intake), st["missing"], st["unexpected"],
             st["entered_twice"], 100 * st["share_two_or_more_substantive_kinds"]),
          file=sys.stderr)


if __name__ == "__main__":
    main()
