#!/usr/bin/env python3
"""Score a `custodia reconcile` output against the truth written by gen_reconcile.py.

    score_reconcile.py DIR OUT.json

DIR holds manifest.csv, intake.csv and truth.csv; OUT.json is the program's output.
Prints a summary and writes DIR/score.json and DIR/errors.txt.

Definitions
  arrived person    a manifest person with at least one intake record in the truth
  correct match     a `matches` pair whose intake id is one of that person's intake
                    records (either one for a person entered twice)
  precision         correct matches / all matches
  recall            correct matches / arrived persons
  needs_review      counts as neither a match nor a miss; reported as a share of the
                    manifest, and whether the true record is among its candidates
  per noise kind    recall over arrived persons whose truth carries the kind; precision
                    over the matches whose manifest person carries it
  per combination   the same by the exact set of non-style kinds (style = upper and
                    no_accents, on either side), 15 commonest among arrived persons
"""

import collections
import csv
import json
import os
import sys

STYLE = {"upper", "no_accents", "m_upper", "m_no_accents"}


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def prf(correct, n_matches, n_true):
    p = correct / n_matches if n_matches else None
    r = correct / n_true if n_true else None
    f = 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)
    return p, r, f


def r4(x):
    return None if x is None else round(x, 4)


def validate(out, manifest_ids, intake_ids):
    """Contract invariants of CONTRACT §2; returns a list of violation strings."""
    v = []
    manifest_set, intake_set = set(manifest_ids), set(intake_ids)
    seen = collections.Counter()
    for key in ("matches", "missing_from_intake", "unexpected_in_intake", "needs_review"):
        if key not in out or not isinstance(out[key], list):
            v.append("missing or non-list key %r" % key)
            out[key] = out.get(key) if isinstance(out.get(key), list) else []
    for m in out["matches"]:
        seen[m.get("manifest_id")] += 1
    for mid in out["missing_from_intake"]:
        seen[mid] += 1
    for nr in out["needs_review"]:
        seen[nr.get("manifest_id")] += 1
    for mid, c in seen.items():
        if mid not in manifest_set:
            v.append("unknown manifest id %r" % mid)
        elif c > 1:
            v.append("manifest id %s listed %d times" % (mid, c))
    absent = [m for m in manifest_ids if m not in seen]
    if absent:
        v.append("%d manifest ids listed nowhere (e.g. %s)" % (len(absent), ", ".join(absent[:5])))
    used = collections.Counter(m.get("intake_id") for m in out["matches"])
    for iid, c in used.items():
        if iid not in intake_set:
            v.append("unknown intake id %r in matches" % iid)
        elif c > 1:
            v.append("intake id %s matched %d times" % (iid, c))
    unexpected = set(out["unexpected_in_intake"])
    for iid in unexpected:
        if iid not in intake_set:
            v.append("unknown intake id %r in unexpected_in_intake" % iid)
    not_listed = [i for i in intake_ids if i not in used and i not in unexpected]
    if not_listed:
        v.append("%d unmatched intake ids not in unexpected_in_intake (e.g. %s)"
                 % (len(not_listed), ", ".join(not_listed[:5])))
    both = [i for i in unexpected if i in used]
    if both:
        v.append("%d intake ids both matched and unexpected (e.g. %s)"
                 % (len(both), ", ".join(sorted(both)[:5])))
    if len(out["unexpected_in_intake"]) != len(unexpected):
        v.append("unexpected_in_intake has duplicates")

    def bad_score(s):
        return not isinstance(s, (int, float)) or isinstance(s, bool) or not 0 <= s <= 1

    for m in out["matches"]:
        if bad_score(m.get("score")):
            v.append("match score out of [0,1]: %r" % (m,))
    for nr in out["needs_review"]:
        for c in nr.get("candidates", []):
            if bad_score(c.get("score")):
                v.append("candidate score out of [0,1]: %r" % (c,))
            if c.get("intake_id") not in intake_set:
                v.append("unknown intake id %r among candidates" % c.get("intake_id"))
    return v


