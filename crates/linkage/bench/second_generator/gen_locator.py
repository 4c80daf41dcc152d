#!/usr/bin/env python3
"""Independent held-out generator for the locator (`custodia locate`).

Usage: gen_locator.py --persons 200000 --queries 1000 --seed S --out DIR
Writes DIR/persons.csv (import format of CONTRACT §5) and DIR/queries.csv
(query_id,target_person_id,family,given,country,dob,noise) plus DIR/queries_meta.jsonl (the
noise-free intent of each query: the tokens a relative meant to type, for the best-possible
computation in score_locator.py).
"""
import argparse
import csv
import json
import os

from gen_reconcile import Gen
from names import PARTICLES, strip_accents

EXTRA_COUNTRIES = {  # a few more origins in a US detention population
    "CU": (4, "Cuba", "Cuba"),
    "DO": (2, "República Dominicana", "Dominican Republic"),
    "PE": (1, "Perú", "Peru"),
}
from names import COUNTRIES  # noqa: E402

ALL_COUNTRIES = dict(COUNTRIES, **EXTRA_COUNTRIES)

STRUCT_WEIGHTS = {"typo1": 30, "one_family_name": 25, "family_swapped": 12,
                  "given_family_swapped": 12, "given2_dropped": 18}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=200000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    G = Gen(a.seed)
    r = G.r
    G.nat_codes = list(ALL_COUNTRIES)
    G.nat_w = [ALL_COUNTRIES[c][0] for c in G.nat_codes]
    people, _ = G.population(a.persons)
    pids = ["P-%07d" % k for k in r.sample(range(10000000), len(people))]
    rows = []
    for pid, p in zip(pids, people):
        nats = [p.nat]
        if r.random() < 0.04:
            other = r.choice([c for c in ALL_COUNTRIES if c != p.nat])
            nats.append(other)
        status = r.choices(["in_custody", "released", "removed", "transferred"],
                           [60, 15, 15, 10])[0]
        rows.append({"person_id": pid, "family_names": " ".join(p.fam),
                     "given_names": " ".join(p.giv),
                     "date_of_birth": p.dob.isoformat() if r.random() >= 0.02 else "",
                     "sex": p.sex, "country_of_birth": p.nat, "nationalities": ";".join(nats),
                     "facility_id": "", "status": status})
    order = list(range(len(rows)))
    r.shuffle(order)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "persons.csv"), "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        for i in order:
            w.writerow(rows[i])

    queries, meta = [], []
    for q in range(a.queries):
        t = r.randrange(len(people))
        p, row = people[t], rows[t]
        kinds = []
        # 1 or 2 structural kinds (sometimes none)
        k = r.choices([0, 1, 2], [20, 55, 25])[0]
        while len([x for x in kinds]) < k:
            kd = r.choices(list(STRUCT_WEIGHTS), list(STRUCT_WEIGHTS.values()))[0]
            if kd in kinds or (kd == "given2_dropped" and len(p.giv) < 2):
                continue
            if {kd, *kinds} >= {"one_family_name", "family_swapped"}:
                continue
            kinds.append(kd)
        fam = list(p.fam)
        giv = list(p.giv)
        ftr, gtr = "full", "full"
        if "one_family_name" in kinds:
            if r.random() < 0.85:
                fam, ftr = [fam[0]], "first"
            else:
                fam, ftr = [fam[1]], "second"
        if "family_swapped" in kinds:
            fam, ftr = fam[::-1], "swapped"
        if "given2_dropped" in kinds:
            giv, gtr = giv[:1], "first"
        intent_f, intent_g = list(fam), list(giv)
        f, g = " ".join(fam), " ".join(giv)
        if "typo1" in kinds:
            if r.random() < 0.6:
                f = G.typo(f)
            else:
                g = G.typo(g)
        if "given_family_swapped" in kinds:
            f, g = g, f
        if r.random() < 0.7:
            kinds.append("accents_dropped")
            f, g = strip_accents(f), strip_accents(g)
        u = r.random()
        if u < 0.4:
            kinds.append("lower_case")
            f, g = f.lower(), g.lower()
        elif u < 0.55:
            kinds.append("upper_case")
            f, g = f.upper(), g.upper()
        dob = row["date_of_birth"]
        if r.random() < 0.30 or not dob:
            kinds.append("dob_missing")
            dob = ""
        u = r.random()
        code = p.nat
        if u < 0.4:
            country = code if r.random() < 0.8 else code.lower()
        elif u < 0.75:
            country = ALL_COUNTRIES[code][1]
            kinds.append("country_es")
        else:
            country = ALL_COUNTRIES[code][2]
            kinds.append("country_en")
        if country != code and r.random() < 0.5:
            country = strip_accents(country).lower() if r.random() < 0.5 else country.lower()
        queries.append({"query_id": "Q-%05d" % q, "target_person_id": pids[t], "family": f,
                        "given": g, "country": country, "dob": dob,
                        "noise": "+".join(kinds) or "clean"})
        meta.append({"query_id": "Q-%05d" % q, "family": intent_f, "given": intent_g,
                     "country": code, "dob": dob,
                     "fam_transform": ftr, "given_transform": gtr})
    with open(os.path.join(a.out, "queries.csv"), "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(queries[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(queries)
    with open(os.path.join(a.out, "queries_meta.jsonl"), "w", encoding="utf-8") as fh:
        for m in meta:
            fh.write(json.dumps(m, ensure_ascii=False) + "\n")
    print("persons %d, queries %d" % (len(rows), len(queries)))


if __name__ == "__main__":
    main()
