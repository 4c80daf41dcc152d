"""The intake clerk and the sending-side system as noise processes.

`intake_record(rng, person)` returns (fields, kinds): the row a prison clerk types for
`person`, and the list of noise kinds applied.  `manifest_record(rng, person)` does the
same for the (mostly clean) sending-side manifest.

Rates are per record and drawn independently kind by kind, except inside a group of
kinds that cannot both happen (only one family-name layout, one date error, ...).
"""

import noise as nz
from namemodel import NATIONALITY, draw_family_unit, fmt_date, fold, strip_accents

# name -> rate.  Conditional rates say so in the comment.
RATES = {
    # family-name layout (exclusive; married_de first, for women >= 22 only)
    "married_de": 0.30,          # of adult women: "López de Martínez"
    "first_family_only": 0.06,
    "maternal_only": 0.012,
    "family_swapped": 0.025,
    # family-name spelling of particles (of records whose names carry a particle)
    "particle_drop": 0.35,
    "particle_glue": 0.20,
    "hyphen": 0.025,             # "Cruz-Vásquez"
    # given names
    "given2_dropped": 0.10,      # of persons with two given names
    "given2_initial": 0.05,      # of persons with two given names: "José L."
    "given_abbrev": 0.30,        # of persons with an abbreviable name (Ma., Fco., Gpe.)
    "nickname": 0.025,           # of persons with a common nickname (about 0.7 % overall)
    # spelling
    "phonetic": 0.07,
    "typo_key": 0.035,
    "typo_transpose": 0.02,
    "typo_double_drop": 0.03,
    # layout of the two fields (exclusive)
    "name_swap": 0.03,
    "all_in_family": 0.02,
    # the old terminal: 15 characters for family_names, 12 for given_names
    "terminal": 0.12,            # share of records typed on it; 'truncate' only if cut
    # dates (exclusive)
    "dob_missing": 0.15,
    "dob_0101": 0.04,
    "dob_year_off": 0.02,
    "dob_wrong": 0.005,
    "dob_dm_swap": 0.083,        # of dates whose day <= 12 (about 3 % overall)
    # others
    "sex_missing": 0.05,
    "nat_missing": 0.05,
    "nat_residence": 0.01,
    "doc_present": 0.45,         # intake has a document at all (else 'doc_missing')
    "doc_typo": 0.08,            # of present documents
    "doc_sep": 0.10,             # of present documents
}

# Style of the whole record (not a clerical error; listed as 'upper' / 'no_accents').
INTAKE_STYLE = [("UPPER", False, 0.45), ("UPPER", True, 0.10),
                ("Title", False, 0.20), ("Title", True, 0.25)]

STYLE_KINDS = {"upper", "no_accents", "m_upper", "m_no_accents"}
BASELINE_KINDS = STYLE_KINDS | {"doc_missing"}

FLIGHT_YEAR = 2025


def _style(rng):
    x = rng.random()
    acc = 0.0
    for case, accents, p in INTAKE_STYLE:
        acc += p
        if x < acc:
            return case, accents
    return "Title", True


def _apply_case(s, case):
    return s.upper() if case == "UPPER" else s


def _words(units):
    """(unit index, word index, word) for every word worth misspelling."""
    out = []
    for ui, u in enumerate(units):
        for wi, w in enumerate(u.split(" ")):
            if len(w) >= 3 and w.lower() not in ("del", "las", "los") and not w.endswith("."):
                out.append((ui, wi, w))
    return out


def _alter_one_word(rng, family, given, fn, tries=6):
    """Apply fn to one random word of the names; True if something changed."""
    for _ in range(tries):
        which = family if (rng.random() < 0.6 or not given) else given
        words = _words(which)
        if not words:
            which = given if which is family else family
            words = _words(which)
            if not words:
                return False
        ui, wi, w = rng.choice(words)
        new = fn(rng, w)
        if new and new != w:
            parts = which[ui].split(" ")
            parts[wi] = new
            which[ui] = " ".join(parts)
            return True
    return False


