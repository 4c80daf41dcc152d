#!/usr/bin/env python3
"""Score `custodia locate` on held-out locator data.

Usage: score_locator.py DIR [--db FILE] [--bin PATH] [--jobs 2] [--skip-import]

1. imports DIR/persons.csv into a fresh store (token created with `token create`);
2. runs every query of DIR/queries.csv through `custodia locate ... --limit 5 --json`;
3. reports recall@1 / recall@5 overall and per noise kind, and the best possible.

Best possible (simple oracle that knows which noise was applied but not how the typo went):
from the noise-free intent of the query (queries_meta.jsonl: the family-name units and the
given-name units the relative meant, after dropping a family name / the second given name,
before any typo, case or accent change, and in the right fields), a person P is "as
consistent with the query as the target" when
  - P.country_of_birth == the query's country, and P.date_of_birth == the query's dob when
    the query gives one;
  - the folded family-name words of the query (accents and case removed, particles such as
    'de', 'la', 'del' removed) are a sub-multiset of P's folded family-name words (so a query
    with only one family name fits everyone who carries that name in either position, and
    order does not matter);
  - the folded given-name words of the query are a prefix of P's folded given-name words (a
    dropped second given name fits everyone whose first given name is the same).
The target always qualifies. With c = number of OTHER persons that qualify, the query is
answerable at @1 if c == 0 and at @5 if c <= 4 (an oracle ranking the consistent persons
at random would get it right with probability 1/(c+1); we report that expectation too).
This 'best' is deliberately loose (order-free, a lone family name fits either position), so a
matcher that uses name order and position can beat it. 'strict' is the other bound: an oracle
that knows exactly which transform was applied (full names in order; swapped = reversed;
one family name = the first or the second position it was taken from; second given name
dropped = same first given name) counts only persons that the same transform maps to the
same intent; no real system can beat strict except by luck on ties.
"""
import argparse
import collections
import concurrent.futures as cf
import csv
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from names import PARTICLES, fold  # noqa: E402


