#!/usr/bin/env python3
"""Independent held-out generator for manifest/intake reconciliation data.

Usage: gen_reconcile.py --persons N --seed S --out DIR

Writes DIR/manifest.csv, DIR/intake.csv, DIR/truth.csv, DIR/relations.csv.
truth.csv: manifest_id,intake_id,noise
  - one row per manifest record; intake_id empty if the person never arrived; for a person
    entered twice in intake, intake_id holds both ids joined by ';' and noise contains
    'duplicate' (either record is a correct match);
  - one row with empty manifest_id per unexpected arrival.
relations.csv: record_id,relation,relatives  (for analysis only)
"""
import argparse
import csv
import datetime as dt
import os
import random

from names import (COUNTRIES, FEMALE, FEMALE_COMPOUND, MALE, MALE_COMPOUND, PARTICLES,
                   family_table, neighbours, strip_accents, zipf_weights)

FIELDS = ["record_id", "family_names", "given_names", "date_of_birth", "sex", "nationality",
          "document_number"]

# main noise kinds and their relative weights (dob_missing is drawn separately, ~30% of noisy)
KIND_WEIGHTS = {
    "accents_dropped": 20, "upper_case": 18, "typo1": 16, "typo2": 5,
    "family2_dropped": 14, "family1_dropped": 5, "family_swapped": 8,
    "given_family_swapped": 6, "all_in_one_field": 4, "space_noise": 6,
    "given2_dropped": 9, "given2_initial": 4,
    "dob_daymonth_swapped": 4, "dob_year_digit": 4, "dob_year_only": 3,
    "doc_typo": 3, "sex_missing": 4, "nationality_missing": 2,
}
EXCLUSIVE = [
    {"family1_dropped", "family2_dropped", "family_swapped"},
    {"given_family_swapped", "all_in_one_field"},
    {"given2_dropped", "given2_initial"},
    {"dob_missing", "dob_daymonth_swapped", "dob_year_digit", "dob_year_only"},
    {"typo1", "typo2"},
]


