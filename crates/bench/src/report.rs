//! Latency histograms and the lines the tool prints.

use std::time::Duration;

use hdrhistogram::Histogram;

/// Latencies in microseconds, 1 µs to 60 s at three significant figures.
pub struct Latencies(Histogram<u64>);

impl Latencies {
    pub fn new() -> Self {
        // The bounds are constants that hdrhistogram accepts; a failure is a programming error.
        Self(Histogram::new_with_bounds(1, 60_000_000, 3).unwrap_or_else(|e| panic!("{e}")))
    }

    pub fn record(&mut self, took: Duration) {
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.0.saturating_record(micros.max(1));
    }

    pub fn merge(&mut self, other: &Latencies) {
        // Same bounds on both sides, so adding cannot fail.
        let _ = self.0.add(&other.0);
    }

    pub fn count(&self) -> u64 {
        self.0.len()
    }

    /// `name  n=…  p50=… p90=… p99=… p99.9=… max=…`, in milliseconds.
    pub fn line(&self, name: &str) -> String {
        let ms = |q: f64| self.0.value_at_quantile(q) as f64 / 1000.0;
        format!(
            "{name:<22} n={:<8} p50={:.3}ms p90={:.3}ms p99={:.3}ms p99.9={:.3}ms max={:.3}ms",
            self.0.len(),
            ms(0.5),
            ms(0.9),
            ms(0.99),
            ms(0.999),
            self.0.max() as f64 / 1000.0,
        )
    }
}

impl Default for Latencies {
    fn default() -> Self {
        Self::new()
    }
}
