//! The one mapping from library errors to HTTP: every error leaves as
//! `{"error":{"code":"…","message":"…"}}` with the status its code names.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use custodia_app::AppError;
use custodia_store::StoreError;

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Structured detail, when the refusal has parts (the departure gate's passengers).
    pub details: Option<serde_json::Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: None,
        }
    }
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid bearer token is required",
        )
    }
    pub fn forbidden(m: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", m)
    }
    pub fn not_found(m: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", m)
    }
    pub fn bad_request(m: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", m)
    }
    pub fn invalid(m: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m)
    }
    pub fn conflict(m: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", m)
    }
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; see the server log",
        )
    }
    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        match &self.details {
            None => serde_json::json!({"error": {"code": self.code, "message": self.message}}),
            Some(d) => {
                serde_json::json!({"error": {"code": self.code, "message": self.message, "details": d}})
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body())).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(m) => {
                tracing::warn!(error = %m, "store unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the store is unavailable; retry later",
                )
            }
            StoreError::NotFound(m) => Self::not_found(m),
            StoreError::Conflict(m) => Self::conflict(m),
            StoreError::Invalid(m) => Self::invalid(m),
            other => {
                // Never leak internals: the detail goes to the log only.
                tracing::error!(error = %other, "store error");
                Self::internal()
            }
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Forbidden(m) => Self::forbidden(m),
            AppError::Unauthorized(m) => Self::new(StatusCode::UNAUTHORIZED, "unauthorized", m),
            AppError::DepartureRefused(r) => {
                let mut e = Self::new(StatusCode::CONFLICT, "departure_refused", r.to_string());
                e.details = serde_json::to_value(&*r).ok();
                e
            }
            AppError::Conflict(m) => Self::conflict(m),
            AppError::NotFound(m) => Self::not_found(m),
            AppError::Invalid(m) => Self::invalid(m),
            AppError::Store(s) => s.into(),
        }
    }
}

/// Parses a JSON body, naming the field that is wrong: not JSON at all → 400; JSON of the
/// wrong shape → 422 with the field's path.
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(v) => Ok(v),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if inner.is_syntax() || inner.is_eof() || inner.is_io() {
                Err(ApiError::bad_request(format!(
                    "body is not valid JSON: {inner}"
                )))
            } else if path == "." || path.is_empty() {
                Err(ApiError::invalid(format!("body: {inner}")))
            } else {
                Err(ApiError::invalid(format!("field `{path}`: {inner}")))
            }
        }
    }
}

/// A malformed query string: 422, naming the parameter (`crate::extract::Query`).
impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(e: axum::extract::rejection::QueryRejection) -> Self {
        Self::invalid(format!("query: {}", e.body_text()))
    }
}

/// A path segment that does not parse: 400 (`crate::extract::Path`).
impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(e: axum::extract::rejection::PathRejection) -> Self {
        Self::bad_request(format!("path: {}", e.body_text()))
    }
}