def words(s):
    return [w for w in fold(s).replace("-", " ").split() if w not in PARTICLES]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--db", default="/tmp/heldout-loc.db")
    ap.add_argument("--bin", default="target/release/custodia")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--skip-import", action="store_true")
    a = ap.parse_args()
    d = a.dir

    if not a.skip_import:
        for suffix in ("", "-wal", "-shm", ".key"):
            if os.path.exists(a.db + suffix):
                os.remove(a.db + suffix)
        tok = subprocess.run([a.bin, "--db", a.db, "token", "create", "--role", "admin",
                              "--name", "heldout"], check=True, capture_output=True,
                             text=True).stdout.strip()
        t0 = time.time()
        p = subprocess.run([a.bin, "--db", a.db, "--token", tok, "import", "persons",
                            os.path.join(d, "persons.csv")], capture_output=True, text=True)
        print("import: rc=%d %.1f s %s" % (p.returncode, time.time() - t0,
                                            p.stderr.strip()[-200:]))
        if p.returncode != 0:
            sys.exit(1)

    queries = list(csv.DictReader(open(os.path.join(d, "queries.csv"), encoding="utf-8")))
    meta = {m["query_id"]: m for m in map(json.loads, open(os.path.join(d,
                                                                         "queries_meta.jsonl")))}

    def run(q):
        cmd = [a.bin, "--db", a.db, "locate", "--family", q["family"], "--given", q["given"],
               "--country", q["country"], "--limit", "5", "--json"]
        if q["dob"]:
            cmd += ["--dob", q["dob"]]
        t = time.time()
        p = subprocess.run(cmd, capture_output=True, text=True)
        el = time.time() - t
        if p.returncode != 0:
            return q["query_id"], None, el, p.stderr.strip()[:200]
        return q["query_id"], [h["person_id"] for h in json.loads(p.stdout)], el, ""

    t0 = time.time()
    results, times, errs = {}, [], []
    with cf.ThreadPoolExecutor(a.jobs) as ex:
        for qid, hits, el, err in ex.map(run, queries):
            results[qid] = hits
            times.append(el)
            if err:
                errs.append((qid, err))
    wall = time.time() - t0

    # ---- best possible
    persons = list(csv.DictReader(open(os.path.join(d, "persons.csv"), encoding="utf-8")))
    index = collections.defaultdict(list)
    pw = []
    for i, p in enumerate(persons):
        fw = words(p["family_names"])
        gw = words(p["given_names"])
        pw.append((collections.Counter(fw), gw))
        for w in set(fw):
            index[(p["country_of_birth"], w)].append(i)
    def strict_ok(m, p_fw, p_gw):
        """Oracle that knows exactly which transform was applied (upper bound)."""
        qf = words(" ".join(m["family"]))
        qg = words(" ".join(m["given"]))
        ft = m.get("fam_transform", "full")
        if ft == "full" and p_fw != qf:
            return False
        if ft == "swapped" and p_fw[::-1] != qf:
            return False
        if ft == "first" and p_fw[:1] != qf:
            return False
        if ft == "second" and p_fw[-1:] != qf:
            return False
        if m.get("given_transform", "full") == "first":
            return p_gw[:1] == qg[:1]
        return p_gw == qg

    best, strict = {}, {}
    for q in queries:
        m = meta[q["query_id"]]
        qf = collections.Counter(words(" ".join(m["family"])))
        qg = words(" ".join(m["given"]))
        cands = index.get((m["country"], next(iter(qf))), [])
        c = cs = 0
        for i in cands:
            p = persons[i]
            if p["person_id"] == q["target_person_id"]:
                continue
            if m["dob"] and p["date_of_birth"] != m["dob"]:
                continue
            fc, gw = pw[i]
            if any(fc[w] < n for w, n in qf.items()):
                continue
            if gw[:len(qg)] != qg:
                continue
            c += 1
            if strict_ok(m, words(p["family_names"]), gw):
                cs += 1
        best[q["query_id"]] = c
        strict[q["query_id"]] = cs

    stats = collections.defaultdict(lambda: [0, 0, 0, 0, 0, 0.0, 0, 0])
    misses = []
    for q in queries:
        hits = results[q["query_id"]] or []
        t = q["target_person_id"]
        at1 = bool(hits) and hits[0] == t
        at5 = t in hits[:5]
        c = best[q["query_id"]]
        keys = ["ALL"] + q["noise"].split("+")
        for k in keys:
            s = stats[k]
            s[0] += 1
            s[1] += at1
            s[2] += at5
            s[3] += c == 0
            s[4] += c <= 4
            s[5] += 1.0 / (c + 1)
            s[6] += strict[q["query_id"]] == 0
            s[7] += strict[q["query_id"]] <= 4
        if not at5:
            misses.append((q, hits, c))
    res = {}
    lines = ["%-22s %5s %7s %7s %8s %8s %9s %9s %9s" % (
        "kind", "n", "r@1", "r@5", "best@1", "best@5", "oracle@1", "strict@1", "strict@5")]
    for k, (n, h1, h5, b1, b5, e1, s1, s5) in sorted(stats.items(), key=lambda kv: -kv[1][0]):
        res[k] = {"n": n, "recall@1": h1 / n, "recall@5": h5 / n, "best@1": b1 / n,
                  "best@5": b5 / n, "oracle_random@1": e1 / n, "strict_best@1": s1 / n,
                  "strict_best@5": s5 / n}
        lines.append("%-22s %5d %7.3f %7.3f %8.3f %8.3f %9.3f %9.3f %9.3f" % (
            k, n, h1 / n, h5 / n, b1 / n, b5 / n, e1 / n, s1 / n, s5 / n))
    times.sort()
    res["timing"] = {"queries": len(times), "wall_s": wall,
                     "p50_s": times[len(times) // 2], "p99_s": times[int(len(times) * 0.99)]}
    res["errors"] = errs[:20]
    json.dump(res, open(os.path.join(d, "locator_score.json"), "w"), indent=1)
    with open(os.path.join(d, "locator_misses.txt"), "w", encoding="utf-8") as fh:
        byid = {p["person_id"]: p for p in persons}
        for q, hits, c in misses:
            t = byid[q["target_person_id"]]
            fh.write("%s [%s] others as consistent: %d\n  query : %s | %s | %s | %s\n"
                     "  target: %s | %s | %s | %s\n" % (
                         q["query_id"], q["noise"], c, q["family"], q["given"], q["country"],
                         q["dob"] or "(no dob)", t["family_names"], t["given_names"],
                         t["country_of_birth"], t["date_of_birth"]))
            for h in hits:
                p = byid.get(h)
                fh.write("  got   : %s | %s | %s | %s\n" % (p["family_names"], p["given_names"],
                                                             p["country_of_birth"],
                                                             p["date_of_birth"]))
            fh.write("\n")
    print("\n".join(lines))
    print("queries %d in %.1f s wall (%d jobs), per query p50 %.3f s p99 %.3f s (process "
          "start + store open included); %d errors" % (len(times), wall, a.jobs,
                                                       res["timing"]["p50_s"],
                                                       res["timing"]["p99_s"], len(errs)))


if __name__ == "__main__":
    main()
