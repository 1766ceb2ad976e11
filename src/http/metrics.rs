//! `GET /_emulator/metrics`: what the emulator served, in Prometheus' text format (version
//! 0.0.4). Counted without a lock on the request path: one relaxed atomic add per request for its
//! route and status, and one for its duration's bucket.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::near::RouteNames;

/// The statuses counted one by one: 100 to 599.
const STATUSES: usize = 500;

/// Upper bounds of the duration histogram's buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// The surfaces, as the metrics name them.
const SURFACES: [&str; 4] = ["on_premises", "cloud", "control", "root"];

/// One surface's request durations.
#[derive(Debug, Default)]
struct Histogram {
    /// Per bucket (not cumulative; the last one is +Inf).
    buckets: [AtomicU64; BUCKETS.len() + 1],
    /// In microseconds.
    sum_micros: AtomicU64,
}

/// What the emulator served, since it started.
#[derive(Debug)]
pub struct Metrics {
    /// Each row of the route table: its surface (an index of [`SURFACES`]) and name.
    names: Vec<(usize, String)>,
    /// Per row of the route table, per status.
    routes: Box<[[AtomicU64; STATUSES]]>,
    /// Requests no route took, per status.
    unrouted: Box<[AtomicU64; STATUSES]>,
    /// Per surface.
    durations: [Histogram; SURFACES.len()],
}

fn surface_index(surface: &str) -> usize {
    SURFACES.iter().position(|s| *s == surface).unwrap_or(0)
}

fn status_index(status: u16) -> usize {
    usize::from(status.clamp(100, 599) - 100)
}

impl Metrics {
    /// Counters for the routes `names`, all at 0.
    pub fn new(names: &RouteNames) -> Self {
        Self {
            names: names
                .0
                .iter()
                .map(|r| {
                    (
                        surface_index(r.surface),
                        format!("{} {}", r.method, r.pattern),
                    )
                })
                .collect(),
            routes: names
                .0
                .iter()
                .map(|_| std::array::from_fn(|_| AtomicU64::new(0)))
                .collect(),
            unrouted: Box::new(std::array::from_fn(|_| AtomicU64::new(0))),
            durations: Default::default(),
        }
    }

    /// Counts a request of the route table's row `index`, answered `status` after `took`.
    pub fn served(&self, index: usize, status: u16, took: Duration) {
        if let (Some(row), Some((surface, _))) = (self.routes.get(index), self.names.get(index)) {
            row[status_index(status)].fetch_add(1, Ordering::Relaxed);
            self.timed(*surface, took);
        }
    }

    /// Counts a request no route took.
    pub fn unrouted(&self, status: u16) {
        self.unrouted[status_index(status)].fetch_add(1, Ordering::Relaxed);
    }

    fn timed(&self, surface: usize, took: Duration) {
        let histogram = &self.durations[surface];
        let seconds = took.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|upper| seconds <= *upper)
            .unwrap_or(BUCKETS.len());
        histogram.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        histogram.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// The text Prometheus scrapes; `codes` are the codes sent per surface and method, and
    /// `clusters` how many exist.
    pub fn render(&self, codes: &[(&str, &str, u64)], clusters: usize) -> String {
        let mut out = String::with_capacity(4096);
        let _ = writeln!(
            out,
            "# HELP wa_emulator_build_info The emulator's version.\n# TYPE wa_emulator_build_info gauge\nwa_emulator_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        let _ = writeln!(
            out,
            "# HELP wa_emulator_clusters Clusters that exist.\n# TYPE wa_emulator_clusters gauge\nwa_emulator_clusters {clusters}"
        );
        out.push_str("# HELP wa_emulator_requests_total Requests answered, by surface, route of the table (unmatched: no route took it) and status.\n# TYPE wa_emulator_requests_total counter\n");
        for ((surface, name), row) in self.names.iter().zip(self.routes.iter()) {
            write_statuses(&mut out, SURFACES[*surface], name, row);
        }
        write_statuses(&mut out, "none", "unmatched", &self.unrouted);
        out.push_str("# HELP wa_emulator_codes_sent_total Registration codes sent, by surface and method.\n# TYPE wa_emulator_codes_sent_total counter\n");
        for (surface, method, count) in codes {
            let _ = writeln!(
                out,
                "wa_emulator_codes_sent_total{{surface=\"{surface}\",method=\"{method}\"}} {count}"
            );
        }
        out.push_str("# HELP wa_emulator_request_duration_seconds How long answers took, by surface.\n# TYPE wa_emulator_request_duration_seconds histogram\n");
        for (name, histogram) in SURFACES.iter().zip(&self.durations) {
            let mut cumulative = 0;
            for (i, upper) in BUCKETS.iter().enumerate() {
                cumulative += histogram.buckets[i].load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "wa_emulator_request_duration_seconds_bucket{{surface=\"{name}\",le=\"{upper}\"}} {cumulative}"
                );
            }
            cumulative += histogram.buckets[BUCKETS.len()].load(Ordering::Relaxed);
            let sum = histogram.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
            let _ = writeln!(
                out,
                "wa_emulator_request_duration_seconds_bucket{{surface=\"{name}\",le=\"+Inf\"}} {cumulative}\nwa_emulator_request_duration_seconds_sum{{surface=\"{name}\"}} {sum}\nwa_emulator_request_duration_seconds_count{{surface=\"{name}\"}} {cumulative}"
            );
        }
        out
    }
}

fn write_statuses(out: &mut String, surface: &str, route: &str, row: &[AtomicU64; STATUSES]) {
    for (i, count) in row.iter().enumerate() {
        let count = count.load(Ordering::Relaxed);
        if count > 0 {
            let _ = writeln!(
                out,
                "wa_emulator_requests_total{{surface=\"{surface}\",route=\"{route}\",status=\"{}\"}} {count}",
                i + 100
            );
        }
    }
}
