#!/usr/bin/env python3
"""Why a missing person was not reported missing: every manifest person the truth says never
arrived, and who is not in `missing_from_intake`, is classed by what the intake record it
was tied to (matched to, or listed as a review candidate) can say about it.

  python3 crates/linkage/bench/unflagged_missing.py DIR OUT.json [--list]

DIR holds manifest.csv, intake.csv and truth.csv (manifest_id,intake_id[,duplicate_intake_ids],
as `bench_reconcile` writes it; the held-out generators' rows, one per record, also do); OUT.json is the
`custodia reconcile` answer for them.

A candidate record R of a missing person B belongs to an arrived person A (the truth says
so). R "cannot tell B from A" when none of its fields favours A: no date of birth, no
document, sex and nationality empty or the same for both, and every word of its names
found (within one typing error, accents and case folded) among the names of both. No rule
working from the records alone can then report B missing without reporting A missing as
often (a guess is right half the time and reports the arrived person missing the other
half): the honest answer is a review. The last line gives the share in
`missing_from_intake` if every other miss were put right ("all but the ties"); it is a
ceiling for an approach that sends ties to review, not for one that guesses.
"""
import csv
import json
import sys
import unicodedata


def fold(s):
    s = unicodedata.normalize("NFKD", s or "")
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    return [w for w in "".join(c if c.isalpha() else " " for c in s).split() if w not in
            ("de", "del", "la", "las", "los", "y", "da", "van", "von")]


def one_edit(a, b):
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    if len(a) > len(b):
        a, b = b, a
    return any(b[:i] + b[i + 1:] == a for i in range(len(b)))


def found_in(words, person):
    names = fold(person["family_names"]) + fold(person["given_names"])
    joined = "".join(names)
    return all(any(one_edit(w, n) for n in names) or w in joined for w in words)


def cannot_tell(r, a, b):
    if (r["date_of_birth"] or "").strip() or (r["document_number"] or "").strip():
        return False
    for f in ("sex", "nationality"):
        v = (r[f] or "").strip().upper()
        if v and (v != (a[f] or "").strip().upper() or v != (b[f] or "").strip().upper()):
            return False
    words = fold(r["family_names"]) + fold(r["given_names"])
    return bool(words) and found_in(words, a) and found_in(words, b)


def main():
    d, out_path = sys.argv[1], sys.argv[2]
    listing = "--list" in sys.argv
    rows = lambda f: {r["record_id"]: r for r in csv.DictReader(open(f"{d}/{f}", newline=""))}
    man, intake = rows("manifest.csv"), rows("intake.csv")
    owner = {}
    truth = {}
    for t in csv.DictReader(open(f"{d}/truth.csv", newline="")):
        if not t["manifest_id"]:
            continue  # an unexpected arrival (the held-out generators list them too)
        # A person entered twice may have a row per record.
        truth[t["manifest_id"]] = truth.get(t["manifest_id"]) or t.get("intake_id") or ""
        ids = [t.get("intake_id") or ""] + (t.get("duplicate_intake_ids") or "").split(";")
        for i in ids:
            if i:
                owner[i] = t["manifest_id"]
    out = json.load(open(out_path))
    flagged = set(out["missing_from_intake"])
    review = {r["manifest_id"]: [c["intake_id"] for c in r["candidates"]] for r in out["needs_review"]}
    matched = {m["manifest_id"]: m["intake_id"] for m in out["matches"]}
    missing = [m for m, i in truth.items() if not i]
    classes = {}
    for b in missing:
        if b in flagged:
            continue
        cands = review.get(b) or ([matched[b]] if b in matched else [])
        where = "review" if b in review else "matched"
        tied = bool(cands) and all(
            c in owner and cannot_tell(intake[c], man[owner[c]], man[b]) for c in cands)
        key = f"{where}, {'the record cannot tell them apart' if tied else 'the record tells them apart'}"
        classes.setdefault(key, []).append(b)
        if listing:
            for c in cands:
                r, a = intake[c], man.get(owner.get(c, ""), None)
                show = lambda p: f'{p["family_names"]}, {p["given_names"]}, {p["date_of_birth"] or "—"}, {p["document_number"] or "—"}'
                print(f"{key}: missing {show(man[b])} | record {show(r)} | its owner {show(a) if a else 'nobody (unexpected)'}")
    n = len(missing)
    tied = sum(len(v) for k, v in classes.items() if "cannot" in k)
    print(f"missing persons: {n}; in missing_from_intake: {sum(1 for b in missing if b in flagged)} "
          f"({sum(1 for b in missing if b in flagged) / max(1, n) * 100:.1f} %)")
    for k, v in sorted(classes.items()):
        print(f"  {k}: {len(v)}")
    print(f"in missing_from_intake if all but the ties were put right: "
          f"{n - tied} / {n} = {(n - tied) / max(1, n) * 100:.1f} %")


if __name__ == "__main__":
    main()
