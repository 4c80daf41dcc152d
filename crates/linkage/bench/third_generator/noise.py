"""Clerical noise: how a prison intake clerk, a sending-side system or a relative on a
phone writes a name, a date, a country or a document number.

Each public function takes a random.Random and returns the altered value; those that
may decline (nothing to alter) return None.  Kind names used in truth files are the
constants in KINDS.
"""

import re

from namemodel import (COUNTRY_NAMES, days_in_month, draw_dob, draw_family_unit, fold,
                       strip_accents)

# ---------------------------------------------------------------------------
# Keyboard typos (a US/Latin-American QWERTY keyboard: ñ sits right of l)
# ---------------------------------------------------------------------------
_ROWS = ["1234567890", "qwertyuiop", "asdfghjklñ", "zxcvbnm"]
_NEIGHBOURS = {}
for r, row in enumerate(_ROWS):
    for c, ch in enumerate(row):
        near = set()
        for dr in (-1, 0, 1):
            rr = r + dr
            if 0 <= rr < len(_ROWS):
                for dc in (-1, 0, 1):
                    cc = c + dc + (0 if dr <= 0 else 0)
                    if (dr, dc) != (0, 0) and 0 <= cc < len(_ROWS[rr]):
                        near.add(_ROWS[rr][cc])
        # keep letters near letters and digits near digits: clerks' slips stay in
        # the block they are typing in
        _NEIGHBOURS[ch] = sorted(n for n in near if n.isdigit() == ch.isdigit())


def _match_case(new, old):
    return new.upper() if old.isupper() else new


def _letter_positions(word):
    return [i for i, ch in enumerate(word) if ch.isalpha()]


def typo_key(rng, word):
    """Replace one letter by a keyboard neighbour."""
    pos = [i for i in _letter_positions(word) if strip_accents(word[i]).lower() in _NEIGHBOURS]
    if not pos:
        return None
    i = rng.choice(pos)
    base = strip_accents(word[i]).lower()
    new = rng.choice(_NEIGHBOURS[base])
    return word[:i] + _match_case(new, word[i]) + word[i + 1:]


def typo_transpose(rng, word):
    pos = [i for i in range(len(word) - 1)
           if word[i].isalpha() and word[i + 1].isalpha() and word[i].lower() != word[i + 1].lower()]
    if not pos:
        return None
    i = rng.choice(pos)
    a, b = word[i], word[i + 1]
    if i == 0:  # keep the capital at the front
        a, b = (b.upper(), a.lower()) if a.isupper() and not b.isupper() else (b, a)
        return a + b + word[2:]
    return word[:i] + b + a + word[i + 2:]


def typo_double_or_drop(rng, word):
    pos = _letter_positions(word)
    if len(pos) < 4:
        return None
    i = rng.choice(pos[1:])  # the first letter is the one a clerk checks
    if rng.random() < 0.5:
        return word[:i] + word[i] + word[i:]          # doubled
    return word[:i] + word[i + 1:]                     # dropped


# ---------------------------------------------------------------------------
# Spanish phonetic respellings: what a clerk writes when the name is spoken
# ---------------------------------------------------------------------------
ANGLO_J = {"jonathan", "jhonny", "jefferson", "jennifer", "jessica", "jacqueline",
           "johana", "jimmy", "jeison", "jhon"}


