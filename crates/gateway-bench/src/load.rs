//! The token load: `concurrency` workers, each on its own keep-alive connection, ask for
//! random users' tokens back to back for a fixed time. Latency goes into HDR histograms;
//! the gateway's and our own CPU time are read from `/proc` around the run.

use crate::http1::TokenRequests;
use crate::procfs;
use anyhow::{Context, Result};
use hdrhistogram::Histogram;
use hyper::body::Bytes;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Barrier;

/// Latencies are recorded in microseconds, up to a minute, to 3 significant digits.
const MAX_LATENCY_US: u64 = 60_000_000;
/// Non-200 answers kept verbatim for the error report.
const ERROR_SAMPLES: usize = 3;

/// One measured run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LoadResult {
    pub concurrency: usize,
    pub seconds: f64,
    pub requests: u64,
    /// Non-200 answers and transport failures.
    pub errors: u64,
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub gateway_cpu_seconds: f64,
    /// Gateway CPU (user + system, all threads) per request, in microseconds.
    pub gateway_cpu_us_per_request: f64,
    /// The load generator's own CPU over the run: the gateway shares the cores with it.
    pub bench_cpu_seconds: f64,
    /// The gateway's peak resident set (`VmHWM`) after the run, in MiB.
    pub gateway_peak_rss_mib: f64,
    pub error_samples: Vec<String>,
}

/// What every worker needs.
pub struct LoadPlan {
    pub requests: TokenRequests,
    /// One prepared JSON body per seeded user.
    pub bodies: Arc<Vec<Bytes>>,
    pub gateway_pid: String,
}

/// Runs unmeasured load for `warmup` (if any), then the measured run.
pub async fn run(
    plan: &LoadPlan,
    concurrency: usize,
    warmup: Duration,
    duration: Duration,
) -> Result<LoadResult> {
    if !warmup.is_zero() {
        drive(plan, concurrency, warmup).await?;
    }
    let ticks = procfs::ticks_per_second();
    let gateway_before = procfs::cpu_ticks(&plan.gateway_pid)?;
    let bench_before = procfs::cpu_ticks("self")?;
    let tally = drive(plan, concurrency, duration).await?;
    let gateway_cpu = ticks_to_seconds(
        procfs::cpu_ticks(&plan.gateway_pid)? - gateway_before,
        ticks,
    );
    let bench_cpu = ticks_to_seconds(procfs::cpu_ticks("self")? - bench_before, ticks);
    let peak_kib = procfs::status_kib(&plan.gateway_pid, "VmHWM")?;
    let requests = tally.histogram.len() + tally.failures;
    let millis = |us: u64| us_to_ms(us);
    Ok(LoadResult {
        concurrency,
        seconds: tally.elapsed.as_secs_f64(),
        requests,
        errors: tally.errors,
        requests_per_second: as_f64(requests) / tally.elapsed.as_secs_f64(),
        p50_ms: millis(tally.histogram.value_at_quantile(0.50)),
        p90_ms: millis(tally.histogram.value_at_quantile(0.90)),
        p99_ms: millis(tally.histogram.value_at_quantile(0.99)),
        max_ms: millis(tally.histogram.max()),
        gateway_cpu_seconds: gateway_cpu,
        gateway_cpu_us_per_request: gateway_cpu * 1e6 / as_f64(requests.max(1)),
        bench_cpu_seconds: bench_cpu,
        gateway_peak_rss_mib: as_f64(peak_kib) / 1024.0,
        error_samples: tally.samples,
    })
}

/// What the workers counted together.
struct Tally {
    /// Latency of every answered request (any status).
    histogram: Histogram<u64>,
    /// Requests that got no answer at all.
    failures: u64,
    /// Non-200 answers plus failures.
    errors: u64,
    samples: Vec<String>,
    elapsed: Duration,
}

