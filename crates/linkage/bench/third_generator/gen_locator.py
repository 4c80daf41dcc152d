#!/usr/bin/env python3
"""Generate a people store and the queries relatives type on a phone.

    gen_locator.py [--persons 200000] [--queries 1000] --seed S --out DIR

Writes DIR/persons.csv (CONTRACT §5 columns) and DIR/queries.csv:
  query_id, person_id (the target), family, given, country, dob (what is typed),
  noise (kinds joined by '+'),
  i_family, i_family_mode, i_given, i_given_mode, i_dob, i_country
The i_* columns are the relative's noise-free intent, used by score_locator.py for
the best possible recall: i_family is the folded family-name units joined by '|',
i_family_mode 'ordered' (both names in order), 'any_order' (both, order lost) or
'contains' (one name only); i_given_mode 'full' or 'first' (second name dropped).
"""

import argparse
import csv
import os
import random
import sys

sys.dont_write_bytecode = True  # keep the repository free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import noise as nz  # noqa: E402
from namemodel import (NATIONALITY, Weighted, build_population, fmt_date, fold,  # noqa: E402
                       strip_accents)

PERSON_COLUMNS = ["person_id", "family_names", "given_names", "date_of_birth", "sex",
                  "country_of_birth", "nationalities", "facility_id", "status"]
QUERY_COLUMNS = ["query_id", "person_id", "family", "given", "country", "dob", "noise",
                 "i_family", "i_family_mode", "i_given", "i_given_mode", "i_dob", "i_country"]

FACILITIES = Weighted([("SV-CECOT", 60), ("SV-LA-ESPERANZA", 12), ("SV-IZALCO", 8),
                       ("SV-APANTEOS", 6), ("SV-QUEZALTEPEQUE", 4), ("US-KROME", 4),
                       ("US-ADELANTO", 3), ("US-PORT-ISABEL", 3)])
STATUS = Weighted([("in_custody", 70), ("released", 10), ("removed", 12), ("transferred", 8)])

# Query noise rates (independent; exclusive ones noted)
Q = {
    "no_accents": 0.70,       # recorded only when the name had an accent
    "lower": 0.50,
    "typo": 0.15,             # one keyboard/transposition/double-drop slip
    "one_family": 0.25,       # only the paternal family name
    "maternal_only": 0.04,    # only the maternal one (exclusive with one_family)
    "family_swapped": 0.05,   # exclusive with the two above
    "given_family_swapped": 0.05,
    "given2_dropped": 0.30,   # of targets with two given names
    "phonetic": 0.10,
    "with_dob": 0.50,         # else 'no_dob'
}
COUNTRY_FORM = Weighted([("country_iso", 40), ("country_es", 40), ("country_en", 20)])


def make_persons(rng, n):
    people = build_population(rng, n)
    rows = []
    for k, p in enumerate(people):
        p["pid"] = "P%07d" % (k + 1)
        nats = [p["nat"]]
        if rng.random() < 0.04:
            other = NATIONALITY.draw(rng)
            if other != p["nat"]:
                nats.append(other)
        fam, giv = " ".join(p["family"]), " ".join(p["given"])
        if rng.random() < 0.15:   # records imported from an upper-case system
            fam, giv = strip_accents(fam).upper(), strip_accents(giv).upper()
        rows.append({"person_id": p["pid"], "family_names": fam, "given_names": giv,
                     "date_of_birth": fmt_date(p["dob"]), "sex": p["sex"],
                     "country_of_birth": p["nat"], "nationalities": ";".join(nats),
                     "facility_id": FACILITIES.draw(rng), "status": STATUS.draw(rng)})
    return people, rows


def make_query(rng, p, qid):
    kinds = []
    family = list(p["family"])
    given = list(p["given"])
    i_family_mode = "ordered"
    i_family = [fold(u) for u in family]
    x = rng.random()
    if x < Q["one_family"]:
        family = family[:1]
        kinds.append("one_family")
        i_family_mode, i_family = "contains", i_family[:1]
    elif x < Q["one_family"] + Q["maternal_only"]:
        family = family[1:2]
        kinds.append("maternal_only")
        i_family_mode, i_family = "contains", i_family[1:2]
    elif x < Q["one_family"] + Q["maternal_only"] + Q["family_swapped"]:
        if i_family[0] != i_family[1]:
            family = [family[1], family[0]]
            kinds.append("family_swapped")
            i_family_mode = "any_order"

    i_given_mode = "full"
    i_given = fold(" ".join(given))
    if len(given) >= 2 and rng.random() < Q["given2_dropped"]:
        given = given[:1]
        kinds.append("given2_dropped")
        i_given_mode, i_given = "first", fold(given[0])

    # spelling on a copy of the units
    def alter(fn):
        units = family + given
        idx = [k for k, u in enumerate(units) if len(u) >= 3]
        for _ in range(8):
            k = rng.choice(idx)
            words = units[k].split(" ")
            w = rng.randrange(len(words))
            if len(words[w]) < 3:
                continue
            new = fn(rng, words[w])
            if new and new != words[w]:
                words[w] = new
                units[k] = " ".join(words)
                family[:] = units[:len(family)]
                given[:] = units[len(family):]
                return True
        return False

    if rng.random() < Q["phonetic"] and alter(nz.respell):
        kinds.append("phonetic")
    if rng.random() < Q["typo"]:
        fn = rng.choice((nz.typo_key, nz.typo_transpose, nz.typo_double_or_drop))
        if alter(fn):
            kinds.append("typo")

    fam_s, giv_s = " ".join(family), " ".join(given)
    lower = rng.random() < Q["lower"]
    no_acc = rng.random() < Q["no_accents"]

    form = COUNTRY_FORM.draw(rng)
    kinds.append(form)
    if form == "country_iso":
        country = p["nat"] if not lower else p["nat"].lower()
    else:
        country = nz.country_as_text(rng, p["nat"], "es" if form == "country_es" else "en")

    if no_acc:
        if strip_accents(fam_s + giv_s) != fam_s + giv_s:
            kinds.append("no_accents")
        fam_s, giv_s, country = strip_accents(fam_s), strip_accents(giv_s), strip_accents(country)
    if lower:
        kinds.append("lower")
        fam_s, giv_s, country = fam_s.lower(), giv_s.lower(), country.lower()
    if rng.random() < Q["given_family_swapped"]:
        fam_s, giv_s = giv_s, fam_s
        kinds.append("given_family_swapped")

    dob = ""
    if rng.random() < Q["with_dob"]:
        dob = fmt_date(p["dob"])
    else:
        kinds.append("no_dob")
    return {"query_id": qid, "person_id": p["pid"], "family": fam_s, "given": giv_s,
            "country": country, "dob": dob, "noise": "+".join(kinds),
            "i_family": "|".join(i_family), "i_family_mode": i_family_mode,
            "i_given": i_given, "i_given_mode": i_given_mode,
            "i_dob": dob, "i_country": p["nat"]}


def write_csv(path, columns, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--persons", type=int, default=200000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)
    people, rows = make_persons(rng, a.persons)
    targets = rng.sample(people, a.queries)
    queries = [make_query(rng, p, "Q%04d" % (k + 1)) for k, p in enumerate(targets)]
    write_csv(os.path.join(a.out, "persons.csv"), PERSON_COLUMNS, rows)
    write_csv(os.path.join(a.out, "queries.csv"), QUERY_COLUMNS, queries)
    print("wrote %s: %d persons, %d queries" % (a.out, len(rows), len(queries)), file=sys.stderr)


if __name__ == "__main__":
    main()
