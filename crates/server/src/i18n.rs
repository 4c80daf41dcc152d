//! The interface's strings in English and Spanish. The language comes from `?lang=`, then
//! the `lang` cookie, then `Accept-Language`; English by default.

use axum::http::HeaderMap;

/// A language of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Es,
}

impl Lang {
    /// The BCP 47 tag, for `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Es => "es",
        }
    }
    /// The other language.
    pub fn other(self) -> Self {
        match self {
            Self::En => Self::Es,
            Self::Es => Self::En,
        }
    }
    /// Parses `en` or `es`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Self::En),
            "es" => Some(Self::Es),
            _ => None,
        }
    }
    /// From the request: `?lang=` wins, then the cookie, then `Accept-Language` (first
    /// of en/es by weight), else English.
    pub fn detect(query_lang: Option<&str>, headers: &HeaderMap) -> Self {
        if let Some(l) = query_lang.and_then(Self::parse) {
            return l;
        }
        if let Some(l) = crate::auth::cookie(headers, "lang")
            .as_deref()
            .and_then(Self::parse)
        {
            return l;
        }
        let al = headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let mut best: Option<(f32, Self)> = None;
        for part in al.split(',') {
            let mut it = part.split(';');
            let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = it
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|v| v.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let l = match tag.split('-').next() {
                Some("en") => Self::En,
                Some("es") => Self::Es,
                _ => continue,
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, l));
            }
        }
        best.map_or(Self::En, |(_, l)| l)
    }
}

/// (key, English, Spanish).
pub const STRINGS: &[(&str, &str, &str)] = &[
    ("app", "custodia", "custodia"),
    (
        "tagline",
        "Accountable custody transfers",
        "Traslados de custodia con rendición de cuentas",
    ),
    ("dashboard", "Dashboard", "Panel"),
    ("manifests", "Manifests", "Manifiestos"),
    ("persons", "Persons", "Personas"),
    ("locator", "Find a person", "Buscar a una persona"),
    ("auditor", "Audit", "Auditoría"),
    ("login", "Sign in", "Iniciar sesión"),
    ("logout", "Sign out", "Cerrar sesión"),
    ("token", "Access token", "Token de acceso"),
    ("signed_in_as", "Signed in as", "Sesión de"),
    (
        "login_failed",
        "That token is not valid.",
        "Ese token no es válido.",
    ),
    (
        "csrf_failed",
        "The form expired; reload the page and try again.",
        "El formulario caducó; recargue la página e inténtelo de nuevo.",
    ),
    ("switch_lang", "Español", "English"),
    (
        "occupancy",
        "Occupancy by pavilion",
        "Ocupación por pabellón",
    ),
    (
        "occupancy_note",
        "Each square is a cell, coloured by floor space per person against the 3.4 m² minimum.",
        "Cada cuadro es una celda, coloreada según el espacio por persona frente al mínimo de 3,4 m².",
    ),
    ("legend_empty", "empty", "vacía"),
    ("legend_ok", "≥ 3.4 m² per person", "≥ 3,4 m² por persona"),
    ("legend_low", "2 to 3.4 m²", "de 2 a 3,4 m²"),
    ("legend_bad", "1 to 2 m²", "de 1 a 2 m²"),
    ("legend_worst", "under 1 m²", "menos de 1 m²"),
    ("pavilion", "Pavilion", "Pabellón"),
    (
        "population",
        "Population by nationality",
        "Población por nacionalidad",
    ),
    (
        "open_cases",
        "Open discrepancy cases",
        "Casos de discrepancia abiertos",
    ),
    ("no_cases", "No open cases.", "No hay casos abiertos."),
    ("month_cost", "This month's cost", "Costo de este mes"),
    ("person_days", "person-days", "días-persona"),
    ("agreement", "Agreement", "Acuerdo"),
    ("facility", "Facility", "Centro"),
    ("in_custody", "in custody", "bajo custodia"),
    ("identity", "Identity", "Identidad"),
    ("family_names", "Family names", "Apellidos"),
    ("given_names", "Given names", "Nombres"),
    ("date_of_birth", "Date of birth", "Fecha de nacimiento"),
    ("country_of_birth", "Country of birth", "País de nacimiento"),
    ("nationalities", "Nationalities", "Nacionalidades"),
    ("status", "Status", "Situación"),
    ("cell", "Cell", "Celda"),
    ("counsel", "Counsel", "Abogado"),
    ("legal_records", "Legal records", "Antecedentes legales"),
    (
        "screenings",
        "Screening decisions",
        "Decisiones de evaluación",
    ),
    ("outcome", "Outcome", "Resultado"),
    ("findings", "Findings", "Hallazgos"),
    ("citation", "Citation", "Cita"),
    ("timeline", "Custody timeline", "Cronología de custodia"),
    ("proof", "inclusion proof", "prueba de inclusión"),
    ("event", "Event", "Evento"),
    ("when", "When", "Cuándo"),
    ("actor", "By", "Por"),
    (
        "read_recorded",
        "This read has been recorded in the ledger.",
        "Esta consulta quedó registrada en el libro.",
    ),
    ("passengers", "Passengers", "Pasajeros"),
    ("flight", "Flight", "Vuelo"),
    ("from", "From", "Desde"),
    ("to", "To", "Hacia"),
    ("departure", "Departure", "Salida"),
    ("state", "State", "Estado"),
    ("basis", "Basis", "Fundamento"),
    ("destination", "Destination", "Destino"),
    ("created_by", "Drafted by", "Redactado por"),
    ("approved_by", "Approved by", "Aprobado por"),
    ("justification", "Justification", "Justificación"),
    (
        "justification_needed",
        "Needs review: write why this person may be sent",
        "Requiere revisión: escriba por qué se puede enviar a esta persona",
    ),
    ("approve", "Approve", "Aprobar"),
    ("screen", "Screen passengers", "Evaluar pasajeros"),
    ("depart", "Record departure", "Registrar salida"),
    ("arrive", "Record arrival", "Registrar llegada"),
    (
        "reconcile",
        "Reconcile with intake",
        "Conciliar con el ingreso",
    ),
    ("close", "Close manifest", "Cerrar manifiesto"),
    ("reconciliation", "Reconciliation", "Conciliación"),
    ("matched", "matched", "coincidentes"),
    ("missing", "missing", "ausentes"),
    ("unexpected", "unexpected", "inesperados"),
    ("review", "to review", "por revisar"),
    ("cases", "Cases", "Casos"),
    ("resolve", "Resolve", "Resolver"),
    ("reason", "Reason", "Motivo"),
    ("done", "Done.", "Hecho."),
    ("error", "Error", "Error"),
    ("search", "Search", "Buscar"),
    ("search_hint", "Name or id", "Nombre o identificador"),
    (
        "locator_intro",
        "Families can look for a relative held in custody. Give the family name and the country of birth; the rest helps.",
        "Las familias pueden buscar a un familiar bajo custodia. Indique el apellido y el país de nacimiento; lo demás ayuda.",
    ),
    ("no_results", "No one found.", "No se encontró a nadie."),
    ("score", "Score", "Puntuación"),
    ("year_of_birth", "Year of birth", "Año de nacimiento"),
    (
        "checkpoints",
        "Checkpoint history",
        "Historial de puntos de control",
    ),
    ("size", "Size", "Tamaño"),
    ("root", "Root", "Raíz"),
    (
        "verify",
        "Verification of the whole store",
        "Verificación de todo el almacén",
    ),
    (
        "verify_running",
        "Verification is running; reload in a moment.",
        "La verificación está en curso; recargue en un momento.",
    ),
    ("verify_again", "Verify again", "Verificar de nuevo"),
    (
        "proof_check",
        "Check an inclusion proof in your browser",
        "Comprobar una prueba de inclusión en su navegador",
    ),
    ("leaf", "Leaf (exact bytes)", "Hoja (bytes exactos)"),
    ("index", "Index", "Índice"),
    (
        "proof_hashes",
        "Proof (one hex hash per line)",
        "Prueba (un hash hexadecimal por línea)",
    ),
    ("check", "Check", "Comprobar"),
    (
        "proof_ok",
        "Valid: the leaf is in the tree with this root.",
        "Válida: la hoja está en el árbol con esta raíz.",
    ),
    (
        "proof_bad",
        "Invalid: this proof does not lead to the root.",
        "No válida: esta prueba no lleva a la raíz.",
    ),
    (
        "locator_volume",
        "Locator queries per day",
        "Consultas al buscador por día",
    ),
    ("anonymous", "anonymous", "anónimas"),
    ("authenticated", "authenticated", "autenticadas"),
    (
        "access_log",
        "Recent reads of person files",
        "Consultas recientes de expedientes",
    ),
    (
        "forbidden",
        "Your role may not see this page.",
        "Su función no permite ver esta página.",
    ),
    ("not_found", "Not found.", "No encontrado."),
    (
        "welcome",
        "Sign in to see custody records, or use the public locator.",
        "Inicie sesión para ver los registros de custodia, o use el buscador público.",
    ),
    ("invoices", "Invoices", "Facturas"),
    ("total", "Total", "Total"),
    ("month", "Month", "Mes"),
    ("none", "none", "ninguno"),
    (
        "all_persons_counsel",
        "Persons assigned to you",
        "Personas asignadas a usted",
    ),
];

