#!/usr/bin/env python3
"""Score a `custodia reconcile` output against held-out truth.

Usage: score_reconcile.py DIR OUT.json   (reads DIR/manifest.csv, intake.csv, truth.csv,
relations.csv and OUT.json; writes DIR/score.json and DIR/errors.txt; prints a summary)

Definitions
- a true pair is (manifest id, intake id) for every manifest person who arrived; for a person
  entered twice in intake, a match to either record is right.
- TP = matches that are a true pair; precision = TP / len(matches); recall = TP / arrived.
- records in needs_review count as neither TP nor FP (they lower recall).
- per noise kind / combination: restricted to manifest persons whose intake copy had it
  (precision among the matches of those manifest persons). 'doc_missing' (60% of intake) is
  reported as a kind but left out of the combination key; 'clean' = no noise except
  possibly a missing document.
"""
import collections
import csv
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

MINOR = {"doc_missing"}


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def prf(tp, matched, n):
    p = tp / matched if matched else 1.0
    r = tp / n if n else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def main():
    d, outp = sys.argv[1], sys.argv[2]
    man = {r["record_id"]: r for r in read_csv(os.path.join(d, "manifest.csv"))}
    ink = {r["record_id"]: r for r in read_csv(os.path.join(d, "intake.csv"))}
    truth = read_csv(os.path.join(d, "truth.csv"))
    rel = {}
    if os.path.exists(os.path.join(d, "relations.csv")):
        rel = {r["record_id"]: r for r in read_csv(os.path.join(d, "relations.csv"))}
    out = json.load(open(outp, encoding="utf-8"))

    good = {}          # manifest id -> set of acceptable intake ids (empty = missing)
    noise = {}         # manifest id -> list of kinds
    owner = {}         # intake id -> (manifest id or '', kinds)
    for t in truth:
        ids = [x for x in t["intake_id"].split(";") if x]
        kinds = [k for k in t["noise"].split("+") if k]
        if t["manifest_id"]:
            good[t["manifest_id"]] = set(ids)
            noise[t["manifest_id"]] = kinds
        for i in ids:
            owner[i] = (t["manifest_id"], kinds)

    matched = {}
    score_of = {}
    for m in out["matches"]:
        matched[m["manifest_id"]] = m["intake_id"]
        score_of[m["manifest_id"]] = m["score"]
    missing_out = set(out["missing_from_intake"])
    review = {x["manifest_id"]: x["candidates"] for x in out["needs_review"]}
    unexpected_out = set(out["unexpected_in_intake"])

    # contract checks
    problems = []
    seen = collections.Counter(list(matched) + list(missing_out) + list(review))
    for mid in man:
        if seen[mid] != 1:
            problems.append("manifest id %s appears %d times" % (mid, seen[mid]))
    if len(set(matched.values())) != len(matched):
        problems.append("an intake id is matched more than once")
    for iid in ink:
        if (iid in set(matched.values())) == (iid in unexpected_out):
            problems.append("intake id %s: matched xor unexpected violated" % iid)
            break

    arrived = [m for m in good if good[m]]
    missing = [m for m in good if not good[m]]
    tp = sum(1 for m, i in matched.items() if i in good.get(m, ()))
    p, r, f = prf(tp, len(matched), len(arrived))

    res = {
        "manifest": len(man), "intake": len(ink), "arrived": len(arrived),
        "missing": len(missing), "unexpected_true": sum(1 for t in truth if not t["manifest_id"]),
        "matches": len(matched), "tp": tp, "fp": len(matched) - tp,
        "precision": p, "recall": r, "f1": f,
        "needs_review": len(review), "needs_review_rate": len(review) / len(man),
        "arrived_in_review": sum(1 for m in arrived if m in review),
        "arrived_in_review_with_right_candidate": sum(
            1 for m in arrived if m in review and
            any(c["intake_id"] in good[m] for c in review[m])),
        "missing_flagged": sum(1 for m in missing if m in missing_out),
        "missing_flagged_frac": sum(1 for m in missing if m in missing_out) / max(1, len(missing)),
        "missing_in_review": sum(1 for m in missing if m in review),
        "missing_in_review_frac": sum(1 for m in missing if m in review) / max(1, len(missing)),
        "missing_matched_to_someone": sum(1 for m in missing if m in matched),
        "arrived_reported_missing": sum(1 for m in arrived if m in missing_out),
        "arrived_matched_wrong": sum(1 for m in arrived if m in matched and
                                     matched[m] not in good[m]),
        "unexpected_flagged": sum(1 for t in truth if not t["manifest_id"] and
                                  t["intake_id"] in unexpected_out),
        "contract_problems": problems[:20],
    }

    def group_stats(keyfn, min_n=0):
        acc = collections.defaultdict(lambda: [0, 0, 0, 0])  # n, tp, matched, review
        for m in arrived:
            for key in keyfn(m):
                a = acc[key]
                a[0] += 1
                if m in matched:
                    a[2] += 1
                    if matched[m] in good[m]:
                        a[1] += 1
                if m in review:
                    a[3] += 1
        table = {}
        for key, (n, t, mt, rv) in sorted(acc.items(), key=lambda kv: -kv[1][0]):
            if n < min_n:
                continue
            pp, rr, ff = prf(t, mt, n)
            table[key] = {"n": n, "tp": t, "fp": mt - t, "review": rv, "fn": n - t,
                          "precision": round(pp, 4), "recall": round(rr, 4), "f1": round(ff, 4)}
        return table

    def kinds_of(m):
        ks = [k for k in noise[m] if k not in MINOR and k != "duplicate"]
        return ks

    res["per_kind"] = group_stats(
        lambda m: (kinds_of(m) or ["clean"]) + [k for k in noise[m] if k in MINOR or
                                                k == "duplicate"])
    res["per_combination"] = group_stats(lambda m: ["+".join(sorted(kinds_of(m))) or "clean"],
                                         min_n=20)
    res["per_noise_count"] = group_stats(lambda m: [str(len(kinds_of(m)))])
    if rel:
        res["per_relation"] = group_stats(lambda m: [rel[m]["relation"]])
        mr = collections.Counter()
        for m in missing:
            key = rel[m]["relation"]
            state = "flagged" if m in missing_out else ("review" if m in review else "matched")
            mr[key + ":" + state] += 1
        res["missing_by_relation"] = dict(sorted(mr.items()))


    # ---------------------------------------------------------------- errors.txt
    def fmt(rec):
        if rec is None:
            return "(none)"
        return "%-32s | %-24s | %-10s | %-1s | %-2s | %s" % (
            rec["family_names"], rec["given_names"], rec["date_of_birth"] or "(no dob)",
            rec["sex"] or "-", rec["nationality"] or "--", rec["document_number"] or "(no doc)")

    def who(iid):
        mid, kinds = owner.get(iid, ("?", []))
        if mid:
            return "copy of %s [%s] rel=%s" % (mid, "+".join(kinds) or "clean",
                                               rel.get(mid, {}).get("relation", "?"))
        rr = rel.get(iid, {})
        return "UNEXPECTED %s%s [%s]" % (rr.get("relation", "?"),
                                         (" of " + rr["relatives"]) if rr.get("relatives") else "",
                                         "+".join(kinds) or "clean")

    def rel_line(m):
        rr = rel.get(m, {})
        s = "relation=%s" % rr.get("relation", "?")
        if rr.get("relatives"):
            s += " relatives=%s" % rr["relatives"]
            for x in rr["relatives"].split(";"):
                s += "\n      relative %s: %s  -> %s" % (
                    x, fmt(man.get(x)), ",".join(sorted(good.get(x, ()))) or "MISSING")
        return s

    # ---- rivals: other manifest persons that the same deterministic noise (no typo) would
    # turn into an equally good fit for the true intake record (see rivals()).
    PART = {"de", "del", "la", "las", "los", "y"}
    from names import fold as _fold

    def ws(s):
        return [w for w in _fold(s).replace(".", " ").split() if w not in PART]
    by_given = collections.defaultdict(list)
    mw = {}
    for mid, rec in man.items():
        g = ws(rec["given_names"])
        mw[mid] = (ws(rec["family_names"]), g)
        if g:
            by_given[g[0]].append(mid)

    def rivals(m, iid):
        kinds = set(noise[m])
        rec = ink[iid]
        fam, giv = mw[m]
        if "family1_dropped" in kinds:
            fam = fam[1:] if len(fam) > 1 else fam
        elif "family2_dropped" in kinds:
            fam = fam[:1]
        partial_f = bool(kinds & {"family1_dropped", "family2_dropped"})
        initial = None
        if "given2_initial" in kinds and len(giv) > 1:
            initial = giv[1][0]
        if kinds & {"given2_dropped", "given2_initial"}:
            giv = giv[:1]
        out = []
        if not giv:
            return out
        mdob = man[m]["date_of_birth"]
        for o in by_given[giv[0]]:
            if o == m:
                continue
            of, og = mw[o]
            orec = man[o]
            if rec["nationality"] and orec["nationality"] != rec["nationality"]:
                continue
            if rec["document_number"] and "doc_typo" not in kinds and \
                    orec["document_number"] != rec["document_number"]:
                continue
            if initial is not None:
                if len(og) < 2 or og[1][0] != initial:
                    continue
            elif kinds & {"given2_dropped"}:
                pass
            elif og != giv:
                continue
            if partial_f:
                if any(of.count(w) < fam.count(w) for w in set(fam)):
                    continue
            elif sorted(of) != sorted(fam):
                continue
            od = orec["date_of_birth"]
            idob = rec["date_of_birth"]
            if idob and od:
                if "dob_year_only" in kinds:
                    if od[:4] != idob[:4]:
                        continue
                elif "dob_year_digit" in kinds:
                    if od[4:] != mdob[4:]:
                        continue
                elif "dob_daymonth_swapped" in kinds:
                    if od != mdob:
                        continue
                elif od != idob:
                    continue
            out.append(o)
        return out

    def rival_note(m):
        ids = sorted(good[m])
        if not ids:
            return ""
        rv = rivals(m, ids[0])
        if not rv:
            return "  rivals   : 0 (no other manifest person fits the true intake record as well)\n"
        s = "  rivals   : %d other manifest persons fit the true intake record as well:\n" % len(rv)
        for o in rv[:4]:
            st = ",".join(sorted(good[o])) or "MISSING"
            s += "      %s: %s -> %s\n" % (o, fmt(man[o]), st)
        return s

    classes = collections.OrderedDict()
    classes["FN_REPORTED_MISSING (arrived, put in missing_from_intake)"] = [
        m for m in arrived if m in missing_out]
    classes["FN_IN_REVIEW (arrived, put in needs_review)"] = [m for m in arrived if m in review]
    classes["WRONG_MATCH (arrived, matched to another intake record: FP and FN)"] = [
        m for m in arrived if m in matched and matched[m] not in good[m]]
    classes["FP_MISSING_MATCHED (never arrived, matched to someone: FP, missing not flagged)"] = [
        m for m in missing if m in matched]
    classes["MISSING_IN_REVIEW (never arrived, put in needs_review: not flagged)"] = [
        m for m in missing if m in review]
    with open(os.path.join(d, "errors.txt"), "w", encoding="utf-8") as fh:
        fh.write("columns: family_names | given_names | dob | sex | nat | document\n")
        fh.write("summary: P %.4f R %.4f F1 %.4f review %d missing flagged %d/%d\n\n" % (
            p, r, f, len(review), res["missing_flagged"], len(missing)))
        for title, ms in classes.items():
            fh.write("=" * 100 + "\n%s: %d\n" % (title, len(ms)) + "=" * 100 + "\n")
            combo = collections.Counter("+".join(sorted(kinds_of(m))) or "clean" for m in ms)
            if ms and good[ms[0]]:
                fh.write("by noise combination: %s\n" % dict(combo.most_common(15)))
            relc = collections.Counter(rel.get(m, {}).get("relation", "?") for m in ms)
            fh.write("by relation: %s\n" % dict(relc.most_common()))
            if ms and good[ms[0]]:
                amb = collections.Counter(min(len(rivals(m, sorted(good[m])[0])), 3) for m in ms)
                fh.write("by number of rivals (0 = unambiguous, 3 = 3 or more): %s\n" %
                         dict(sorted(amb.items())))
                res.setdefault("rivals", {})[title.split()[0]] = dict(sorted(amb.items()))
            fh.write("\n")
            for m in sorted(ms, key=lambda m: ("+".join(sorted(kinds_of(m))), m)):
                fh.write("%s  %s\n" % (m, rel_line(m)))
                fh.write("  manifest : %s\n" % fmt(man[m]))
                for i in sorted(good[m]):
                    fh.write("  truth    : %s  %s  [%s]\n" % (fmt(ink.get(i)), i,
                                                               "+".join(noise[m]) or "clean"))
                fh.write(rival_note(m))
                if m in matched:
                    i = matched[m]
                    fh.write("  MATCHED  : %s  %s score=%.3f  <- %s\n" % (
                        fmt(ink.get(i)), i, score_of[m], who(i)))
                    # did the true record go to somebody else?
                for i in sorted(good[m]):
                    for mm, ii in matched.items():
                        if ii == i and mm != m:
                            fh.write("  true rec went to %s: %s score=%.3f\n" % (
                                mm, fmt(man[mm]), score_of[mm]))
                if m in review:
                    for c in review[m]:
                        fh.write("  cand     : %s  %s score=%.3f  <- %s\n" % (
                            fmt(ink.get(c["intake_id"])), c["intake_id"], c["score"],
                            who(c["intake_id"])))
                fh.write("\n")

    with open(os.path.join(d, "score.json"), "w") as fh:
        json.dump(res, fh, indent=1, ensure_ascii=False)

    def pct(x):
        return "%.4f" % x
    print("P %s R %s F1 %s | matches %d tp %d fp %d | review %d (%.2f%%; arrived %d, with right "
          "cand %d) | missing flagged %d/%d (%.2f%%), in review %d, matched %d | arrived reported "
          "missing %d | arrived matched wrong %d | unexpected flagged %d/%d" % (
              pct(p), pct(r), pct(f), len(matched), tp, len(matched) - tp, len(review),
              100 * len(review) / len(man), res["arrived_in_review"],
              res["arrived_in_review_with_right_candidate"], res["missing_flagged"],
              len(missing), 100 * res["missing_flagged_frac"], res["missing_in_review"],
              res["missing_matched_to_someone"], res["arrived_reported_missing"],
              res["arrived_matched_wrong"], res["unexpected_flagged"], res["unexpected_true"]))
    if problems:
        print("CONTRACT PROBLEMS:", problems[:5])


if __name__ == "__main__":
    main()
