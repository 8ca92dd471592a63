//! The model file: a header line (format version and the SHA-256 of the body) followed by the body
//! (metadata and the fitted model as JSON). The id is derived from the hash, so the same data,
//! configuration and seed always give the same id; loading verifies the hash and the feature names.

use crate::MlError;
use crate::dataset::hex;
use crate::pipeline::Model;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Version of the file layout; loading refuses any other.
pub const FORMAT_VERSION: u32 = 1;

/// Facts about a model besides its parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMeta {
    /// Pairs it was trained on.
    pub pairs: Vec<String>,
    /// Candle length in seconds.
    pub interval_secs: i64,
    /// First training decision time (secs, inclusive).
    pub train_from: i64,
    /// End of the training range (secs, exclusive; labels end by then).
    pub train_to: i64,
    /// Labelled rows used.
    pub train_rows: usize,
    /// SHA-256 of the training rows (see `Dataset::fingerprint`).
    pub data_hash: String,
    /// Out-of-sample metrics (the walk-forward report), as JSON.
    pub metrics: serde_json::Value,
}

/// Header line of a model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Layout version.
    pub format_version: u32,
    /// SHA-256 of the body bytes.
    pub content_hash: String,
}

/// The body of a model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Body {
    /// Metadata.
    pub meta: ModelMeta,
    /// The fitted model (feature names, horizons, drift references, configuration with the seed).
    pub model: Model,
}

/// A model file in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFile {
    /// Header.
    pub header: Header,
    /// Body.
    pub body: Body,
    /// The exact body bytes the hash covers.
    pub body_json: String,
}

impl ModelFile {
    /// Seals a body: serialises it and hashes the bytes.
    pub fn seal(body: Body) -> Result<Self, MlError> {
        let body_json = serde_json::to_string(&body).map_err(|e| MlError::BadModel(e.to_string()))?;
        let content_hash = hex(&Sha256::digest(body_json.as_bytes()));
        Ok(Self { header: Header { format_version: FORMAT_VERSION, content_hash }, body, body_json })
    }

    /// The registry id: `m-` and the first 16 hex digits of the content hash.
    pub fn id(&self) -> String {
        format!("m-{}", &self.header.content_hash[..16])
    }

    /// The file text: header line, newline, body.
    pub fn to_text(&self) -> Result<String, MlError> {
        let header = serde_json::to_string(&self.header).map_err(|e| MlError::BadModel(e.to_string()))?;
        Ok(format!("{header}\n{}", self.body_json))
    }

    /// Parses and verifies a file text, and refuses a model built on other feature names.
    pub fn from_text(text: &str, pipeline_features: &[String]) -> Result<Self, MlError> {
        let (head, body_json) = text.split_once('\n').ok_or_else(|| MlError::BadModel("no header line".into()))?;
        let header: Header = serde_json::from_str(head).map_err(|e| MlError::BadModel(format!("header: {e}")))?;
        if header.format_version != FORMAT_VERSION {
            return Err(MlError::BadModel(format!(
                "format version {} (this build reads {FORMAT_VERSION})",
                header.format_version
            )));
        }
        let actual = hex(&Sha256::digest(body_json.as_bytes()));
        if actual != header.content_hash {
            return Err(MlError::BadModel(format!(
                "content hash {actual} does not match header {}",
                header.content_hash
            )));
        }
        let body: Body = serde_json::from_str(body_json).map_err(|e| MlError::BadModel(format!("body: {e}")))?;
        body.model.check_features(pipeline_features)?;
        Ok(Self { header, body, body_json: body_json.to_string() })
    }
}
