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
    ("month_cost", "Cost of the month", "Costo del mes"),
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
    ("rule_citizenship", "Citizenship", "Ciudadanía"),
    (
        "rule_status-protection",
        "Protected status",
        "Estatus protegido",
    ),
    ("rule_final-order", "Final order", "Orden final"),
    (
        "rule_protection",
        "Protection from removal",
        "Protección contra la expulsión",
    ),
    ("rule_court-order", "Court order", "Orden judicial"),
    ("rule_habeas", "Habeas corpus", "Hábeas corpus"),
    ("rule_fear", "Fear claim", "Solicitud por temor"),
    ("rule_third-country", "Third country", "Tercer país"),
    (
        "rule_alien-enemies",
        "Alien Enemies Act",
        "Ley de Enemigos Extranjeros",
    ),
    (
        "rule_prisoner-transfer",
        "Prisoner transfer",
        "Traslado de reos",
    ),
    ("rule_agreement", "Agreement", "Acuerdo"),
    (
        "rule_safe-third-country",
        "Safe third country",
        "Tercer país seguro",
    ),
    ("rule_minor", "Minor", "Menor de edad"),
    ("rule_identity", "Identity", "Identidad"),
    (
        "lawful_title",
        "When the transfer becomes lawful",
        "Cuándo el traslado es lícito",
    ),
    (
        "lawful_proposed",
        "Proposed transfer:",
        "Traslado propuesto:",
    ),
    (
        "lawful_today",
        "No waiting period remains today.",
        "Hoy no queda ningún plazo de espera.",
    ),
    (
        "lawful_from",
        "Earliest lawful date:",
        "Primera fecha lícita:",
    ),
    ("lawful_days_left", "days left:", "días restantes:"),
    (
        "lawful_never",
        "No date: a finding that no waiting period lifts stands in the way.",
        "Sin fecha: lo impide un hallazgo que ningún plazo levanta.",
    ),
    (
        "file_record",
        "File a legal record",
        "Presentar un registro legal",
    ),
    (
        "record_date",
        "Date (issued, filed or made)",
        "Fecha (emitida, presentada o hecha)",
    ),
    (
        "record_country",
        "Country (if any)",
        "País (si corresponde)",
    ),
    (
        "record_status",
        "Status (habeas, citizenship claim)",
        "Estado (hábeas, reclamo de ciudadanía)",
    ),
    ("record_court", "Court", "Tribunal"),
    ("record_docket", "Docket number", "Número de expediente"),
    (
        "record_version_of",
        "New version of record id (optional)",
        "Nueva versión del registro con id (opcional)",
    ),
    ("record_version", "Version", "Versión"),
    ("file", "File", "Presentar"),
    ("status_pending", "Pending", "Pendiente"),
    ("status_denied", "Denied", "Denegado"),
    ("status_granted", "Granted", "Concedido"),
    ("status_established", "Established", "Establecido"),
    ("status_rejected", "Rejected", "Rechazado"),
    (
        "record_citizenship_claim",
        "Citizenship claim",
        "Reclamo de ciudadanía",
    ),
    ("record_fear_review", "Fear review", "Revisión del temor"),
    (
        "record_acceptance",
        "Acceptance by the destination",
        "Aceptación del país de destino",
    ),
    (
        "record_aca_threshold_screening",
        "Safe-third-country screening",
        "Evaluación de tercer país seguro",
    ),
    (
        "oversight",
        "Oversight: overrides and late records",
        "Supervisión: excepciones y registros tardíos",
    ),
    (
        "ov_approved",
        "Passengers needing review who were approved, with the justification",
        "Pasajeros que requerían revisión y fueron aprobados, con la justificación",
    ),
    (
        "ov_refused",
        "Departures refused at the gate",
        "Salidas rechazadas en el control",
    ),
    (
        "ov_corrections",
        "Identity corrections",
        "Correcciones de identidad",
    ),
    (
        "ov_late",
        "Late records that sent an approved manifest back",
        "Registros tardíos que devolvieron un manifiesto aprobado",
    ),
    ("ov_field", "Field", "Campo"),
    ("ov_value", "New value", "Valor nuevo"),
    ("ov_proposed_by", "Proposed by", "Propuesta por"),
    ("ov_confirmed_by", "Confirmed by", "Confirmada por"),
    ("ov_cause", "Cause", "Causa"),
    (
        "leaf_hash",
        "Leaf hash (SHA-256 of 0x00 and the leaf)",
        "Hash de la hoja (SHA-256 de 0x00 y la hoja)",
    ),
    ("gate_check", "Departure check", "Control de salida"),
    (
        "gate_too_early",
        "The flight may not leave before its scheduled date:",
        "El vuelo no puede salir antes de su fecha prevista:",
    ),
    (
        "gate_clear",
        "Screened again today with the records in the store: nobody is stopped.",
        "Evaluados de nuevo hoy con los registros actuales: nadie queda detenido.",
    ),
    (
        "gate_stopped",
        "Screened again today with the records in the store, these passengers may not leave. Take them off, or screen and approve again.",
        "Evaluados de nuevo hoy con los registros actuales, estos pasajeros no pueden salir. Retírelos, o evalúe y apruebe de nuevo.",
    ),
    (
        "gate_needs_justification",
        "No justification recorded after the latest screening.",
        "No hay justificación registrada después de la última evaluación.",
    ),
    (
        "take_off",
        "Take off the manifest",
        "Retirar del manifiesto",
    ),
    ("person", "Person", "Persona"),
    (
        "err_departure_refused",
        "The departure was refused: a passenger may not leave today.",
        "Se rechazó la salida: un pasajero no puede salir hoy.",
    ),
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
    ("handover", "Hand-over", "Entrega"),
    ("handover_to", "to", "a"),
    ("handover_from", "from", "de"),
    ("handover_doc", "Document hash", "Huella del documento"),
    (
        "handover_entry",
        "Entry in this log",
        "Asiento en este registro",
    ),
    ("receipt", "Receipt", "Acuse de recibo"),
    (
        "receipt_none",
        "No receipt yet: the document waits in the outbox.",
        "Aún sin acuse: el documento espera en la bandeja de salida.",
    ),
    ("receipt_signed_by", "Signed by", "Firmado por"),
    ("receipt_received", "received", "recibidas"),
    ("receipt_not_received", "not received", "no recibidas"),
    (
        "receipt_entry",
        "Entry in the receiving log",
        "Asiento en el registro receptor",
    ),
    (
        "receipt_local",
        "Recorded here at entry",
        "Registrado aquí en el asiento",
    ),
    (
        "receipt_checkpoint",
        "Checkpoint of the receiving log",
        "Punto de control del registro receptor",
    ),
    ("resolve", "Resolve", "Resolver"),
    ("reason", "Reason", "Motivo"),
    ("done", "Done.", "Hecho."),
    ("error", "Error", "Error"),
    ("search", "Search", "Buscar"),
    ("search_hint", "Name or id", "Nombre o identificador"),
    (
        "locator_intro",
        "Families can look for a relative held in custody. Give the family name, the given name, and the country of birth or the date of birth.",
        "Las familias pueden buscar a un familiar bajo custodia. Indique el apellido, el nombre, y el país o la fecha de nacimiento.",
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
    // ---- the public locator
    ("required", "required", "obligatorio"),
    (
        "country_hint",
        "Type or choose a country, or give the date of birth instead.",
        "Escriba o elija un país, o indique en su lugar la fecha de nacimiento.",
    ),
    (
        "too_vague",
        "Too vague: add",
        "Búsqueda demasiado vaga: agregue",
    ),
    ("and", "and", "y"),
    ("add_family", "the family name", "el apellido"),
    ("add_given", "the given name", "el nombre"),
    (
        "add_country_or_dob",
        "the country of birth or the date of birth",
        "el país de nacimiento o la fecha de nacimiento",
    ),
    (
        "results_note",
        "At most three people are shown, and only close matches.",
        "Se muestran como máximo tres personas, y solo coincidencias cercanas.",
    ),
    ("match_exact", "Exact match", "Coincidencia exacta"),
    ("match_close", "Close match", "Coincidencia cercana"),
    ("since", "since", "desde"),
    (
        "country_now",
        "Country where held",
        "País donde está detenida",
    ),
    ("custodian", "In the custody of", "Bajo custodia de"),
    ("government_of", "the government of", "el gobierno de"),
    ("transferred_on", "Date of transfer", "Fecha del traslado"),
    (
        "arrival_unconfirmed",
        "Transferred; arrival not yet confirmed",
        "Trasladada; llegada aún no confirmada",
    ),
    (
        "contact",
        "How to reach this facility",
        "Cómo contactar con este centro",
    ),
    ("visiting", "Visiting rules", "Reglas de visita"),
    ("consular", "Consular contact", "Contacto consular"),
    (
        "counsel_access",
        "How counsel reaches the person",
        "Cómo el abogado contacta a la persona",
    ),
    ("status_in_custody", "In custody", "Bajo custodia"),
    ("status_released", "Released", "Puesta en libertad"),
    (
        "status_removed",
        "Removed from the country",
        "Expulsada del país",
    ),
    ("status_transferred", "Transferred", "Trasladada"),
    ("status_deceased", "Deceased", "Fallecida"),
    ("status_unknown", "Unknown", "Desconocida"),
    // ---- errors, by their stable `code`
    ("err_generic", "Something went wrong.", "Algo salió mal."),
    (
        "err_locate_too_vague",
        "Too vague: add the family name, the given name, and the country of birth or the date of birth.",
        "Búsqueda demasiado vaga: agregue el apellido, el nombre, y el país o la fecha de nacimiento.",
    ),
    (
        "err_locate_country_unknown",
        "We do not know that country; choose one from the list or type its code.",
        "No conocemos ese país; elija uno de la lista o escriba su código.",
    ),
    (
        "err_locate_dob_invalid",
        "The date of birth is not a valid date.",
        "La fecha de nacimiento no es una fecha válida.",
    ),
    (
        "err_locate_limit_invalid",
        "At most three results can be asked for.",
        "Se pueden pedir como máximo tres resultados.",
    ),
    (
        "err_locate_name_too_long",
        "The names are too long.",
        "Los nombres son demasiado largos.",
    ),
    (
        "err_rate_limited",
        "Too many searches in a short time. Please wait a minute and try again.",
        "Demasiadas búsquedas en poco tiempo. Espere un minuto e inténtelo de nuevo.",
    ),
    (
        "err_rate_limited_daily",
        "This connection has made all its searches for today. Please try again tomorrow.",
        "Esta conexión ya hizo todas sus búsquedas de hoy. Inténtelo de nuevo mañana.",
    ),
    ("err_unauthorized", "Please sign in.", "Inicie sesión."),
    (
        "err_login_failed",
        "That token is not valid.",
        "Ese token no es válido.",
    ),
    (
        "err_forbidden",
        "Your role may not do this.",
        "Su función no permite hacer esto.",
    ),
    ("err_not_found", "Not found.", "No encontrado."),
    (
        "err_bad_request",
        "The request is malformed.",
        "La solicitud está mal formada.",
    ),
    (
        "err_invalid",
        "A field is not valid.",
        "Un campo no es válido.",
    ),
    (
        "err_conflict",
        "The record's state does not allow this.",
        "El estado del registro no lo permite.",
    ),
    (
        "err_idempotency_conflict",
        "This request was already made with other content.",
        "Esta solicitud ya se hizo con otro contenido.",
    ),
    (
        "err_idempotency_in_progress",
        "This request has already taken effect; its answer is not ready yet. Try again shortly.",
        "Esta solicitud ya surtió efecto; su respuesta aún no está lista. Inténtelo de nuevo en un momento.",
    ),
    (
        "err_internal",
        "Internal error; it has been logged.",
        "Error interno; quedó registrado.",
    ),
    (
        "err_unavailable",
        "The store is unavailable; try again later.",
        "El almacén no está disponible; inténtelo más tarde.",
    ),
    (
        "err_withhold_reason",
        "Give a reason (at most 2000 characters).",
        "Indique un motivo (como máximo 2000 caracteres).",
    ),
    (
        "err_withhold_requested_by",
        "Say who asks: the person or counsel.",
        "Indique quién lo pide: la persona o su abogado.",
    ),
    ("page_not_found", "Page not found", "Página no encontrada"),
    (
        "page_not_found_text",
        "There is no page at this address.",
        "No hay ninguna página en esta dirección.",
    ),
    ("home", "Home", "Inicio"),
    ("note", "Signed note", "Nota firmada"),
    ("costs", "Costs and invoices", "Costos y facturas"),
    ("show", "Show", "Mostrar"),
    (
        "record_removal_order",
        "Removal order",
        "Orden de expulsión",
    ),
    (
        "record_denaturalization",
        "Denaturalization",
        "Desnaturalización",
    ),
    (
        "record_withholding_of_removal",
        "Withholding of removal",
        "Suspensión de la expulsión",
    ),
    (
        "record_cat_protection",
        "Protection under the Convention against Torture",
        "Protección de la Convención contra la Tortura",
    ),
    (
        "record_stay",
        "Stay of removal",
        "Suspensión de la ejecución",
    ),
    (
        "record_habeas_petition",
        "Habeas corpus petition",
        "Petición de hábeas corpus",
    ),
    ("record_conviction", "Conviction", "Condena"),
    ("record_fear_claim", "Fear claim", "Solicitud por temor"),
    (
        "record_fear_screening",
        "Fear screening",
        "Evaluación de temor",
    ),
    (
        "record_third_country_notice",
        "Third-country notice",
        "Aviso de tercer país",
    ),
    (
        "record_aea_designation",
        "Alien Enemies Act designation",
        "Designación bajo la Ley de Enemigos Extranjeros",
    ),
    (
        "record_aea_notice",
        "Alien Enemies Act notice",
        "Aviso bajo la Ley de Enemigos Extranjeros",
    ),
    (
        "record_transfer_consent",
        "Consent to transfer",
        "Consentimiento al traslado",
    ),
    ("field_date", "Date", "Fecha"),
    ("field_final", "Final", "Firme"),
    ("field_countries", "Countries", "Países"),
    ("field_country", "Country", "País"),
    ("field_terminated", "Terminated", "Terminada"),
    ("field_kind", "Kind", "Tipo"),
    ("field_issued", "Issued", "Emitida"),
    ("field_expires", "Expires", "Vence"),
    ("field_scope", "Scope", "Alcance"),
    ("field_filed", "Filed", "Presentada"),
    ("field_court", "Court", "Tribunal"),
    ("field_status", "Status", "Situación"),
    ("field_offense", "Offense", "Delito"),
    (
        "field_sentence_months",
        "Sentence (months)",
        "Condena (meses)",
    ),
    ("field_outcome", "Outcome", "Resultado"),
    ("field_decided", "Decided", "Decidida"),
    ("field_served", "Served", "Notificado"),
    ("field_given", "Given", "Otorgado"),
    ("field_pending", "Pending", "Pendiente"),
    ("record_type", "Record", "Antecedente"),
    ("details", "Details", "Detalles"),
    ("yes", "yes", "sí"),
    ("no", "no", "no"),
    ("pages", "Pages", "Páginas"),
    ("page", "Page", "Página"),
    ("previous", "previous", "anterior"),
    ("next", "next", "siguiente"),
    ("standards", "Standards", "Estándares"),
    ("as_of", "As of", "A la fecha"),
    ("period", "Period", "Período"),
    ("persons_present", "persons present", "personas presentes"),
    ("out_of_standard", "Out of standard", "Fuera de estándar"),
    ("within_standard", "Within standard", "Dentro del estándar"),
    ("persons_affected", "persons affected", "personas afectadas"),
    (
        "finding_space",
        "Floor space per person",
        "Espacio por persona",
    ),
    ("finding_capacity", "Design capacity", "Capacidad de diseño"),
    (
        "finding_mandela-23",
        "Open-air exercise (Mandela Rules, rule 23)",
        "Ejercicio al aire libre (Reglas Mandela, regla 23)",
    ),
    (
        "finding_mandela-58",
        "Family contact (Mandela Rules, rule 58)",
        "Contacto con la familia (Reglas Mandela, regla 58)",
    ),
    (
        "finding_mandela-44-45",
        "Prolonged solitary confinement (Mandela Rules, rules 43 to 45)",
        "Aislamiento prolongado (Reglas Mandela, reglas 43 a 45)",
    ),
    (
        "finding_mandela-68",
        "Family notification (Mandela Rules, rule 68)",
        "Notificación a la familia (Reglas Mandela, regla 68)",
    ),
    (
        "err_date_invalid",
        "That is not a date (YYYY-MM-DD).",
        "Eso no es una fecha (AAAA-MM-DD).",
    ),
    (
        "err_month_invalid",
        "That is not a month (YYYY-MM).",
        "Eso no es un mes (AAAA-MM).",
    ),
    (
        "withheld",
        "Withheld from the public locator",
        "Excluidas del buscador público",
    ),
    ("requested_by", "Asked by", "Solicitado por"),
    ("the_person", "the person", "la persona"),
    (
        "withhold_title",
        "Withhold from the public locator",
        "Excluir del buscador público",
    ),
    ("withhold", "Withhold", "Excluir"),
    // ---- states, outcomes, case kinds, event kinds (by wire name)
    (
        "kind_facility_registered",
        "Facility registered",
        "Centro registrado",
    ),
    (
        "kind_cell_status_changed",
        "Cell status changed",
        "Estado de celda cambiado",
    ),
    (
        "kind_person_registered",
        "Person registered",
        "Persona registrada",
    ),
    (
        "kind_person_updated",
        "Person updated",
        "Persona actualizada",
    ),
    (
        "kind_custody_reported",
        "Custody reported",
        "Custodia informada",
    ),
    (
        "kind_legal_record_added",
        "Legal record added",
        "Antecedente legal agregado",
    ),
    (
        "kind_counsel_assigned",
        "Counsel assigned",
        "Abogado asignado",
    ),
    ("kind_admitted", "Admitted", "Ingreso"),
    (
        "kind_separation_recorded",
        "Separation recorded",
        "Separación registrada",
    ),
    ("kind_placed", "Placed", "Asignación de celda"),
    ("kind_released", "Released", "Puesta en libertad"),
    ("kind_removed", "Removed", "Expulsión"),
    ("kind_died", "Died", "Fallecimiento"),
    (
        "kind_screening_decided",
        "Screening decided",
        "Evaluación decidida",
    ),
    (
        "kind_manifest_created",
        "Manifest created",
        "Manifiesto redactado",
    ),
    (
        "kind_passenger_added",
        "Passenger added",
        "Pasajero agregado",
    ),
    (
        "kind_passenger_removed",
        "Passenger removed",
        "Pasajero retirado",
    ),
    (
        "kind_manifest_screened",
        "Manifest screened",
        "Manifiesto evaluado",
    ),
    (
        "kind_manifest_approved",
        "Manifest approved",
        "Manifiesto aprobado",
    ),
    (
        "kind_manifest_departed",
        "Manifest departed",
        "Salida registrada",
    ),
    (
        "kind_manifest_arrived",
        "Manifest arrived",
        "Llegada registrada",
    ),
    (
        "kind_manifest_reconciled",
        "Manifest reconciled",
        "Manifiesto conciliado",
    ),
    (
        "kind_manifest_closed",
        "Manifest closed",
        "Manifiesto cerrado",
    ),
    (
        "kind_intake_recorded",
        "Intake recorded",
        "Ingreso registrado",
    ),
    ("kind_case_opened", "Case opened", "Caso abierto"),
    ("kind_case_resolved", "Case resolved", "Caso resuelto"),
    (
        "kind_agreement_registered",
        "Agreement registered",
        "Acuerdo registrado",
    ),
    ("kind_invoice_issued", "Invoice issued", "Factura emitida"),
    (
        "kind_invoice_adjusted",
        "Invoice adjusted",
        "Factura ajustada",
    ),
    (
        "kind_exercise_recorded",
        "Exercise recorded",
        "Ejercicio registrado",
    ),
    ("kind_visit_recorded", "Visit recorded", "Visita registrada"),
    (
        "kind_solitary_started",
        "Solitary started",
        "Aislamiento iniciado",
    ),
    (
        "kind_solitary_ended",
        "Solitary ended",
        "Aislamiento terminado",
    ),
    (
        "kind_family_notified",
        "Family notified",
        "Familia notificada",
    ),
    ("kind_person_read", "Person read", "Expediente consultado"),
    (
        "kind_persons_read",
        "Persons listed",
        "Expedientes listados",
    ),
    (
        "kind_facility_contact_published",
        "Facility contact published",
        "Contacto del centro publicado",
    ),
    (
        "kind_locator_withheld",
        "Locator withheld",
        "Excluida del buscador",
    ),
    ("state_draft", "Draft", "Borrador"),
    ("state_screened", "Screened", "Evaluado"),
    ("state_approved", "Approved", "Aprobado"),
    ("state_departed", "Departed", "Salió"),
    ("state_arrived", "Arrived", "Llegó"),
    ("state_reconciled", "Reconciled", "Conciliado"),
    ("state_closed", "Closed", "Cerrado"),
    ("state_open", "Open", "Abierto"),
    ("state_resolved", "Resolved", "Resuelto"),
    ("outcome_eligible", "Eligible", "Apta"),
    ("outcome_needs_review", "Needs review", "Requiere revisión"),
    ("outcome_blocked", "Blocked", "Bloqueada"),
    (
        "case_missing_from_intake",
        "Missing from intake",
        "Ausente en el ingreso",
    ),
    (
        "case_unexpected_in_intake",
        "Unexpected in intake",
        "Inesperada en el ingreso",
    ),
    ("case_needs_review", "Needs review", "Requiere revisión"),
    ("case_not_received", "Not received", "No recibida"),
    ("basis_removal", "Removal", "Expulsión"),
    (
        "basis_alien_enemies_act",
        "Alien Enemies Act",
        "Ley de Enemigos Extranjeros",
    ),
    (
        "basis_prisoner_transfer",
        "Prisoner transfer",
        "Traslado de reos",
    ),
];

/// The word for a wire name (`prefix_value`) in `lang`; the wire name itself when the
/// catalogue has none (a value added elsewhere, shown as it is stored).
pub fn word(lang: Lang, prefix: &str, value: &(impl AsRef<str> + ?Sized)) -> String {
    let value = value.as_ref();
    let key = format!("{prefix}_{value}");
    if has(&key) {
        t(lang, &key).to_string()
    } else {
        value.to_string()
    }
}

/// Whether `key` is in the catalogue.
pub fn has(key: &str) -> bool {
    STRINGS.iter().any(|(k, _, _)| *k == key)
}

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
        for pat in ["c.t(\"", "t(c.0, \"", "t(lang, \"", "t(l, \""] {
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
