//! The model registry: model files stored whole (their content hash is checked again on load by
//! `cst-ml`), a champion per slot (e.g. `15m:long`), promotion only when a challenger's
//! out-of-sample score beats the champion's by a margin, and one-step rollback. The same SQL runs
//! on both backends (`$n` placeholders are accepted by SQLite and PostgreSQL alike).

use crate::{Store, StoreError};
use serde::Serialize;

/// A model as registered (everything but the file text).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelSummary {
    /// Registry id (derived from the content hash).
    pub id: String,
    /// SHA-256 of the model body.
    pub content_hash: String,
    /// Model file format version.
    pub format_version: i64,
    /// Champion slot the model competes in.
    pub slot: String,
    /// Pairs trained on.
    pub pairs: Vec<String>,
    /// Candle length in seconds.
    pub interval_secs: i64,
    /// Training range start (secs).
    pub train_from: i64,
    /// Training range end (secs, exclusive).
    pub train_to: i64,
    /// Hash of the training data.
    pub data_hash: String,
    /// Feature names in order.
    pub feature_names: Vec<String>,
    /// Out-of-sample score used for promotion (higher is better).
    pub score: f64,
    /// Out-of-sample metrics as JSON text.
    pub metrics: String,
    /// Registration time (secs).
    pub registered_at: i64,
}

/// Result of a promotion request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Promotion {
    /// The model is now the champion.
    Promoted {
        /// The champion it replaced.
        previous: Option<String>,
    },
    /// The model stays a challenger.
    Refused {
        /// Why.
        reason: String,
    },
}

/// One promotion of a slot's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PromotionRecord {
    /// The model promoted.
    pub model_id: String,
    /// When (secs).
    pub promoted_at: i64,
    /// Why, as recorded by whoever promoted it.
    pub reason: String,
    /// Undone by a rollback.
    pub rolled_back: bool,
}

type SummaryRow = (String, String, i64, String, String, i64, i64, i64, String, String, f64, String, i64);

const COLUMNS: &str = "id, content_hash, format_version, slot, pairs, interval_secs, train_from, train_to, \
    data_hash, feature_names, score, metrics, registered_at";

fn summary(r: SummaryRow) -> ModelSummary {
    let split = |s: &str| s.split(',').filter(|p| !p.is_empty()).map(str::to_string).collect();
    ModelSummary {
        id: r.0,
        content_hash: r.1,
        format_version: r.2,
        slot: r.3,
        pairs: split(&r.4),
        interval_secs: r.5,
        train_from: r.6,
        train_to: r.7,
        data_hash: r.8,
        feature_names: split(&r.9),
        score: r.10,
        metrics: r.11,
        registered_at: r.12,
    }
}

macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            Store::Sqlite(s) => {
                let $pool = &s.pool;
                $body
            }
            Store::Postgres(s) => {
                let $pool = &s.pool;
                $body
            }
        }
    };
}

impl Store {
    /// Registers a model file; registering the same id again is a no-op. Returns true when new.
    pub async fn register_model(&self, m: &ModelSummary, file: &str) -> Result<bool, StoreError> {
        const SQL: &str = "INSERT INTO models (id, content_hash, format_version, slot, pairs, interval_secs, \
            train_from, train_to, data_hash, feature_names, score, metrics, registered_at, file) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (id) DO NOTHING";
        let done = on_pool!(self, pool => sqlx::query(SQL)
            .bind(&m.id).bind(&m.content_hash).bind(m.format_version).bind(&m.slot).bind(m.pairs.join(","))
            .bind(m.interval_secs).bind(m.train_from).bind(m.train_to).bind(&m.data_hash)
            .bind(m.feature_names.join(",")).bind(m.score).bind(&m.metrics).bind(m.registered_at).bind(file)
            .execute(pool).await?.rows_affected());
        Ok(done == 1)
    }

