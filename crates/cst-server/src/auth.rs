//! Bearer-token auth: a control token (all routes) and an optional read-only token (GET routes).
//!
//! The control token comes from `CST_API_TOKEN`, else from a token file created on first start
//! with OS randomness (the caller prints it once); the read-only token from `CST_API_READ_TOKEN`.

use crate::error::ApiError;
use crate::secret::{Secret, constant_time_eq};
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use std::io::Write;
use std::path::Path;

/// Env var holding the control token.
pub const TOKEN_ENV: &str = "CST_API_TOKEN";
/// Env var holding the read-only token.
pub const READ_TOKEN_ENV: &str = "CST_API_READ_TOKEN";
/// Shortest token accepted from the environment or a file.
pub const MIN_TOKEN_LEN: usize = 16;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// GET routes only.
    Read,
    /// GET routes and controls.
    Control,
}

/// Why the tokens could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// A token shorter than [`MIN_TOKEN_LEN`].
    #[error("{0} is too short: use at least {MIN_TOKEN_LEN} characters")]
    TooShort(&'static str),
    /// Both tokens are equal, which would give the read-only holder control.
    #[error("{READ_TOKEN_ENV} must differ from {TOKEN_ENV}")]
    SameTokens,
    /// OS randomness unavailable.
    #[error("no OS randomness for a token: {0}")]
    Random(String),
    /// Token file readable by group or others.
    #[error("token file {0} is readable by others: chmod 600 it")]
    Permissions(String),
    /// Token file unreadable or unwritable.
    #[error("token file {path}: {source}")]
    File {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// The accepted tokens.
#[derive(Debug, Clone)]
pub struct ApiTokens {
    control: Secret,
    read: Option<Secret>,
}

/// Where the control token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenOrigin {
    /// `CST_API_TOKEN`.
    Env,
    /// An existing token file.
    File,
    /// Freshly generated and written to the token file: print it once.
    Generated,
}

impl ApiTokens {
    /// Tokens from explicit values.
    pub fn new(control: Secret, read: Option<Secret>) -> Result<Self, AuthError> {
        if control.expose().len() < MIN_TOKEN_LEN {
            return Err(AuthError::TooShort(TOKEN_ENV));
        }
        if let Some(r) = &read {
            if r.expose().len() < MIN_TOKEN_LEN {
                return Err(AuthError::TooShort(READ_TOKEN_ENV));
            }
            if constant_time_eq(r.expose().as_bytes(), control.expose().as_bytes()) {
                return Err(AuthError::SameTokens);
            }
        }
        Ok(Self { control, read })
    }

    /// Control token from `CST_API_TOKEN` or `token_file` (generated there when absent);
    /// read-only token from `CST_API_READ_TOKEN`.
    pub fn from_env_or_file(token_file: &Path) -> Result<(Self, TokenOrigin), AuthError> {
        let read = std::env::var(READ_TOKEN_ENV).ok().filter(|s| !s.is_empty()).map(Secret::new);
        if let Some(t) = std::env::var(TOKEN_ENV).ok().filter(|s| !s.is_empty()) {
            return Ok((Self::new(Secret::new(t), read)?, TokenOrigin::Env));
        }
        let file_err = |source| AuthError::File { path: token_file.display().to_string(), source };
        match std::fs::read_to_string(token_file) {
            Ok(text) => {
                check_private(token_file)?;
                Ok((Self::new(Secret::new(text.trim()), read)?, TokenOrigin::File))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let token = generate_token()?;
                write_private(token_file, token.expose()).map_err(file_err)?;
                Ok((Self::new(token, read)?, TokenOrigin::Generated))
            }
            Err(e) => Err(file_err(e)),
        }
    }

    /// The control token, to print once after generation.
    pub fn control(&self) -> &Secret {
        &self.control
    }

    /// The role of a presented token, if it is one of ours.
    pub fn role_of(&self, presented: &str) -> Option<Role> {
        if constant_time_eq(presented.as_bytes(), self.control.expose().as_bytes()) {
            return Some(Role::Control);
        }
        match &self.read {
            Some(r) if constant_time_eq(presented.as_bytes(), r.expose().as_bytes()) => Some(Role::Read),
            _ => None,
        }
    }
}

/// 32 bytes of OS randomness as 64 hex characters.
pub fn generate_token() -> Result<Secret, AuthError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AuthError::Random(e.to_string()))?;
    Ok(Secret::new(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

/// Secrets are read only from files nobody else can read.
fn check_private(path: &Path) -> Result<(), AuthError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta =
            std::fs::metadata(path).map_err(|source| AuthError::File { path: path.display().to_string(), source })?;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(AuthError::Permissions(path.display().to_string()));
        }
    }
    Ok(())
}

fn write_private(path: &Path, token: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(token.as_bytes())?;
    f.write_all(b"\n")
}

fn bearer(req: &Request) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(str::trim)
}

fn check(tokens: &ApiTokens, req: &Request, needed: Role) -> Result<(), ApiError> {
    let role = bearer(req).and_then(|t| tokens.role_of(t)).ok_or_else(ApiError::unauthorized)?;
    if role < needed { Err(ApiError::forbidden()) } else { Ok(()) }
}

/// Middleware: any valid token.
pub async fn require_read(State(tokens): State<ApiTokens>, req: Request, next: Next) -> Result<Response, ApiError> {
    check(&tokens, &req, Role::Read)?;
    Ok(next.run(req).await)
}

/// Middleware: a control token.
pub async fn require_control(State(tokens): State<ApiTokens>, req: Request, next: Next) -> Result<Response, ApiError> {
    check(&tokens, &req, Role::Control)?;
    Ok(next.run(req).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_are_64_hex_chars_and_differ() {
        let (a, b) = (generate_token().expect("random"), generate_token().expect("random"));
        assert_eq!(a.expose().len(), 64);
        assert!(a.expose().chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn refuses_short_or_identical_tokens() {
        assert!(matches!(ApiTokens::new(Secret::new("short"), None), Err(AuthError::TooShort(_))));
        let t = "0123456789abcdef0123";
        assert!(matches!(ApiTokens::new(Secret::new(t), Some(Secret::new(t))), Err(AuthError::SameTokens)));
    }

    #[test]
    fn token_file_is_created_private_then_reused() {
        let dir = std::env::temp_dir().join(format!("cst-token-{}", std::process::id()));
        let path = dir.join("api-token");
        let _ = std::fs::remove_file(&path);
        let token = generate_token().expect("random");
        write_private(&path, token.expose()).expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert!(write_private(&path, "x").is_err(), "an existing token file is never overwritten");
        assert!(check_private(&path).is_ok());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
            assert!(matches!(check_private(&path), Err(AuthError::Permissions(_))));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