class Person:
    __slots__ = ("fam", "giv", "dob", "sex", "nat", "doc", "relation", "group")

    def __init__(self, fam, giv, dob, sex, nat, doc):
        self.fam = fam      # [paternal, maternal] (units, may contain particles)
        self.giv = giv      # list of given-name units
        self.dob = dob      # datetime.date
        self.sex = sex
        self.nat = nat
        self.doc = doc
        self.relation = "single"
        self.group = None


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.fam_names, self.fam_w = family_table()
        self.male_w = zipf_weights(len(MALE), s=1.0, q=2.0)
        self.fem_w = zipf_weights(len(FEMALE), s=1.0, q=2.0)
        self.nat_codes = list(COUNTRIES)
        self.nat_w = [COUNTRIES[c][0] for c in self.nat_codes]
        self.docs = set()

    # ---------------------------------------------------------------- population
    def family(self):
        return self.r.choices(self.fam_names, self.fam_w)[0]

    def family_pair(self):
        a = self.family()
        b = self.family()
        while b == a and self.r.random() < 0.9:   # same twice happens, rarely
            b = self.family()
        return [a, b]

    def given(self, sex, avoid=None):
        r = self.r
        for _ in range(50):
            if sex == "M":
                u = r.random()
                if u < 0.38:
                    g = [r.choices(MALE, self.male_w)[0]]
                elif u < 0.62:
                    g = r.choice(MALE_COMPOUND).split(" ", 1)
                else:
                    a = r.choices(MALE, self.male_w)[0]
                    b = r.choices(MALE, self.male_w)[0]
                    g = [a] if a == b else [a, b]
            else:
                u = r.random()
                if u < 0.35:
                    g = [r.choices(FEMALE, self.fem_w)[0]]
                elif u < 0.6:
                    g = r.choice(FEMALE_COMPOUND).split(" ", 1)
                else:
                    a = r.choices(FEMALE, self.fem_w)[0]
                    b = r.choices(FEMALE, self.fem_w)[0]
                    g = [a] if a == b else [a, b]
            if avoid is None or " ".join(g) not in avoid:
                return g
        return g

    def dob(self, around=None, spread=None):
        r = self.r
        while True:
            if around is None:
                y = int(round(r.gauss(1992, 9)))
            else:
                y = around.year + r.choice([-1, 1]) * r.randint(1, spread)
            if 1960 <= y <= 2007:
                break
        start = dt.date(y, 1, 1)
        d = start + dt.timedelta(days=r.randrange(366 if y % 4 == 0 else 365))
        if around is not None and d == around:
            d += dt.timedelta(days=400)
        return d

    def doc(self, nat):
        r = self.r
        while True:
            if nat in ("SV", "VE", "GT"):
                s = "".join(r.choice("0123456789") for _ in range(9))
            elif nat in ("HN", "NI", "EC"):
                s = r.choice("ABCEHP") + "".join(r.choice("0123456789") for _ in range(7))
            else:
                s = r.choice("ACGNP") + "".join(r.choice("0123456789") for _ in range(8))
            if s not in self.docs:
                self.docs.add(s)
                return s

    def person(self, sex=None, nat=None):
        r = self.r
        if sex is None:
            sex = "F" if r.random() < 0.08 else "M"
        if nat is None:
            nat = r.choices(self.nat_codes, self.nat_w)[0]
        return Person(self.family_pair(), self.given(sex), self.dob(), sex, nat, self.doc(nat))

    def sibling_of(self, p, twin=False, share_first=False):
        r = self.r
        sex = p.sex if r.random() < 0.9 else ("F" if p.sex == "M" else "M")
        avoid = {" ".join(p.giv)}
        g = self.given(sex, avoid)
        if share_first and len(p.giv) >= 1:
            # "José Luis" / "José Manuel": same first unit, different second
            for _ in range(30):
                second = r.choices(MALE, self.male_w)[0] if sex == "M" else \
                    r.choices(FEMALE, self.fem_w)[0]
                if second != p.giv[0] and (len(p.giv) < 2 or second != p.giv[1]):
                    g = [p.giv[0], second]
                    break
        d = p.dob if twin else self.dob(p.dob, 12)
        return Person(list(p.fam), g, d, sex, p.nat, self.doc(p.nat))

    def cousin_of(self, p):
        fam2 = self.family()
        while fam2 == p.fam[1]:
            fam2 = self.family()
        return Person([p.fam[0], fam2], list(p.giv), self.dob(p.dob, 10), p.sex, p.nat,
                      self.doc(p.nat))

    def population(self, n):
        r = self.r
        people = []
        # showcase persons (the hard examples)
        show = []
        if n >= 100:
            a = Person(["Cruz", "Vásquez"], ["William"], dt.date(1970, 5, 7), "M", "SV",
                       self.doc("SV"))
            b = Person(["González", "Aguilar"], ["Carlos"], self.dob(), "M", "SV", self.doc("SV"))
            c = Person(["Ramos", "Flores"], ["José", "Luis"], self.dob(), "M", "HN", self.doc("HN"))
            show = [(a, ["family2_dropped", "dob_missing"]),
                    (b, ["family_swapped", "accents_dropped", "dob_missing"]),
                    (c, ["upper_case", "space_noise"])]
            people += [a, b, c]
        n_sib_pairs = round(0.04 * n)      # 8% of persons have a sibling
        n_twin_pairs = round(0.01 * n)     # 2% twins
        n_cousin_pairs = round(0.01 * n)   # 2% cousins
        gid = 0
        for kind, count in (("sibling", n_sib_pairs), ("twin", n_twin_pairs),
                            ("cousin", n_cousin_pairs)):
            for _ in range(count):
                p = self.person()
                if kind == "sibling":
                    q = self.sibling_of(p)
                elif kind == "twin":
                    q = self.sibling_of(p, twin=True, share_first=r.random() < 0.4)
                else:
                    q = self.cousin_of(p)
                group = [p, q]
                if kind == "sibling" and r.random() < 0.15:
                    group.append(self.sibling_of(p))
                for x in group:
                    x.relation = kind
                    x.group = gid
                gid += 1
                people += group
        while len(people) < n:
            people.append(self.person())
        people = people[:n] if len(people) > n else people
        return people, show

    # ---------------------------------------------------------------- noise
    def draw_kinds(self, p, has_doc):
        r = self.r
        u = r.random()
        if u < 0.20:
            return []
        k = 1 if u < 0.20 + 0.80 * 0.40 else (2 if u < 0.20 + 0.80 * 0.85 else 3)
        kinds = []
        if p.dob is not None and r.random() < 0.30:
            kinds.append("dob_missing")
        tries = 0
        while len(kinds) < k and tries < 100:
            tries += 1
            kd = r.choices(list(KIND_WEIGHTS), list(KIND_WEIGHTS.values()))[0]
            if kd in kinds or not self.eligible(kd, p, has_doc):
                continue
            if any(kd in ex and any(o in ex for o in kinds) for ex in EXCLUSIVE):
                continue
            kinds.append(kd)
        return kinds

    @staticmethod
    def eligible(kd, p, has_doc):
        if kd in ("given2_dropped", "given2_initial"):
            return len(p.giv) >= 2
        if kd.startswith("dob_"):
            if p.dob is None:
                return False
            if kd == "dob_daymonth_swapped":
                return p.dob.day <= 12 and p.dob.day != p.dob.month
            if kd == "dob_year_only":
                return not (p.dob.month == 1 and p.dob.day == 1)
        if kd == "doc_typo":
            return has_doc
        return True

    def typo(self, s):
        """One typing error inside a word of s (letters only, word of length >= 3)."""
        r = self.r
        words = [(i, w) for i, w in enumerate(s.split(" ")) if len(w) >= 3 and
                 w.lower() not in PARTICLES and w.replace(".", "").isalpha()]
        if not words:
            return s
        parts = s.split(" ")
        i, w = r.choice(words)
        op = r.choice(["sub", "sub", "del", "ins", "trans"])
        j = r.randrange(1, len(w)) if len(w) > 1 else 0   # first letter kept mostly
        if r.random() < 0.1:
            j = 0
        c = w[j]
        up = c.isupper()
        if op == "sub":
            n = r.choice(neighbours(strip_accents(c)))
            w = w[:j] + (n.upper() if up else n) + w[j + 1:]
        elif op == "del" and len(w) > 3:
            w = w[:j] + w[j + 1:]
        elif op == "ins":
            n = r.choice(neighbours(strip_accents(c)) + [c.lower()])
            w = w[:j] + (n.upper() if up else n) + w[j:]
        else:
            if j + 1 >= len(w):
                j -= 1
            a, b = w[j], w[j + 1]
            if a.lower() == b.lower():
                n = r.choice(neighbours(strip_accents(a)))
                w = w[:j] + n + w[j + 1:]
            else:
                w = w[:j] + (b.upper() if a.isupper() else b.lower()) + \
                    (a.upper() if b.isupper() else a.lower()) + w[j + 2:]
        parts[i] = w
        return " ".join(parts)

    def space_noise(self, s):
        r = self.r
        spaces = [i for i, c in enumerate(s) if c == " "]
        if spaces and r.random() < 0.65:
            i = r.choice(spaces)
            if r.random() < 0.5:             # merge: "Cruz Vásquez" -> "CruzVásquez"
                return s[:i] + s[i + 1:]
            # move: "RAMOS FLORES" -> "RAMOSF LORES" or "RAMO SFLORES"
            if r.random() < 0.6 and i + 2 < len(s) and s[i + 1] != " ":
                return s[:i] + s[i + 1] + " " + s[i + 2:]
            if i >= 2 and s[i - 1] != " ":
                return s[:i - 1] + " " + s[i - 1] + s[i + 1:]
            return s[:i] + s[i + 1:]
        words = s.split(" ")
        cand = [k for k, w in enumerate(words) if len(w) >= 6]
        if not cand:
            cand = [k for k, w in enumerate(words) if len(w) >= 4]
        if not cand:
            return s
        k = r.choice(cand)
        w = words[k]
        cut = r.randrange(2, len(w) - 1)
        words[k] = w[:cut] + " " + w[cut:]   # split: "Hernández" -> "Hern ández"
        return " ".join(words)

    def noisy_copy(self, p, kinds, doc):
        r = self.r
        fam = list(p.fam)
        giv = list(p.giv)
        if "family1_dropped" in kinds:
            fam = fam[1:]
        if "family2_dropped" in kinds:
            fam = fam[:1]
        if "family_swapped" in kinds:
            fam = fam[::-1]
        if "given2_dropped" in kinds:
            giv = giv[:1]
        if "given2_initial" in kinds:
            w = [x for x in giv[1].split(" ") if x.lower() not in PARTICLES] or [giv[1]]
            giv = [giv[0], w[0][0].upper() + "."]
        f = " ".join(fam)
        g = " ".join(giv)
        if "space_noise" in kinds:
            if " " in f or r.random() < 0.6:
                f = self.space_noise(f)
            else:
                g = self.space_noise(g)
        if "typo1" in kinds or "typo2" in kinds:
            for _ in range(1 if "typo1" in kinds else 2):
                if r.random() < 0.6:
                    f = self.typo(f)
                else:
                    g = self.typo(g)
        if "given_family_swapped" in kinds:
            f, g = g, f
        if "all_in_one_field" in kinds:
            v = r.random()
            if v < 0.45:
                f, g = f + " " + g, ""
            elif v < 0.75:
                f, g = g + " " + f, ""
            else:
                f, g = "", g + " " + f
        if "accents_dropped" in kinds:
            f, g = strip_accents(f), strip_accents(g)
        if "upper_case" in kinds:
            f, g = f.upper(), g.upper()
        d = p.dob
        ds = d.isoformat() if d else ""
        if "dob_missing" in kinds:
            ds = ""
        elif "dob_daymonth_swapped" in kinds:
            ds = dt.date(d.year, d.day, d.month).isoformat()
        elif "dob_year_digit" in kinds:
            y = d.year
            for _ in range(20):
                if r.random() < 0.7:
                    ny = y - y % 10 + r.choice([x for x in range(10) if x != y % 10])
                else:
                    ny = y + r.choice([-10, 10])
                if 1955 <= ny <= 2008:
                    break
            try:
                ds = dt.date(ny, d.month, d.day).isoformat()
            except ValueError:
                ds = dt.date(ny, d.month, 28).isoformat()
        elif "dob_year_only" in kinds:
            ds = "%04d-01-01" % d.year
        if doc and "doc_typo" in kinds:
            j = r.randrange(len(doc))
            alphabet = "0123456789" if doc[j].isdigit() else "ABCDEFGHJKLMNPRSTUVWXYZ"
            doc = doc[:j] + r.choice([c for c in alphabet if c != doc[j]]) + doc[j + 1:]
        sex = "" if "sex_missing" in kinds else p.sex
        nat = "" if "nationality_missing" in kinds else p.nat
        return {"family_names": f, "given_names": g, "date_of_birth": ds, "sex": sex,
                "nationality": nat, "document_number": doc}

    def manifest_row(self, p, upper):
        f = " ".join(p.fam)
        g = " ".join(p.giv)
        if upper:
            f, g = f.upper(), g.upper()
        return {"family_names": f, "given_names": g,
                "date_of_birth": p.dob.isoformat() if p.dob else "", "sex": p.sex,
                "nationality": p.nat, "document_number": p.doc}

    def intake_copy(self, p, forced=None, doc_override=None):
        r = self.r
        has_doc = bool(p.doc) and r.random() >= 0.60
        kinds = list(forced) if forced is not None else self.draw_kinds(p, has_doc)
        doc = (doc_override or p.doc) if has_doc or doc_override else ""
        if not has_doc and not doc_override and "doc_typo" in kinds:
            kinds.remove("doc_typo")
        rec = self.noisy_copy(p, kinds, doc)
        tags = list(kinds)
        if not rec["document_number"]:
            tags.append("doc_missing")
        return rec, tags


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    G = Gen(a.seed)
    r = G.r
    n = a.persons
    people, show = G.population(n)
    show_ids = {id(p): k for p, k in show}
    # a few manifest records lack a dob or a document on the sending side too
    for p in people:
        if id(p) in show_ids:
            continue
        if r.random() < 0.01:
            p.dob = None
        if r.random() < 0.03:
            p.doc = ""

    # ---- who never arrives: ~3%, half of them with a relative who did arrive
    n_missing = round(0.03 * n)
    groups = {}
    for i, p in enumerate(people):
        if p.group is not None:
            groups.setdefault(p.group, []).append(i)
    missing = set()
    gkeys = list(groups)
    r.shuffle(gkeys)
    for gk in gkeys[: n_missing // 2]:
        missing.add(r.choice(groups[gk]))
    cand = [i for i in range(len(people)) if i not in missing and id(people[i]) not in show_ids]
    r.shuffle(cand)
    for i in cand:
        if len(missing) >= n_missing:
            break
        missing.add(i)

    # ---- manifest ids: random, not in generation order
    mids = ["M-%06d" % k for k in r.sample(range(1000000), len(people))]
    used_iids = set()

    def new_iid():
        while True:
            s = "CEC-%06d" % r.randrange(1000000)
            if s not in used_iids:
                used_iids.add(s)
                return s

    manifest, intake, truth, rel_rows = [], [], [], []
    upper_manifest = r.random() < 0.5   # a whole manifest is typed in one style...
    idx_of = {id(p): i for i, p in enumerate(people)}
    n_dup = round(0.005 * n)
    arrived = [i for i in range(len(people)) if i not in missing]
    dups = set(r.sample([i for i in arrived if id(people[i]) not in show_ids], n_dup))
    for i, p in enumerate(people):
        mrow = G.manifest_row(p, upper_manifest if r.random() < 0.9 else not upper_manifest)
        mrow["record_id"] = mids[i]
        manifest.append(mrow)
        rels = ""
        if p.group is not None:
            rels = ";".join(mids[j] for j in groups[p.group] if j != i)
        rel_rows.append({"record_id": mids[i], "relation": p.relation, "relatives": rels,
                         "status": "missing" if i in missing else "arrived"})
        if i in missing:
            truth.append({"manifest_id": mids[i], "intake_id": "", "noise": ""})
            continue
        rec, tags = G.intake_copy(p, forced=show_ids.get(id(p)))
        if show and p is show[2][0]:
            rec["family_names"] = "RAMOSF LORES"   # the example, exactly
        rec["record_id"] = new_iid()
        intake.append(rec)
        ids = [rec["record_id"]]
        if i in dups:
            rec2, tags2 = G.intake_copy(p, doc_override=G.doc(p.nat))
            rec2["record_id"] = new_iid()
            intake.append(rec2)
            ids.append(rec2["record_id"])
            tags = ["duplicate"] + tags
        truth.append({"manifest_id": mids[i], "intake_id": ";".join(ids),
                      "noise": "+".join(tags)})

    # ---- unexpected arrivals: ~2%, a third of them relatives of missing persons
    n_unexp = round(0.02 * n)
    miss_list = sorted(missing)
    r.shuffle(miss_list)
    n_rel = min(n_unexp // 3, len(miss_list))
    for k in range(n_unexp):
        if k < n_rel:
            m = people[miss_list[k]]
            u = r.random()
            if u < 0.7:
                q = G.sibling_of(m, share_first=r.random() < 0.3)
            elif u < 0.85:
                q = G.sibling_of(m, twin=True)
            else:
                q = G.cousin_of(m)
            relation, rels = "unexpected_relative", mids[miss_list[k]]
        else:
            q = G.person()
            relation, rels = "unexpected_stranger", ""
        rec, tags = G.intake_copy(q)
        rec["record_id"] = new_iid()
        intake.append(rec)
        truth.append({"manifest_id": "", "intake_id": rec["record_id"], "noise": "+".join(tags)})
        rel_rows.append({"record_id": rec["record_id"], "relation": relation, "relatives": rels,
                         "status": "unexpected"})

    r.shuffle(manifest)
    r.shuffle(intake)
    os.makedirs(a.out, exist_ok=True)
    for name, rows, fields in (("manifest.csv", manifest, FIELDS), ("intake.csv", intake, FIELDS),
                               ("truth.csv", truth, ["manifest_id", "intake_id", "noise"]),
                               ("relations.csv", rel_rows,
                                ["record_id", "relation", "relatives", "status"])):
        with open(os.path.join(a.out, name), "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
            w.writeheader()
            for row in rows:
                w.writerow(row)
    print("manifest %d, intake %d, missing %d, unexpected %d, duplicates %d" %
          (len(manifest), len(intake), len(missing), n_unexp, n_dup))


if __name__ == "__main__":
    main()