    /// Every registered model, oldest first.
    pub async fn models(&self) -> Result<Vec<ModelSummary>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM models ORDER BY registered_at, id"));
        let rows: Vec<SummaryRow> = on_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?);
        Ok(rows.into_iter().map(summary).collect())
    }

    /// One model's summary and file text.
    pub async fn model(&self, id: &str) -> Result<(ModelSummary, String), StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS}, file FROM models WHERE id = $1"));
        type Full = (String, String, i64, String, String, i64, i64, i64, String, String, f64, String, i64, String);
        let row: Option<Full> = on_pool!(self, pool => sqlx::query_as(sql).bind(id).fetch_optional(pool).await?);
        let r = row.ok_or_else(|| StoreError::Registry(format!("no model {id}")))?;
        let file = r.13.clone();
        Ok((summary((r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11, r.12)), file))
    }

    /// The current champion of a slot.
    pub async fn champion(&self, slot: &str) -> Result<Option<String>, StoreError> {
        const SQL: &str =
            "SELECT model_id FROM model_promotions WHERE slot = $1 AND rolled_back = 0 ORDER BY seq DESC LIMIT 1";
        Ok(on_pool!(self, pool => sqlx::query_scalar(SQL).bind(slot).fetch_optional(pool).await?))
    }

    /// Promotes `id` in its slot when there is no champion or its score beats the champion's by
    /// at least `margin`; otherwise refuses with the numbers.
    pub async fn promote_model(&self, id: &str, margin: f64, now_secs: i64) -> Result<Promotion, StoreError> {
        let (challenger, _) = self.model(id).await?;
        let previous = self.champion(&challenger.slot).await?;
        if let Some(champ) = &previous {
            if champ == id {
                return Ok(Promotion::Refused { reason: format!("{id} is already the champion") });
            }
            let (c, _) = self.model(champ).await?;
            if challenger.score < c.score + margin {
                let reason = format!(
                    "score {:.5} does not beat champion {champ} ({:.5}) by the margin {margin}",
                    challenger.score, c.score
                );
                return Ok(Promotion::Refused { reason });
            }
        }
        let reason = match &previous {
            Some(p) => format!("beats {p} by at least {margin}"),
            None => "first champion of the slot".to_string(),
        };
        self.record_promotion(id, &reason, now_secs).await
    }

    /// Makes `id` the champion of its slot with the caller's reason, without comparing stored
    /// scores: for a decision taken on other evidence (a shadow run on the same out-of-sample rows).
    pub async fn record_promotion(&self, id: &str, reason: &str, now_secs: i64) -> Result<Promotion, StoreError> {
        let (model, _) = self.model(id).await?;
        let previous = self.champion(&model.slot).await?;
        if previous.as_deref() == Some(id) {
            return Ok(Promotion::Refused { reason: format!("{id} is already the champion") });
        }
        const SQL: &str = "INSERT INTO model_promotions (slot, model_id, promoted_at, reason) VALUES ($1, $2, $3, $4)";
        on_pool!(self, pool => sqlx::query(SQL).bind(&model.slot).bind(id).bind(now_secs).bind(reason).execute(pool).await?.rows_affected());
        Ok(Promotion::Promoted { previous })
    }

    /// A slot's promotions, oldest first, rolled-back ones included.
    pub async fn promotions(&self, slot: &str) -> Result<Vec<PromotionRecord>, StoreError> {
        const SQL: &str =
            "SELECT model_id, promoted_at, reason, rolled_back FROM model_promotions WHERE slot = $1 ORDER BY seq";
        let rows: Vec<(String, i64, String, i64)> =
            on_pool!(self, pool => sqlx::query_as(SQL).bind(slot).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(model_id, promoted_at, reason, rolled_back)| PromotionRecord {
                model_id,
                promoted_at,
                reason,
                rolled_back: rolled_back != 0,
            })
            .collect())
    }

    /// Undoes the latest promotion of a slot; returns the champion restored.
    pub async fn rollback_champion(&self, slot: &str) -> Result<String, StoreError> {
        const LIVE: &str =
            "SELECT seq FROM model_promotions WHERE slot = $1 AND rolled_back = 0 ORDER BY seq DESC LIMIT 2";
        let seqs: Vec<i64> = on_pool!(self, pool => sqlx::query_scalar(LIVE).bind(slot).fetch_all(pool).await?);
        if seqs.len() < 2 {
            return Err(StoreError::Registry(format!("slot {slot} has no earlier champion to roll back to")));
        }
        const SQL: &str = "UPDATE model_promotions SET rolled_back = 1 WHERE seq = $1";
        on_pool!(self, pool => sqlx::query(SQL).bind(seqs[0]).execute(pool).await?.rows_affected());
        self.champion(slot).await?.ok_or_else(|| StoreError::Registry(format!("slot {slot} lost its champion")))
    }
}