def _rules(word):
    """All applicable (start, end, replacement) edits on `word` (original case kept
    for the first letter by the caller)."""
    w = word
    low = strip_accents(w).lower()
    out = []
    n = len(w)
    for i, ch in enumerate(low):
        nxt = low[i + 1] if i + 1 < n else ""
        prv = low[i - 1] if i > 0 else ""
        if ch == "b":
            out.append((i, i + 1, "v"))
        elif ch == "v":
            out.append((i, i + 1, "b"))
        elif ch == "z":
            out.append((i, i + 1, "s"))
        elif ch == "s" and nxt in ("e", "i"):
            out.append((i, i + 1, "c"))
        elif ch == "s" and i > 0:
            out.append((i, i + 1, "z"))
        elif ch == "c" and nxt in ("e", "i"):
            out.append((i, i + 1, rng_choice_marker("s", "z")))
        elif ch == "l" and nxt == "l":
            out.append((i, i + 2, "y"))
        elif ch == "y" and 0 < i < n - 1 and nxt in "aeiou" and prv in "aeiou":
            out.append((i, i + 1, "ll"))
        elif ch == "y" and i == n - 1 and prv not in "aeiou" + "":
            out.append((i, i + 1, "i"))
        elif ch == "y" and 0 < i < n - 1 and nxt not in "aeiou":
            out.append((i, i + 1, "i"))                     # Brayan ok, Daysi -> Daisi
        elif ch == "i" and i == n - 1 and prv not in "aeiou":
            out.append((i, i + 1, "y"))                     # Yeimi -> Yeimy
        elif ch == "h" and i == 0:
            out.append((0, 1, ""))                          # Hernández -> Ernández
        elif ch == "h" and prv not in ("c", "s", "t", "") and i > 0:
            out.append((i, i + 1, ""))                      # Nahún -> Naún, Johana -> Joana
        elif ch == "j" and nxt in ("e", "i"):
            out.append((i, i + 1, "g"))
        elif ch == "g" and nxt in ("e", "i"):
            out.append((i, i + 1, "j"))
        elif ch == "q" and nxt == "u":
            out.append((i, i + 2, "k"))                     # Quintanilla -> Kintanilla
        elif ch == "k" and nxt in ("e", "i"):
            out.append((i, i + 1, "qu"))                    # Kevin -> Quevin
        elif ch == "k" and nxt in ("a", "o", "u"):
            out.append((i, i + 1, "c"))                     # Karla -> Carla
        elif ch == "c" and nxt in ("a", "o", "u") and i == 0:
            out.append((i, i + 1, "k"))
        elif ch == "x":
            out.append((i, i + 1, "j" if i == 0 else "s"))  # Ximena -> Jimena
        elif ch == "w" and i == 0:
            out.append((0, 1, "gu"))                        # Wilmer -> Guilmer
        elif ch == "g" and nxt == "u" and i == 0 and i + 2 < n and low[i + 2] == "a":
            out.append((0, 2, "w"))                         # Guardado -> Wardado
        elif ch == "r" and nxt == "r":
            out.append((i, i + 2, "r"))
        elif ch == "t" and nxt == "h":
            out.append((i, i + 2, "t"))                     # Jonathan -> Jonatan
        elif ch == "c" and nxt == "k":
            out.append((i, i + 2, "k"))                     # Erick -> Erik
        elif ch in "fnst" and nxt == ch:
            out.append((i, i + 2, ch))                      # Jefferson -> Jeferson
        elif ch == "e" and i == 0 and nxt in "lrsd":
            out.append((0, 0, "h"))                         # Elmer -> Helmer
        elif ch == "o" and i == 0 and nxt in "lrs":
            out.append((0, 0, "h"))                         # Orellana -> Horellana
        if w[i] == "ñ" or w[i] == "Ñ":
            out.append((i, i + 1, "n"))
            out.append((i, i + 1, "ni"))
    if low in ANGLO_J:
        out.append((0, 1, "y"))                             # Jennifer -> Yennifer
    if low.startswith("y") and len(low) > 3 and low[1] == "e":
        out.append((0, 1, "j"))                             # Yessica -> Jessica
    return out


def rng_choice_marker(a, b):
    # Deterministic helper for a rule with two outcomes: resolved in respell().
    return a + "|" + b


def respell(rng, word):
    rules = _rules(word)
    if not rules:
        return None
    s, e, rep = rng.choice(rules)
    if "|" in rep:
        rep = rng.choice(rep.split("|"))
    orig = word[s:e] if e > s else word[s:s + 1]
    if rep == "" and s == 0:                 # a dropped capital: the next letter takes it
        rest = word[e:]
        return rest[:1].upper() + rest[1:] if orig.isupper() else rest
    if orig[:1].isupper():
        rep = rep[:1].upper() + rep[1:]
        if e == s:  # inserted before the capital: lower the old first letter
            return rep + word[s].lower() + word[s + 1:]
    elif word.isupper():
        rep = rep.upper()
    return word[:s] + rep + word[e:]


# ---------------------------------------------------------------------------
# Given-name abbreviations and nicknames
# ---------------------------------------------------------------------------
ABBREV = {
    "maría": "Ma.", "francisco": "Fco.", "guadalupe": "Gpe.", "antonio": "Ant.",
    "fernando": "Fdo.", "alejandro": "Alej.", "josé": "J.", "guillermo": "Gmo.",
    "maría de los ángeles": "Ma. de los Á.", "maría del carmen": "Ma. del Carmen",
    "maría josé": "Ma. José", "maría elena": "Ma. Elena", "ana maría": "Ana Ma.",
    "maría de jesús": "Ma. de Jesús", "maría teresa": "Ma. Teresa",
    "josé de jesús": "J. de Jesús", "juan de dios": "Juan de D.",
}
NICKNAMES = {
    "francisco": ["Paco", "Pancho", "Chico"], "josé": ["Pepe", "Chepe"],
    "guadalupe": ["Lupe"], "jesús": ["Chuy", "Chucho"], "concepción": ["Concha", "Conchita"],
    "ignacio": ["Nacho"], "dolores": ["Lola"], "rosario": ["Chayo"], "manuel": ["Manolo", "Meme"],
    "alejandro": ["Alex"], "roberto": ["Beto"], "alberto": ["Beto"], "guillermo": ["Memo"],
    "enrique": ["Kike"], "alfredo": ["Fredy"], "santiago": ["Chago"], "mercedes": ["Meche"],
    "antonio": ["Toño", "Tono"], "eduardo": ["Lalo"], "rigoberto": ["Rigo"],
    "margarita": ["Magui"], "isabel": ["Chabela"], "jorge": ["Coque"], "salvador": ["Chava"],
    "gerardo": ["Jerry"], "william": ["Willy"], "reynaldo": ["Rey"],
}


