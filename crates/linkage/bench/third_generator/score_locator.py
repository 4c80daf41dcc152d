#!/usr/bin/env python3
"""Load a generated people store into custodia, run every query through
`custodia locate`, and score it.

    score_locator.py DIR [--bin target/release/custodia] [--jobs 2] [--db DIR/store.db]
                         [--token-env CUSTODIA_TOKEN]

DIR holds persons.csv and queries.csv from gen_locator.py.  The store is created at
--db (default DIR/store.db) with `custodia token create` and `custodia import persons`
unless it already exists.  Writes DIR/locator_score.json and DIR/locator_errors.txt.

Definitions
  recall@k      share of queries whose target person_id is among the first k results
  latency       wall time of one `custodia locate` process (start to exit)
  best possible for each query, the OTHER persons whose true record is as consistent
                with the relative's noise-free intent as the target (same folded family
                names in the same order, or in any order when the query swapped them, or
                containing the one name given; same folded given names, or the same first
                given name when the second was dropped; same country of birth; same date
                of birth when one was given).  A query is answerable at @1 when there is
                none, at @5 when there are at most 4.  'expected' best is 1/(1+others) at
                @1 and min(1, 5/(1+others)) at @5 (a fair draw among the ties).
"""

import argparse
import collections
import concurrent.futures
import csv
import json
import os
import re
import statistics
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep the repository free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from namemodel import fold  # noqa: E402

_PARTICLES = {"de", "del", "la", "las", "los"}


def family_units(s):
    """Split a family_names string into units, keeping 'de la Cruz' together."""
    out, buf = [], []
    for tok in fold(s).split(" "):
        buf.append(tok)
        if tok not in _PARTICLES:
            out.append(" ".join(buf))
            buf = []
    if buf:
        out.append(" ".join(buf))
    return out


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# ---------------------------------------------------------------------------
# best possible
# ---------------------------------------------------------------------------
def consistent(q, fam, giv, dob, country):
    if country != q["i_country"]:
        return False
    if q["i_dob"] and dob != q["i_dob"]:
        return False
    want = q["i_family"].split("|")
    mode = q["i_family_mode"]
    if mode == "ordered" and fam != want:
        return False
    if mode == "any_order" and sorted(fam) != sorted(want):
        return False
    if mode == "contains" and want[0] not in fam:
        return False
    if q["i_given_mode"] == "full":
        return giv == q["i_given"]
    return giv == q["i_given"] or giv.startswith(q["i_given"] + " ")


def best_possible(persons, queries):
    folded = {}
    by_unit = collections.defaultdict(list)
    for p in persons:
        fam = family_units(p["family_names"])
        folded[p["person_id"]] = (fam, fold(p["given_names"]), p["date_of_birth"],
                                  p["country_of_birth"])
        for u in set(fam):
            by_unit[u].append(p["person_id"])
    others = {}
    for q in queries:
        unit = q["i_family"].split("|")[0]
        n = 0
        for pid in by_unit.get(unit, ()):
            if pid != q["person_id"] and consistent(q, *folded[pid]):
                n += 1
        if not consistent(q, *folded[q["person_id"]]):
            raise SystemExit("intent of %s does not fit its own target" % q["query_id"])
        others[q["query_id"]] = n
    return others


# ---------------------------------------------------------------------------
# the program
# ---------------------------------------------------------------------------
def run(cmd, env=None, check=True):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if check and r.returncode != 0:
        raise SystemExit("%s failed (exit %d):\n%s" % (" ".join(cmd), r.returncode, r.stderr[-2000:]))
    return r


