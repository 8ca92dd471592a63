//! Declares the many indicators that differ only in the engine functions they call.

/// An indicator over one series with a single period parameter and one output.
macro_rules! real_period {
    ($(#[$doc:meta])* $name:ident, $spec:ident, $stream:ident, $lookback:ident, $open:ident, $batch:ident) => {
        #[doc = concat!("Parameters of [`", stringify!($name), "`].")]
        #[derive(Debug, Clone, Copy)]
        pub struct $spec {
            period: i32,
        }

        impl $crate::indicators::Spec for $spec {
            type In = f64;
            type Out = f64;
            type Stream = ta_lib::$stream;
            fn open(&self, history: &[f64]) -> Result<(Self::Stream, f64), ta_lib::RetCode> {
                ta_lib::Core::new().$open(history, self.period)
            }
            #[inline]
            fn step(stream: &mut Self::Stream, input: f64) -> Result<f64, ta_lib::RetCode> {
                stream.update(input)
            }
        }

        $(#[$doc])*
        pub type $name = $crate::indicators::Streaming<$spec>;

        impl $crate::indicators::Streaming<$spec> {
            /// A stream with the given period; refuses periods TA-Lib refuses.
            pub fn new(period: usize) -> Result<Self, $crate::indicators::IndicatorError> {
                let period = $crate::indicators::period_i32("period", period)?;
                let lookback = ta_lib::Core::new().$lookback(period)?;
                Ok(Self::from_spec($spec { period }, lookback))
            }

            /// The indicator over a whole series, aligned with it.
            pub fn batch(
                period: usize,
                input: &[f64],
            ) -> Result<$crate::indicators::Column, $crate::indicators::IndicatorError> {
                let period = $crate::indicators::period_i32("period", period)?;
                let core = ta_lib::Core::new();
                let lookback = core.$lookback(period)?;
                $crate::indicators::column::run1(input.len(), lookback, |end, out| {
                    core.$batch(0, end, input, period, out)
                })
            }

            /// [`Self::batch`] into an existing column, reusing its memory.
            pub fn batch_into(
                period: usize,
                input: &[f64],
                column: &mut $crate::indicators::Column,
            ) -> Result<(), $crate::indicators::IndicatorError> {
                let period = $crate::indicators::period_i32("period", period)?;
                let core = ta_lib::Core::new();
                let lookback = core.$lookback(period)?;
                $crate::indicators::column::run1_into(input.len(), lookback, column, |end, out| {
                    core.$batch(0, end, input, period, out)
                })
            }
        }
    };
}

/// An indicator over high, low and close with a single period parameter and one output.
macro_rules! hlc_period {
    ($(#[$doc:meta])* $name:ident, $spec:ident, $stream:ident, $lookback:ident, $open:ident, $batch:ident) => {
        #[doc = concat!("Parameters of [`", stringify!($name), "`].")]
        #[derive(Debug, Clone, Copy)]
        pub struct $spec {
            period: i32,
        }

        impl $crate::indicators::Spec for $spec {
            type In = $crate::indicators::Bar;
            type Out = f64;
            type Stream = ta_lib::$stream;
            fn open(&self, history: &[Self::In]) -> Result<(Self::Stream, f64), ta_lib::RetCode> {
                let c = $crate::indicators::stream::columns(history);
                ta_lib::Core::new().$open(&c.high, &c.low, &c.close, self.period)
            }
            #[inline]
            fn step(stream: &mut Self::Stream, b: Self::In) -> Result<f64, ta_lib::RetCode> {
                stream.update(b.high, b.low, b.close)
            }
        }

        $(#[$doc])*
        pub type $name = $crate::indicators::Streaming<$spec>;

        impl $crate::indicators::Streaming<$spec> {
            /// A stream with the given period; refuses periods TA-Lib refuses.
            pub fn new(period: usize) -> Result<Self, $crate::indicators::IndicatorError> {
                let period = $crate::indicators::period_i32("period", period)?;
                let lookback = ta_lib::Core::new().$lookback(period)?;
                Ok(Self::from_spec($spec { period }, lookback))
            }

            /// The indicator over whole candle columns, aligned with them.
            pub fn batch(
                period: usize,
                c: &$crate::indicators::Ohlcv,
            ) -> Result<$crate::indicators::Column, $crate::indicators::IndicatorError> {
                let period = $crate::indicators::period_i32("period", period)?;
                let core = ta_lib::Core::new();
                let lookback = core.$lookback(period)?;
                $crate::indicators::column::run1(c.len(), lookback, |end, out| {
                    core.$batch(0, end, &c.high, &c.low, &c.close, period, out)
                })
            }

            /// [`Self::batch`] into an existing column, reusing its memory.
            pub fn batch_into(
                period: usize,
                c: &$crate::indicators::Ohlcv,
                column: &mut $crate::indicators::Column,
            ) -> Result<(), $crate::indicators::IndicatorError> {
                let period = $crate::indicators::period_i32("period", period)?;
                let core = ta_lib::Core::new();
                let lookback = core.$lookback(period)?;
                $crate::indicators::column::run1_into(c.len(), lookback, column, |end, out| {
                    core.$batch(0, end, &c.high, &c.low, &c.close, period, out)
                })
            }
        }
    };
}
