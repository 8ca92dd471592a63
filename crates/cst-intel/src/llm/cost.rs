//! Cost control: a per-model price table, token accounting from the API's `usage` field, and a hard
//! daily budget (UTC day) that refuses any call whose worst-case cost would cross it.

use cst_core::num::Money;
use rust_decimal::Decimal;
use std::collections::HashMap;

const MS_PER_DAY: i64 = 86_400_000;

/// USD per million tokens for one model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelPrice {
    /// Price of a million prompt tokens.
    pub input_per_mtok: Decimal,
    /// Price of a million completion tokens.
    pub output_per_mtok: Decimal,
}

/// Prices by model name; an unknown model is refused rather than assumed free.
#[derive(Debug, Clone, Default)]
pub struct PriceTable(HashMap<String, ModelPrice>);

impl PriceTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// OpenAI list prices (USD per million tokens, as published for these models; check before
    /// relying on them) plus any `CST_LLM_PRICE_INPUT_PER_MTOK` / `CST_LLM_PRICE_OUTPUT_PER_MTOK`
    /// override for the configured model (local servers: set both to 0).
    pub fn builtin(model: &str) -> Self {
        use rust_decimal::dec;
        let mut table = Self::new()
            .with("gpt-4o-mini", dec!(0.15), dec!(0.60))
            .with("gpt-4o", dec!(2.50), dec!(10.00))
            .with("gpt-4.1-mini", dec!(0.40), dec!(1.60))
            .with("gpt-4.1", dec!(2.00), dec!(8.00));
        let read = |var: &str| std::env::var(var).ok().and_then(|v| v.trim().parse::<Decimal>().ok());
        if let (Some(input), Some(output)) =
            (read("CST_LLM_PRICE_INPUT_PER_MTOK"), read("CST_LLM_PRICE_OUTPUT_PER_MTOK"))
        {
            table = table.with(model, input, output);
        }
        table
    }

    /// Adds or replaces a model's price.
    pub fn with(mut self, model: &str, input_per_mtok: Decimal, output_per_mtok: Decimal) -> Self {
        self.0.insert(model.to_string(), ModelPrice { input_per_mtok, output_per_mtok });
        self
    }

    /// The price of a model.
    pub fn price(&self, model: &str) -> Option<ModelPrice> {
        self.0.get(model).copied()
    }

    /// Exact cost of a call.
    pub fn cost(&self, model: &str, prompt_tokens: u64, completion_tokens: u64) -> Option<Money> {
        let p = self.price(model)?;
        let total =
            p.input_per_mtok * Decimal::from(prompt_tokens) + p.output_per_mtok * Decimal::from(completion_tokens);
        Some(Money::new(total / Decimal::from(1_000_000)))
    }
}

/// Why the budget refused a call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BudgetError {
    /// The model is not in the price table.
    #[error("model {0:?} has no price in the table")]
    UnknownModel(String),
    /// The call's worst-case cost would exceed what is left today.
    #[error("daily budget {budget} exhausted (spent {spent}, this call could cost {worst_case})")]
    Exhausted {
        /// The daily budget.
        budget: Money,
        /// Spent today.
        spent: Money,
        /// Worst-case cost of the refused call.
        worst_case: Money,
    },
}

/// The daily spend ledger.
#[derive(Debug, Clone)]
pub struct Budget {
    daily: Money,
    day: i64,
    spent: Money,
    prices: PriceTable,
}

impl Budget {
    /// A budget of `daily` USD per UTC day over a price table.
    pub fn new(daily: Money, prices: PriceTable) -> Self {
        Self { daily, day: i64::MIN, spent: Money::ZERO, prices }
    }

    fn roll(&mut self, now_ms: i64) {
        let day = now_ms.div_euclid(MS_PER_DAY);
        if day != self.day {
            self.day = day;
            self.spent = Money::ZERO;
        }
    }

    /// Refuses a call whose worst case (estimated prompt + the full `max_tokens` completion) would
    /// cross the budget, so the budget is a hard limit, not a target.
    pub fn check(&mut self, now_ms: i64, model: &str, prompt_tokens: u64, max_tokens: u64) -> Result<(), BudgetError> {
        self.roll(now_ms);
        let worst_case = self
            .prices
            .cost(model, prompt_tokens, max_tokens)
            .ok_or_else(|| BudgetError::UnknownModel(model.into()))?;
        if (self.spent + worst_case).value() > self.daily.value() {
            return Err(BudgetError::Exhausted { budget: self.daily, spent: self.spent, worst_case });
        }
        Ok(())
    }

    /// Books the tokens the API reported; returns the cost.
    pub fn record(&mut self, now_ms: i64, model: &str, prompt_tokens: u64, completion_tokens: u64) -> Money {
        self.roll(now_ms);
        let cost = self.prices.cost(model, prompt_tokens, completion_tokens).unwrap_or(Money::ZERO);
        self.spent = self.spent + cost;
        cost
    }

    /// Spent today.
    pub fn spent(&self) -> Money {
        self.spent
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn table() -> PriceTable {
        PriceTable::new().with("gpt-4o-mini", dec!(0.15), dec!(0.60))
    }

    #[test]
    fn cost_is_exact_from_token_counts() {
        let cost = table().cost("gpt-4o-mini", 1_000, 500).expect("priced");
        assert_eq!(cost.value(), dec!(0.00045));
    }

    #[test]
    fn refuses_calls_that_could_cross_the_daily_budget_and_resets_next_day() {
        let mut b = Budget::new(Money::new(dec!(0.001)), table());
        assert!(b.check(0, "gpt-4o-mini", 1_000, 500).is_ok());
        b.record(0, "gpt-4o-mini", 1_000, 500);
        assert!(matches!(b.check(1, "gpt-4o-mini", 1_000, 1_000), Err(BudgetError::Exhausted { .. })));
        assert!(b.check(MS_PER_DAY, "gpt-4o-mini", 1_000, 1_000).is_ok());
    }

    #[test]
    fn unknown_models_are_refused_not_assumed_free() {
        let mut b = Budget::new(Money::new(dec!(1)), table());
        assert_eq!(b.check(0, "mystery", 1, 1), Err(BudgetError::UnknownModel("mystery".into())));
    }
}