async fn drive(plan: &LoadPlan, concurrency: usize, duration: Duration) -> Result<Tally> {
    // Every worker connects first, then all start together, so connection setup is
    // neither timed nor spread over the run.
    let barrier = Arc::new(Barrier::new(concurrency + 1));
    let mut workers = Vec::with_capacity(concurrency);
    for worker in 0..concurrency {
        let mut connection = plan.requests.connect().await?;
        let (requests, bodies, barrier) =
            (plan.requests.clone(), plan.bodies.clone(), barrier.clone());
        workers.push(tokio::spawn(async move {
            let mut rng = XorShift::seeded(worker);
            let mut tally = WorkerTally::new()?;
            barrier.wait().await;
            let deadline = Instant::now() + duration;
            while Instant::now() < deadline {
                let body = bodies[rng.below(bodies.len())].clone();
                let sent = Instant::now();
                match connection.token(body).await {
                    Ok((status, answer)) => {
                        let micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
                        tally
                            .histogram
                            .saturating_record(micros.min(MAX_LATENCY_US));
                        if status != hyper::StatusCode::OK {
                            tally.error(&format!("{status} {}", String::from_utf8_lossy(&answer)));
                        }
                    }
                    Err(error) => {
                        tally.failures += 1;
                        tally.error(&format!("transport: {error:#}"));
                        // The connection is gone; a fresh one keeps the worker going.
                        connection = requests.connect().await?;
                    }
                }
            }
            anyhow::Ok(tally)
        }));
    }
    barrier.wait().await;
    let started = Instant::now();
    let mut total = WorkerTally::new()?;
    for worker in workers {
        let tally = worker.await.context("load worker panicked")??;
        total
            .histogram
            .add(&tally.histogram)
            .context("merging histograms")?;
        total.failures += tally.failures;
        total.errors += tally.errors;
        for sample in tally.samples {
            if total.samples.len() < ERROR_SAMPLES {
                total.samples.push(sample);
            }
        }
    }
    Ok(Tally {
        histogram: total.histogram,
        failures: total.failures,
        errors: total.errors,
        samples: total.samples,
        elapsed: started.elapsed(),
    })
}

/// One worker's counts.
struct WorkerTally {
    histogram: Histogram<u64>,
    failures: u64,
    errors: u64,
    samples: Vec<String>,
}

impl WorkerTally {
    fn new() -> Result<Self> {
        Ok(Self {
            histogram: Histogram::new_with_bounds(1, MAX_LATENCY_US, 3)?,
            failures: 0,
            errors: 0,
            samples: Vec::new(),
        })
    }

    fn error(&mut self, sample: &str) {
        self.errors += 1;
        if self.samples.len() < ERROR_SAMPLES {
            self.samples.push(sample.chars().take(300).collect());
        }
    }
}

/// A tiny xorshift generator: picking a random user must cost nothing next to a request.
struct XorShift(u64);

impl XorShift {
    fn seeded(worker: usize) -> Self {
        Self(0x9E37_79B9_7F4A_7C15 ^ (worker as u64 + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9))
    }

    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % bound as u64).unwrap_or(0)
    }
}

#[expect(
    clippy::cast_precision_loss,
    reason = "counts far below 2^52 are exact as f64"
)]
fn as_f64(value: u64) -> f64 {
    value as f64
}

fn us_to_ms(us: u64) -> f64 {
    as_f64(us) / 1000.0
}

fn ticks_to_seconds(ticks: u64, per_second: u64) -> f64 {
    as_f64(ticks) / as_f64(per_second.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_users_cover_the_whole_range() {
        let mut rng = XorShift::seeded(3);
        let mut seen = [false; 10];
        for _ in 0..1000 {
            seen[rng.below(10)] = true;
        }
        assert!(seen.iter().all(|&hit| hit));
    }

    #[test]
    fn workers_draw_different_sequences() {
        let (mut a, mut b) = (XorShift::seeded(0), XorShift::seeded(1));
        let a: Vec<usize> = (0..8).map(|_| a.below(1000)).collect();
        let b: Vec<usize> = (0..8).map(|_| b.below(1000)).collect();
        assert_ne!(a, b);
    }
}