def abbreviate_given(rng, given):
    """given: list of units.  Abbreviate one unit that has a usual short form."""
    idx = [i for i, g in enumerate(given) if g.lower() in ABBREV
           and (g.lower() != "josé" or (i == 0 and len(given) > 1))]  # "J. Antonio", never a lone "J."
    if not idx:
        return None
    i = rng.choice(idx)
    out = list(given)
    out[i] = ABBREV[given[i].lower()]
    return out


def nickname_given(rng, given):
    idx = [i for i, g in enumerate(given) if g.lower() in NICKNAMES]
    if not idx:
        return None
    i = idx[0]
    out = list(given)
    out[i] = rng.choice(NICKNAMES[given[i].lower()])
    if i == 0 and len(out) > 1 and rng.random() < 0.7:
        out = out[:1]  # "Paco" usually stands alone
    return out


# ---------------------------------------------------------------------------
# Family-name particles
# ---------------------------------------------------------------------------
_PARTICLE = re.compile(r"^(de la|de los|de las|del|de)\s+(.+)$", re.IGNORECASE)


def has_particle(unit):
    return bool(_PARTICLE.match(unit))


def drop_particle(unit):
    m = _PARTICLE.match(unit)
    return m.group(2) if m else unit


def glue_particle(unit):
    m = _PARTICLE.match(unit)
    if not m:
        return unit
    glued = (m.group(1) + m.group(2)).replace(" ", "").lower()
    return glued[:1].upper() + glued[1:]


# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------
def dob_year_off(rng, dob):
    y, m, d = dob
    y += rng.choice((-1, 1))
    return (y, m, min(d, days_in_month(y, m)))


def dob_swappable(dob):
    y, m, d = dob
    return d <= 12 and d != m


def dob_swap(dob):
    y, m, d = dob
    return (y, d, min(m, days_in_month(y, d)))


def dob_wrong(rng, dob):
    while True:
        new = draw_dob(rng)
        if new[0] != dob[0]:
            return new


# ---------------------------------------------------------------------------
# Documents
# ---------------------------------------------------------------------------
OCR = {"0": "O", "O": "0", "1": "I", "I": "1", "5": "S", "S": "5", "8": "B", "B": "8",
       "2": "Z", "Z": "2", "6": "G", "G": "6"}
OCR_MULTI = [("rn", "m"), ("m", "rn"), ("cl", "d"), ("d", "cl"), ("1", "l")]


def doc_typo(rng, doc):
    """OCR confusion (scanner of the passport page) or a keyboard slip in a number."""
    r = rng.random()
    if r < 0.45:
        pos = [i for i, ch in enumerate(doc) if ch in OCR]
        multi = [(a, b) for a, b in OCR_MULTI if a in doc]
        if multi and rng.random() < 0.3:
            a, b = rng.choice(multi)
            i = doc.find(a)
            return doc[:i] + b + doc[i + len(a):]
        if pos:
            i = rng.choice(pos)
            return doc[:i] + OCR[doc[i]] + doc[i + 1:]
    if r < 0.75:
        i = rng.randrange(len(doc))
        ch = doc[i].lower()
        near = _NEIGHBOURS.get(ch)
        if near:
            return doc[:i] + _match_case(rng.choice(near), doc[i]) + doc[i + 1:]
    if r < 0.9 and len(doc) > 3:
        i = rng.randrange(len(doc) - 1)
        if doc[i] != doc[i + 1]:
            return doc[:i] + doc[i + 1] + doc[i] + doc[i + 2:]
    i = rng.randrange(1, len(doc))
    return doc[:i] + doc[i + 1:]  # a digit dropped


def doc_separators(rng, doc):
    """A-123 456, 01234567-8, 1234 56789 0123: the way it is printed on the card."""
    if doc[0].isalpha() and doc[1:2].isdigit():
        return doc[0] + "-" + doc[1:4] + " " + doc[4:]
    if len(doc) == 9 and doc.isdigit():
        return doc[:8] + "-" + doc[8]                 # DUI style
    if len(doc) == 13 and doc.isdigit():
        return doc[:4] + " " + doc[4:9] + " " + doc[9:]
    step = rng.choice((3, 4))
    return "-".join(doc[i:i + step] for i in range(0, len(doc), step))


# ---------------------------------------------------------------------------
# Countries
# ---------------------------------------------------------------------------
def country_as_text(rng, code, lang):
    es, en = COUNTRY_NAMES[code]
    return es if lang == "es" else en