def create_store(bin_, db, persons_csv, facilities, env):
    """Bootstrap a token, register the facilities named in persons.csv (one pavilion,
    one cell each: the locator does not look at them) and import the persons."""
    r = run([bin_, "--db", db, "token", "create", "--role", "admin",
             "--name", "third-generator-bench"], env=env)
    m = re.search(r"[A-Za-z0-9_\-\.]{20,}", r.stdout)
    if not m:
        raise SystemExit("could not read a token from: %r" % r.stdout[:500])
    token = m.group(0)
    for fid in sorted(facilities):
        spec = {"id": fid, "name": fid.title(), "country": fid[:2], "kind": "prison",
                "adult_only": False,  # the population includes 17-year-olds
                "pavilions": [{"id": fid + "-A", "cells": [{"id": fid + "-A-1", "area_m2": 200, "capacity": 100,
                                                     "windows": True, "sanitation": "shared"}]}]}
        path = os.path.join(os.path.dirname(db), "facility-%s.json" % fid)
        with open(path, "w") as f:
            json.dump(spec, f)
        run([bin_, "--db", db, "--token", token, "facility", "register", path], env=env)
    t0 = time.monotonic()
    r = run([bin_, "--db", db, "--token", token, "import", "persons", persons_csv], env=env)
    print("import persons: %.1f s; %s" % (time.monotonic() - t0, (r.stderr or r.stdout).strip()[-300:]),
          file=sys.stderr)
    return token


