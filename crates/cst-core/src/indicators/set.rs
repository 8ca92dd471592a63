//! The standard indicator set: the 34 columns of the TA-Lib oracle, with their names and
//! parameters, in batch (`standard_columns`) and streaming ([`StandardSet`]) form.

use super::{
    Ad, AdOsc, Adx, Aroon, Atr, Bar, Bbands, Cci, Column, Dema, Ema, IndicatorError, Kama, Macd, Mfi, MinusDi, Mom,
    Natr, Obv, Ohlcv, PlusDi, Roc, Rsi, Sar, Sma, StdDev, Stoch, Tema, Trix, UltOsc, WillR, Wma,
};

/// Column names of the standard set, in output order (as in the TA-Lib oracle files).
pub const STANDARD_NAMES: [&str; 34] = [
    "sma20",
    "ema20",
    "wma20",
    "dema20",
    "tema20",
    "kama30",
    "rsi14",
    "macd",
    "macd_signal",
    "macd_hist",
    "bb_upper",
    "bb_middle",
    "bb_lower",
    "stddev20",
    "atr14",
    "natr14",
    "adx14",
    "plus_di14",
    "minus_di14",
    "stoch_k",
    "stoch_d",
    "cci14",
    "mfi14",
    "obv",
    "roc10",
    "mom10",
    "willr14",
    "trix15",
    "ultosc",
    "aroon_down",
    "aroon_up",
    "ad",
    "adosc",
    "sar",
];

/// The standard set over whole candle columns, one column per name of [`STANDARD_NAMES`].
pub fn standard_columns(c: &Ohlcv) -> Result<Vec<Column>, IndicatorError> {
    let x = &c.close;
    let [macd, macd_signal, macd_hist] = Macd::batch(12, 26, 9, x)?;
    let [bb_upper, bb_middle, bb_lower] = super::Bbands::batch(20, 2.0, 2.0, x)?;
    let [stoch_k, stoch_d] = Stoch::batch(14, 3, 3, c)?;
    let [aroon_down, aroon_up] = Aroon::batch(14, c)?;
    Ok(vec![
        Sma::batch(20, x)?,
        Ema::batch(20, x)?,
        Wma::batch(20, x)?,
        Dema::batch(20, x)?,
        Tema::batch(20, x)?,
        Kama::batch(30, x)?,
        Rsi::batch(14, x)?,
        macd,
        macd_signal,
        macd_hist,
        bb_upper,
        bb_middle,
        bb_lower,
        StdDev::batch(20, 1.0, x)?,
        Atr::batch(14, c)?,
        Natr::batch(14, c)?,
        Adx::batch(14, c)?,
        PlusDi::batch(14, c)?,
        MinusDi::batch(14, c)?,
        stoch_k,
        stoch_d,
        Cci::batch(14, c)?,
        Mfi::batch(14, c)?,
        Obv::batch(c)?,
        Roc::batch(10, x)?,
        Mom::batch(10, x)?,
        WillR::batch(14, c)?,
        Trix::batch(15, x)?,
        UltOsc::batch([7, 14, 28], c)?,
        aroon_down,
        aroon_up,
        super::Ad::batch(c)?,
        AdOsc::batch(3, 10, c)?,
        Sar::batch(0.02, 0.2, c)?,
    ])
}

/// The standard set fed one bar at a time; each update yields one row of [`STANDARD_NAMES`].
#[derive(Debug, Clone)]
pub struct StandardSet {
    sma: Sma,
    ema: Ema,
    wma: Wma,
    dema: Dema,
    tema: Tema,
    kama: Kama,
    rsi: Rsi,
    macd: Macd,
    bbands: Bbands,
    stddev: StdDev,
    atr: Atr,
    natr: Natr,
    adx: Adx,
    plus_di: PlusDi,
    minus_di: MinusDi,
    stoch: Stoch,
    cci: Cci,
    mfi: Mfi,
    obv: Obv,
    roc: Roc,
    mom: Mom,
    willr: WillR,
    trix: Trix,
    ultosc: UltOsc,
    aroon: Aroon,
    ad: Ad,
    adosc: AdOsc,
    sar: Sar,
}

impl StandardSet {
    /// A fresh set with the standard parameters.
    pub fn new() -> Result<Self, IndicatorError> {
        Ok(Self {
            sma: Sma::new(20)?,
            ema: Ema::new(20)?,
            wma: Wma::new(20)?,
            dema: Dema::new(20)?,
            tema: Tema::new(20)?,
            kama: Kama::new(30)?,
            rsi: Rsi::new(14)?,
            macd: Macd::new(12, 26, 9)?,
            bbands: Bbands::new(20, 2.0, 2.0)?,
            stddev: StdDev::new(20, 1.0)?,
            atr: Atr::new(14)?,
            natr: Natr::new(14)?,
            adx: Adx::new(14)?,
            plus_di: PlusDi::new(14)?,
            minus_di: MinusDi::new(14)?,
            stoch: Stoch::new(14, 3, 3)?,
            cci: Cci::new(14)?,
            mfi: Mfi::new(14)?,
            obv: Obv::new(),
            roc: Roc::new(10)?,
            mom: Mom::new(10)?,
            willr: WillR::new(14)?,
            trix: Trix::new(15)?,
            ultosc: UltOsc::new([7, 14, 28])?,
            aroon: Aroon::new(14)?,
            ad: Ad::new(),
            adosc: AdOsc::new(3, 10)?,
            sar: Sar::new(0.02, 0.2)?,
        })
    }

    /// Feeds one closed bar and writes its row (in [`STANDARD_NAMES`] order) into `row`.
    pub fn update(&mut self, b: Bar, row: &mut [Option<f64>; 34]) {
        let x = b.close;
        let macd = self.macd.update(x);
        let bb = self.bbands.update(x);
        let stoch = self.stoch.update(b);
        let aroon = self.aroon.update(b);
        *row = [
            self.sma.update(x),
            self.ema.update(x),
            self.wma.update(x),
            self.dema.update(x),
            self.tema.update(x),
            self.kama.update(x),
            self.rsi.update(x),
            macd.map(|m| m.macd),
            macd.map(|m| m.signal),
            macd.map(|m| m.hist),
            bb.map(|v| v.upper),
            bb.map(|v| v.middle),
            bb.map(|v| v.lower),
            self.stddev.update(x),
            self.atr.update(b),
            self.natr.update(b),
            self.adx.update(b),
            self.plus_di.update(b),
            self.minus_di.update(b),
            stoch.map(|s| s.0),
            stoch.map(|s| s.1),
            self.cci.update(b),
            self.mfi.update(b),
            self.obv.update(b),
            self.roc.update(x),
            self.mom.update(x),
            self.willr.update(b),
            self.trix.update(x),
            self.ultosc.update(b),
            aroon.map(|a| a.0),
            aroon.map(|a| a.1),
            self.ad.update(b),
            self.adosc.update(b),
            self.sar.update(b),
        ];
    }
}
