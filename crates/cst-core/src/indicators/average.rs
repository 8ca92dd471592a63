//! Moving averages: SMA, EMA, WMA, DEMA, TEMA, KAMA (TA-Lib seeding and lookbacks).

real_period!(
    /// Simple moving average of the last `period` values.
    Sma, SmaSpec, SmaStream, sma_lookback, sma_open, sma
);
real_period!(
    /// Exponential moving average (k = 2 / (period + 1)), seeded by the SMA of the first period.
    Ema, EmaSpec, EmaStream, ema_lookback, ema_open, ema
);
real_period!(
    /// Linearly weighted moving average (weights 1..=period, newest heaviest).
    Wma, WmaSpec, WmaStream, wma_lookback, wma_open, wma
);
real_period!(
    /// Double EMA: 2·EMA − EMA(EMA).
    Dema, DemaSpec, DemaStream, dema_lookback, dema_open, dema
);
real_period!(
    /// Triple EMA: 3·EMA − 3·EMA² + EMA³.
    Tema, TemaSpec, TemaStream, tema_lookback, tema_open, tema
);
real_period!(
    /// Kaufman adaptive moving average (efficiency ratio over `period`, fast 2, slow 30).
    Kama, KamaSpec, KamaStream, kama_lookback, kama_open, kama
);