/// The string `key` in `lang` (the key itself when missing, which a test forbids).
pub fn t(lang: Lang, key: &str) -> &'static str {
    for (k, en, es) in STRINGS {
        if *k == key {
            return match lang {
                Lang::En => en,
                Lang::Es => es,
            };
        }
    }
    "??"
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn every_key_used_by_the_pages_exists_in_both_languages() {
        for (k, en, es) in STRINGS {
            assert!(!en.is_empty() && !es.is_empty(), "{k}");
        }
        let src = include_str!("ui.rs");
        let mut used = 0;
        for pat in ["c.t(\"", "t(c.0, \"", "t(lang, \""] {
            for part in src.split(pat).skip(1) {
                let key = part.split('"').next().unwrap();
                assert!(
                    STRINGS.iter().any(|(k, _, _)| *k == key),
                    "missing string `{key}`"
                );
                used += 1;
            }
        }
        assert!(used > 50);
    }

    #[test]
    fn language_detection() {
        let mut h = HeaderMap::new();
        assert_eq!(Lang::detect(None, &h), Lang::En);
        h.insert(
            axum::http::header::ACCEPT_LANGUAGE,
            "en;q=0.4, es-MX;q=0.8".parse().unwrap(),
        );
        assert_eq!(Lang::detect(None, &h), Lang::Es);
        assert_eq!(Lang::detect(Some("en"), &h), Lang::En);
        h.insert(axum::http::header::COOKIE, "lang=en".parse().unwrap());
        assert_eq!(Lang::detect(None, &h), Lang::En);
    }
}