def fmt_rec(r):
    if r is None:
        return "-"
    return "%s | %s | %s | %s | %s | %s | %s" % (
        r["record_id"], r["family_names"], r["given_names"], r["date_of_birth"] or "····-··-··",
        r["sex"] or "·", r["nationality"] or "··", r["document_number"] or "·")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    d, out_path = sys.argv[1], sys.argv[2]
    manifest = {r["record_id"]: r for r in read_csv(os.path.join(d, "manifest.csv"))}
    intake = {r["record_id"]: r for r in read_csv(os.path.join(d, "intake.csv"))}
    truth_rows = read_csv(os.path.join(d, "truth.csv"))
    with open(out_path, encoding="utf-8") as f:
        out = json.load(f)

    truth = {}            # manifest id -> set of intake ids
    noise = {}            # manifest id -> list of kinds
    relation = {}
    owner = {}            # intake id -> manifest id ('' for unexpected)
    unexpected_tag = {}   # intake id -> unexpected_sibling / unexpected_other
    intake_noise = {}
    for t in truth_rows:
        ids = [i for i in t["intake_id"].split(";") if i]
        kinds = [k for k in t["noise"].split("+") if k and k != "none"]
        if t["manifest_id"]:
            truth[t["manifest_id"]] = set(ids)
            noise[t["manifest_id"]] = kinds
            relation[t["manifest_id"]] = t.get("relation", "")
            for i in ids:
                owner[i] = t["manifest_id"]
        else:
            for i in ids:
                owner[i] = ""
                unexpected_tag[i] = kinds[0]
                intake_noise[i] = kinds
                relation[i] = t.get("relation", "")

    violations = validate(out, list(manifest), list(intake))

    arrived = {m for m, s in truth.items() if s}
    missing = {m for m, s in truth.items() if not s}
    matched = {}
    for m in out["matches"]:
        matched.setdefault(m.get("manifest_id"), (m.get("intake_id"), m.get("score")))
    review = {nr.get("manifest_id"): nr.get("candidates", []) for nr in out["needs_review"]}
    reported_missing = set(out["missing_from_intake"])

    correct = {m for m, (i, _) in matched.items() if m in truth and i in truth[m]}
    n_matches = len(out["matches"])
    p, r, f = prf(len(correct), n_matches, len(arrived))

    review_true_in_cands = sum(
        1 for m, c in review.items()
        if m in arrived and any(x.get("intake_id") in truth[m] for x in c))
    wrong_matches = [m for m in matched if m not in correct]
    unexpected_claimed = collections.Counter()
    for m in wrong_matches:
        i = matched[m][0]
        if owner.get(i) == "":
            unexpected_claimed[unexpected_tag.get(i, "?")] += 1
    n_unexp = collections.Counter(unexpected_tag.values())

    def group_stats(members):
        members = list(members)
        arr = [m for m in members if m in arrived]
        c = sum(1 for m in arr if m in correct)
        nm = sum(1 for m in members if m in matched)
        pp, rr, ff = prf(c, nm, len(arr))
        return {"arrived": len(arr), "matches": nm, "correct": c, "precision": r4(pp),
                "recall": r4(rr), "f1": r4(ff),
                "review": sum(1 for m in arr if m in review),
                "lost_to_missing": sum(1 for m in arr if m in reported_missing)}

    by_kind = collections.defaultdict(list)
    by_combo = collections.defaultdict(list)
    by_rel = collections.defaultdict(list)
    for m, kinds in noise.items():
        for k in set(kinds):
            by_kind[k].append(m)
        if m in arrived:
            combo = "+".join(sorted(k for k in set(kinds) if k not in STYLE)) or "none"
            by_combo[combo].append(m)
        rel = relation.get(m, "")
        tags = sorted({x.split(":", 1)[0] for x in rel.split(";") if x}) or ["unrelated"]
        for tg in tags:
            by_rel[tg].append(m)
    kind_stats = {k: group_stats(v) for k, v in by_kind.items()}
    commonest = sorted(by_combo.items(), key=lambda kv: -len(kv[1]))[:15]
    combo_stats = {k: group_stats(v) for k, v in commonest}
    worst_combos = sorted(((k, group_stats(v)) for k, v in by_combo.items() if len(v) >= 20),
                          key=lambda kv: kv[1]["recall"])[:10]
    rel_stats = {k: group_stats(v) for k, v in by_rel.items()}

    nm = len(manifest)
    score = {
        "dir": d,
        "manifest": nm, "intake": len(intake), "arrived": len(arrived),
        "missing_truth": len(missing), "unexpected_truth": sum(n_unexp.values()),
        "matches": n_matches, "correct": len(correct),
        "precision": r4(p), "recall": r4(r), "f1": r4(f),
        "wrong_matches": len(wrong_matches),
        "needs_review": len(review), "needs_review_share": r4(len(review) / nm),
        "needs_review_arrived_with_true_candidate": review_true_in_cands,
        "missing_in_missing_from_intake": len(missing & reported_missing),
        "missing_in_missing_from_intake_share": r4(len(missing & reported_missing) / len(missing))
        if missing else None,
        "missing_in_needs_review": len(missing & set(review)),
        "missing_matched_wrongly": len(missing & set(matched)),
        "arrived_reported_missing": len(arrived & reported_missing),
        "unexpected_claimed_by_a_match": dict(unexpected_claimed),
        "unexpected_by_kind": dict(n_unexp),
        "contract_violations": violations,
        "per_kind": dict(sorted(kind_stats.items(),
                                key=lambda kv: (kv[1]["recall"] is None, kv[1]["recall"] or 0))),
        "per_combination": combo_stats,
        "worst_combinations_n20": dict(worst_combos),
        "per_relation": rel_stats,
    }
    with open(os.path.join(d, "score.json"), "w", encoding="utf-8") as fh:
        json.dump(score, fh, indent=1, ensure_ascii=False)

    # ---- errors.txt
    lines = []
    def block(title, m, extra):
        lines.append("== %s  %s" % (title, m))
        lines.append("   noise:    %s" % "+".join(noise.get(m, [])))
        if relation.get(m):
            lines.append("   relation: %s" % relation[m])
        lines.append("   manifest: %s" % fmt_rec(manifest.get(m)))
        for i in sorted(truth.get(m, ())):
            lines.append("   true:     %s" % fmt_rec(intake.get(i)))
        lines.extend(extra)
        lines.append("")

    for m in manifest:
        if m in correct:
            continue
        extra = []
        if m in matched:
            i, s = matched[m]
            who = owner.get(i)
            whose = ("an unexpected arrival (%s%s)" % (unexpected_tag.get(i), (", " + relation[i]) if relation.get(i) else "")
                     if who == "" else "the record of %s" % who)
            extra.append("   matched:  %s  score=%s  <- %s" % (fmt_rec(intake.get(i)), s, whose))
            title = "WRONG MATCH" if m in arrived else "MISSING PERSON MATCHED"
        elif m in review:
            if m not in arrived:
                title = "MISSING PERSON IN REVIEW"
            else:
                hit = any(x.get("intake_id") in truth[m] for x in review[m])
                title = "REVIEW (true among candidates)" if hit else "REVIEW (true not among candidates)"
            for x in review[m]:
                extra.append("   cand:     %s  score=%s" % (fmt_rec(intake.get(x.get("intake_id"))), x.get("score")))
        elif m in reported_missing:
            if m not in arrived:
                continue  # rightly reported missing
            title = "LOST (reported missing)"
        else:
            title = "NOT LISTED"
        block(title, m, extra)
    with open(os.path.join(d, "errors.txt"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines))

    # ---- summary
    print("%s: precision %.4f  recall %.4f  F1 %.4f  (%d matches, %d correct, %d arrived)"
          % (d, p or 0, r or 0, f or 0, n_matches, len(correct), len(arrived)))
    print("  needs_review %d (%.2f %% of manifest; %d arrived with the true record among candidates)"
          % (len(review), 100 * len(review) / nm, review_true_in_cands))
    print("  missing persons: %d; in missing_from_intake %d (%.1f %%), in needs_review %d, matched (wrong) %d"
          % (len(missing), score["missing_in_missing_from_intake"],
             100 * (score["missing_in_missing_from_intake_share"] or 0),
             score["missing_in_needs_review"], score["missing_matched_wrongly"]))
    print("  arrived persons reported missing (false alarms): %d" % score["arrived_reported_missing"])
    print("  unexpected arrivals claimed by a wrong match: %s of %s"
          % (dict(unexpected_claimed), dict(n_unexp)))
    worst = sorted(((k, s) for k, s in kind_stats.items() if s["arrived"] >= 20),
                   key=lambda kv: kv[1]["recall"])
    print("  worst noise kinds by recall:")
    for k, s in worst[:10]:
        print("    %-22s n=%-6d P=%s R=%s F1=%s review=%d lost=%d"
              % (k, s["arrived"], s["precision"], s["recall"], s["f1"], s["review"], s["lost_to_missing"]))
    print("  15 commonest combinations:")
    for k, s in combo_stats.items():
        print("    %-50s n=%-6d P=%s R=%s F1=%s" % (k[:50], s["arrived"], s["precision"], s["recall"], s["f1"]))
    print("  worst combinations with n >= 20 (by recall):")
    for k, s in worst_combos:
        print("    %-50s n=%-6d P=%s R=%s F1=%s" % (k[:50], s["arrived"], s["precision"], s["recall"], s["f1"]))
    print("  relations:")
    for k, s in sorted(rel_stats.items()):
        print("    %-22s n=%-6d P=%s R=%s F1=%s" % (k, s["arrived"], s["precision"], s["recall"], s["f1"]))
    if violations:
        print("  CONTRACT VIOLATIONS (%d):" % len(violations))
        for x in violations[:20]:
            print("    " + x)
    else:
        print("  contract invariants: OK")


if __name__ == "__main__":
    main()