def intake_record(rng, p, force_spelling=False):
    kinds = []
    R = RATES
    family = list(p["family"])
    given = list(p["given"])

    # -- particles (before the layout, so a husband's 'de' stays)
    if any(nz.has_particle(u) for u in family):
        x = rng.random()
        if x < R["particle_drop"]:
            family = [nz.drop_particle(u) for u in family]
            kinds.append("particle_drop")
        elif x < R["particle_drop"] + R["particle_glue"]:
            family = [nz.glue_particle(u) for u in family]
            kinds.append("particle_glue")

    # -- family-name layout
    age = FLIGHT_YEAR - p["dob"][0]
    if p["sex"] == "F" and age >= 22 and rng.random() < R["married_de"]:
        husband = draw_family_unit(rng)
        while nz.has_particle(husband):
            husband = draw_family_unit(rng)
        if rng.random() < 0.7:
            family = [family[0], "de " + husband]
        else:
            family = family + ["de " + husband]
        kinds.append("married_de")
    else:
        x = rng.random()
        if x < R["first_family_only"]:
            family = family[:1]
            kinds.append("first_family_only")
        elif x < R["first_family_only"] + R["maternal_only"]:
            family = family[1:2]
            kinds.append("maternal_only")
        elif x < R["first_family_only"] + R["maternal_only"] + R["family_swapped"]:
            if fold(family[0]) != fold(family[1]):
                family = [family[1], family[0]]
                kinds.append("family_swapped")

    # -- hyphen
    if len(family) == 2 and "married_de" not in kinds and rng.random() < R["hyphen"]:
        family = ["-".join(family)]
        kinds.append("hyphen")

    # -- given names
    if len(given) >= 2:
        x = rng.random()
        if x < R["given2_dropped"]:
            given = given[:1]
            kinds.append("given2_dropped")
        elif x < R["given2_dropped"] + R["given2_initial"]:
            given = [given[0], strip_accents(given[1])[0] + "."]
            kinds.append("given2_initial")
    if rng.random() < R["nickname"]:
        g = nz.nickname_given(rng, given)
        if g:
            given = g
            kinds.append("nickname")
    if "nickname" not in kinds and rng.random() < R["given_abbrev"]:
        g = nz.abbreviate_given(rng, given)
        if g:
            given = g
            kinds.append("given_abbrev")

    # -- spelling
    if rng.random() < R["phonetic"] or force_spelling:
        n = 2 if rng.random() < 0.2 else 1
        if any(_alter_one_word(rng, family, given, nz.respell) for _ in range(n)):
            kinds.append("phonetic")
    for kind, fn in (("typo_key", nz.typo_key), ("typo_transpose", nz.typo_transpose),
                     ("typo_double_drop", nz.typo_double_or_drop)):
        if rng.random() < R[kind]:
            if _alter_one_word(rng, family, given, fn):
                kinds.append(kind)

    # -- style
    case, accents = _style(rng)
    fam_s = " ".join(family)
    giv_s = " ".join(given)
    if not accents:
        if strip_accents(fam_s + giv_s) != fam_s + giv_s:
            kinds.append("no_accents")
        fam_s, giv_s = strip_accents(fam_s), strip_accents(giv_s)
    if case == "UPPER":
        kinds.append("upper")
    fam_s, giv_s = _apply_case(fam_s, case), _apply_case(giv_s, case)

    # -- layout of the two fields
    x = rng.random()
    if x < R["name_swap"]:
        fam_s, giv_s = giv_s, fam_s
        kinds.append("name_swap")
    elif x < R["name_swap"] + R["all_in_family"]:
        fam_s, giv_s = (fam_s + " " + giv_s).strip(), ""
        kinds.append("all_in_family")

    # -- field lengths of the old terminal
    if rng.random() < R["terminal"]:
        cut = False
        if len(fam_s) > 15:
            fam_s, cut = fam_s[:15].rstrip(), True
        if len(giv_s) > 12:
            giv_s, cut = giv_s[:12].rstrip(), True
        if cut:
            kinds.append("truncate")

    # -- date of birth
    dob = p["dob"]
    x = rng.random()
    cuts = [("dob_missing", R["dob_missing"]), ("dob_0101", R["dob_0101"]),
            ("dob_year_off", R["dob_year_off"]), ("dob_wrong", R["dob_wrong"])]
    acc, chosen = 0.0, None
    for k, r in cuts:
        acc += r
        if x < acc:
            chosen = k
            break
    if chosen is None and nz.dob_swappable(dob) and rng.random() < R["dob_dm_swap"]:
        chosen = "dob_dm_swap"
    if chosen == "dob_missing":
        dob = None
    elif chosen == "dob_0101":
        if (dob[1], dob[2]) != (1, 1):
            dob = (dob[0], 1, 1)
        else:
            chosen = None
    elif chosen == "dob_year_off":
        dob = nz.dob_year_off(rng, dob)
    elif chosen == "dob_wrong":
        dob = nz.dob_wrong(rng, dob)
    elif chosen == "dob_dm_swap":
        dob = nz.dob_swap(dob)
    if chosen:
        kinds.append(chosen)

    # -- sex, nationality
    sex = p["sex"]
    if rng.random() < R["sex_missing"]:
        sex = ""
        kinds.append("sex_missing")
    nat = p["nat"]
    x = rng.random()
    if x < R["nat_missing"]:
        nat = ""
        kinds.append("nat_missing")
    elif x < R["nat_missing"] + R["nat_residence"]:
        nat = "US" if (nat == "MX" or rng.random() < 0.6) else "MX"
        kinds.append("nat_residence")

    # -- document
    doc = ""
    if rng.random() < R["doc_present"]:
        doc = p["doc"]
        if rng.random() < R["doc_typo"]:
            doc = nz.doc_typo(rng, doc)
            kinds.append("doc_typo")
        if rng.random() < R["doc_sep"]:
            doc = nz.doc_separators(rng, doc)
            kinds.append("doc_sep")
    else:
        kinds.append("doc_missing")

    fields = {"family_names": fam_s, "given_names": giv_s, "date_of_birth": fmt_date(dob),
              "sex": sex, "nationality": nat, "document_number": doc}
    return fields, kinds


MANIFEST_NOISE = 0.10
MANIFEST_DOC = 0.85


def manifest_record(rng, p):
    """The sending side: Title case with accents, ~10 % of rows with one light flaw."""
    kinds = []
    family = list(p["family"])
    given = list(p["given"])
    fam_s, giv_s = " ".join(family), " ".join(given)
    if rng.random() < MANIFEST_NOISE:
        k = rng.choice(("m_no_accents", "m_upper", "m_typo"))
        if k == "m_no_accents":
            fam_s, giv_s = strip_accents(fam_s), strip_accents(giv_s)
        elif k == "m_upper":
            fam_s, giv_s = fam_s.upper(), giv_s.upper()
        else:
            fn = rng.choice((nz.typo_key, nz.typo_transpose, nz.typo_double_or_drop))
            if _alter_one_word(rng, family, given, fn):
                fam_s, giv_s = " ".join(family), " ".join(given)
            else:
                k = None
        if k:
            kinds.append(k)
    doc = p["doc"] if rng.random() < MANIFEST_DOC else ""
    if not doc:
        kinds.append("m_doc_missing")
    fields = {"family_names": fam_s, "given_names": giv_s, "date_of_birth": fmt_date(p["dob"]),
              "sex": p["sex"], "nationality": p["nat"], "document_number": doc}
    return fields, kinds