def locate(bin_, db, q, env):
    cmd = [bin_, "--db", db, "locate", "--family", q["family"], "--given", q["given"],
           "--country", q["country"], "--limit", "5", "--json"]
    if q["dob"]:
        cmd += ["--dob", q["dob"]]
    t0 = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    dt = time.monotonic() - t0
    results, err = [], None
    if r.returncode != 0:
        err = "exit %d: %s" % (r.returncode, r.stderr.strip()[-300:])
    else:
        try:
            results = json.loads(r.stdout)
        except ValueError as e:
            err = "bad JSON: %s" % e
    return q["query_id"], dt, results, err


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return None
    k = min(len(xs) - 1, max(0, int(round(p / 100 * len(xs) + 0.5)) - 1))
    return xs[k]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--bin", default=os.environ.get("CUSTODIA_BIN", "target/release/custodia"))
    ap.add_argument("--db")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    d = a.dir
    db = a.db or os.path.join(d, "store.db")
    persons = read_csv(os.path.join(d, "persons.csv"))
    queries = read_csv(os.path.join(d, "queries.csv"))
    by_id = {p["person_id"]: p for p in persons}

    others = best_possible(persons, queries)

    env = dict(os.environ)
    env.pop("CUSTODIA_DB", None)
    if not os.path.exists(db):
        create_store(a.bin, db, os.path.join(d, "persons.csv"),
                     {p["facility_id"] for p in persons}, env)

    results = {}
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as ex:
        for qid, dt, res, err in ex.map(lambda q: locate(a.bin, db, q, env), queries):
            results[qid] = (dt, res, err)
    total = time.monotonic() - t0

    rank = {}
    for q in queries:
        dt, res, err = results[q["query_id"]]
        ids = [r.get("person_id") for r in res] if isinstance(res, list) else []
        rank[q["query_id"]] = ids.index(q["person_id"]) + 1 if q["person_id"] in ids else None

    def summary(qs):
        n = len(qs)
        if not n:
            return None
        at1 = sum(1 for q in qs if rank[q["query_id"]] == 1)
        at5 = sum(1 for q in qs if rank[q["query_id"]] is not None)
        ans1 = [q for q in qs if others[q["query_id"]] == 0]
        ans5 = [q for q in qs if others[q["query_id"]] <= 4]
        return {
            "n": n,
            "recall@1": round(at1 / n, 4), "recall@5": round(at5 / n, 4),
            "answerable@1": round(len(ans1) / n, 4), "answerable@5": round(len(ans5) / n, 4),
            "expected_best@1": round(sum(1 / (1 + others[q["query_id"]]) for q in qs) / n, 4),
            "expected_best@5": round(sum(min(1, 5 / (1 + others[q["query_id"]])) for q in qs) / n, 4),
            "recall@1_of_answerable@1": round(
                sum(1 for q in ans1 if rank[q["query_id"]] == 1) / len(ans1), 4) if ans1 else None,
            "recall@5_of_answerable@5": round(
                sum(1 for q in ans5 if rank[q["query_id"]] is not None) / len(ans5), 4) if ans5 else None,
        }

    per_kind = collections.defaultdict(list)
    for q in queries:
        for k in q["noise"].split("+"):
            per_kind[k].append(q)
    lat = [results[q["query_id"]][0] for q in queries]
    errors = {qid: err for qid, (_, _, err) in results.items() if err}
    over_limit = sum(1 for _, res, _ in results.values() if isinstance(res, list) and len(res) > 5)
    score = {
        "dir": d, "persons": len(persons), "queries": len(queries), "jobs": a.jobs,
        "overall": summary(queries),
        "latency_ms": {"p50": round(1000 * statistics.median(lat), 1),
                       "p99": round(1000 * pct(lat, 99), 1),
                       "max": round(1000 * max(lat), 1),
                       "wall_total_s": round(total, 1)},
        "query_errors": len(errors), "query_error_examples": dict(list(errors.items())[:5]),
        "results_over_limit": over_limit,
        "per_kind": {k: summary(v) for k, v in sorted(per_kind.items(),
                                                       key=lambda kv: summary(kv[1])["recall@5"])},
    }
    with open(os.path.join(d, "locator_score.json"), "w", encoding="utf-8") as f:
        json.dump(score, f, indent=1, ensure_ascii=False)

    lines = []
    for q in queries:
        rk = rank[q["query_id"]]
        if rk == 1:
            continue
        t = by_id[q["person_id"]]
        lines.append("== %s  rank=%s  others_as_consistent=%d  noise=%s" % (
            q["query_id"], rk, others[q["query_id"]], q["noise"]))
        lines.append("   query:  --family %r --given %r --country %r --dob %r" % (
            q["family"], q["given"], q["country"], q["dob"]))
        lines.append("   target: %s | %s | %s | %s | %s" % (t["person_id"], t["family_names"],
                     t["given_names"], t["date_of_birth"], t["country_of_birth"]))
        _, res, err = results[q["query_id"]]
        if err:
            lines.append("   error:  %s" % err)
        for r in (res or [])[:5]:
            lines.append("   got:    %s | %s | %s | %s | %s | score=%s" % (
                r.get("person_id"), r.get("family_names"), r.get("given_names"),
                r.get("year_of_birth"), r.get("country_of_birth"), r.get("score")))
        lines.append("")
    with open(os.path.join(d, "locator_errors.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines))

    o = score["overall"]
    print("%s: %d queries over %d persons" % (d, len(queries), len(persons)))
    print("  recall@1 %.4f  recall@5 %.4f   (answerable@1 %.4f, @5 %.4f; expected best @1 %.4f, @5 %.4f)"
          % (o["recall@1"], o["recall@5"], o["answerable@1"], o["answerable@5"],
             o["expected_best@1"], o["expected_best@5"]))
    print("  of answerable: recall@1 %s, recall@5 %s" % (o["recall@1_of_answerable@1"],
                                                         o["recall@5_of_answerable@5"]))
    print("  latency per query (CLI, %d jobs): p50 %.1f ms, p99 %.1f ms, max %.1f ms"
          % (a.jobs, score["latency_ms"]["p50"], score["latency_ms"]["p99"], score["latency_ms"]["max"]))
    if errors:
        print("  %d queries failed, e.g. %s" % (len(errors), next(iter(errors.values()))))
    print("  per noise kind:")
    for k, s in score["per_kind"].items():
        print("    %-22s n=%-4d R@1=%.3f R@5=%.3f  answerable@1=%.3f @5=%.3f"
              % (k, s["n"], s["recall@1"], s["recall@5"], s["answerable@1"], s["answerable@5"]))


if __name__ == "__main__":
    main()
