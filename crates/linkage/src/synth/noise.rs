//! The mistakes people make writing names down, shared by every synthetic generator: the
//! intake clerk of [`crate::synth::generate`], the relative typing a locator query
//! ([`crate::locator::synth`]) and the receiving facility of the demo world
//! ([`intake_spelling`]).
//!
//! Every function draws from the caller's seeded generator, so a seed gives the same mistakes
//! on every machine.

use rand::Rng;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// `s` without accents and tildes (`Menjívar` -> `Menjivar`, `Peña` -> `Pena`); case kept.
pub fn strip_accents(s: &str) -> String {
    s.nfkd().filter(|c| !is_combining_mark(*c)).collect()
}

/// A QWERTY neighbour of `c` on its row, left or right at random (the only one at a row's
/// end), in `c`'s case; `e` for a character off the letter rows.
pub fn neighbour<R: Rng>(rng: &mut R, c: char) -> char {
    const ROWS: [&str; 3] = ["qwertyuiop", "asdfghjkl", "zxcvbnm"];
    let lc = c.to_lowercase().next().unwrap_or(c);
    for row in ROWS {
        let chars: Vec<char> = row.chars().collect();
        if let Some(i) = chars.iter().position(|&x| x == lc) {
            let j = if i == 0 || (i + 1 < chars.len() && rng.gen_bool(0.5)) {
                i + 1
            } else {
                i - 1
            };
            let n = chars.get(j).copied().unwrap_or('e');
            return if c.is_uppercase() {
                n.to_ascii_uppercase()
            } else {
                n
            };
        }
    }
    'e'
}

/// One typing error in `s` (never in the first letter, which people rarely miss):
/// substitution by a keyboard neighbour, deletion, insertion or transposition.
pub fn typo<R: Rng>(rng: &mut R, s: &str) -> String {
    let mut c: Vec<char> = s.chars().collect();
    let letters: Vec<usize> = (1..c.len()).filter(|&i| c[i].is_alphabetic()).collect();
    let Some(&i) = letters.get(rng.gen_range(0..letters.len().max(1))) else {
        return s.to_string();
    };
    match rng.gen_range(0..4) {
        0 => c[i] = neighbour(rng, c[i]),
        1 => {
            c.remove(i);
        }
        2 => {
            let n = neighbour(rng, c[i]);
            c.insert(i, n);
        }
        _ => {
            if i + 1 < c.len() && c[i + 1].is_alphabetic() {
                c.swap(i, i + 1);
            } else {
                c[i] = neighbour(rng, c[i]);
            }
        }
    }
    c.into_iter().collect()
}

/// Applies one [`typo`] to one word, chosen at random among the family words then the given
/// words.
pub fn typo_somewhere<R: Rng>(rng: &mut R, family: &mut [String], given: &mut [String]) {
    let which = rng.gen_range(0..family.len() + given.len());
    if let Some(w) = family.get_mut(which) {
        *w = typo(rng, w);
    } else if let Some(w) = given.get_mut(which - family.len()) {
        *w = typo(rng, w);
    }
}

/// A Spanish respelling of one word, if one applies (`Vásquez` -> `basquez`): accents
/// dropped, lower case, the first rule that applies (a silent `h` dropped, `v`/`b`, `z`/`s`,
/// `ll`/`y`, soft `c` and `g`, `j` before `e`/`i`, `qu`/`k`).
pub fn respell(word: &str) -> Option<String> {
    let w = strip_accents(word).to_lowercase();
    const RULES: &[(&str, &str)] = &[
        ("v", "b"),
        ("b", "v"),
        ("z", "s"),
        ("ll", "y"),
        ("y", "ll"),
        ("ce", "se"),
        ("ci", "si"),
        ("ge", "je"),
        ("gi", "ji"),
        ("j", "g"),
        ("qu", "k"),
        ("s", "z"),
    ];
    if let Some(rest) = w.strip_prefix('h') {
        return Some(rest.to_string());
    }
    for (from, to) in RULES {
        if let Some(i) = w.find(from) {
            if *from == "j" && !matches!(w.as_bytes().get(i + 1), Some(b'e' | b'i')) {
                continue;
            }
            return Some(format!("{}{}{}", &w[..i], to, &w[i + from.len()..]));
        }
    }
    None
}

/// Moves, drops or adds one space in `s` ("RAMOS FLORES" -> "RAMOSF LORES",
/// "CRUZVASQUEZ", "MEN JIVAR").
pub fn split_merge<R: Rng>(rng: &mut R, s: &str) -> String {
    let c: Vec<char> = s.chars().collect();
    let spaces: Vec<usize> = (0..c.len()).filter(|&i| c[i] == ' ').collect();
    if let Some(&i) = spaces.get(rng.gen_range(0..spaces.len().max(1))) {
        let mut c = c;
        match rng.gen_range(0..3) {
            0 => {
                c.remove(i);
            }
            1 if i + 2 < c.len() => c.swap(i, i + 1),
            _ if i >= 2 => c.swap(i - 1, i),
            _ => {
                c.remove(i);
            }
        }
        return c.into_iter().collect();
    }
    if c.len() >= 6 {
        let at = rng.gen_range(2..c.len() - 2);
        let mut c = c;
        c.insert(at, ' ');
        return c.into_iter().collect();
    }
    s.to_string()
}

/// How a receiving facility's clerk writes a name on its own keyboard: half the time folded
/// to upper case without accents (`MENJIVAR`), and now and then (5%) two neighbouring
/// characters swapped.
pub fn intake_spelling<R: Rng>(rng: &mut R, s: &str) -> String {
    let mut out: String = if rng.gen_bool(0.5) {
        crate::names::fold(s).to_uppercase()
    } else {
        s.to_string()
    };
    if rng.gen_bool(0.05) && out.chars().count() > 4 {
        let mut cs: Vec<char> = out.chars().collect();
        let i = rng.gen_range(1..cs.len() - 1);
        cs.swap(i, i + 1);
        out = cs.into_iter().collect();
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn neighbours_are_on_the_same_row_and_keep_case() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..50 {
            assert!(matches!(neighbour(&mut rng, 's'), 'a' | 'd'));
            assert!(matches!(neighbour(&mut rng, 'S'), 'A' | 'D'));
            assert_eq!(neighbour(&mut rng, 'q'), 'w');
            assert_eq!(neighbour(&mut rng, 'p'), 'o');
        }
        assert_eq!(neighbour(&mut rng, 'ñ'), 'e');
    }

    #[test]
    fn a_typo_changes_one_place_and_never_the_first_letter() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        for _ in 0..200 {
            let t = typo(&mut rng, "Hernandez");
            assert!(t.starts_with('H'), "{t}");
            assert_ne!(t, "Hernandez");
            assert!(strsim::damerau_levenshtein(&t, "Hernandez") <= 1, "{t}");
        }
        assert_eq!(typo(&mut rng, "A"), "A");
    }

    #[test]
    fn respellings_and_accents() {
        assert_eq!(respell("Vásquez").as_deref(), Some("basquez"));
        assert_eq!(respell("Hernández").as_deref(), Some("ernandez"));
        assert_eq!(respell("Jiménez").as_deref(), Some("jimenes"));
        assert_eq!(respell("Llanos").as_deref(), Some("yanos"));
        assert_eq!(respell("Ortiz").as_deref(), Some("ortis"));
        assert_eq!(respell("Ruiz").as_deref(), Some("ruis"));
        assert_eq!(respell("Ortega"), None);
        assert_eq!(strip_accents("Peña Menjívar"), "Pena Menjivar");
    }
}
