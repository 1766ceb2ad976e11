//! `GET /_emulator/metrics`: what the emulator served, in Prometheus' text format (version
//! 0.0.4). Counted without a lock on the request path: per route of the table, a small map of the
//! statuses it answered (a handful of slots, each claimed once), and per surface a histogram of
//! durations.

use std::fmt::Write;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::time::Duration;

use super::near::RouteNames;
use crate::domain::Surface;

/// Upper bounds of the duration histogram's buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// How many statuses a route's map holds before it counts the rest together (a route answers a
/// few: 200, 400, 401, 403, 404).
const SLOTS: usize = 8;

/// One surface's request durations.
#[derive(Debug, Default)]
struct Histogram {
    /// Per bucket (not cumulative; the last one is +Inf).
    buckets: [AtomicU64; BUCKETS.len() + 1],
    /// In microseconds.
    sum_micros: AtomicU64,
}

/// Counts by status: a small map of atomic slots, each claimed by the first status counted in
/// it; statuses past the last slot are counted as `other`.
#[derive(Debug, Default)]
struct ByStatus {
    slots: [(AtomicU16, AtomicU64); SLOTS],
    other: AtomicU64,
}

impl ByStatus {
    fn add(&self, status: u16) {
        for (owner, count) in &self.slots {
            match owner.load(Ordering::Relaxed) {
                0 => {
                    match owner.compare_exchange(0, status, Ordering::Relaxed, Ordering::Relaxed) {
                        Ok(_) => {}
                        Err(taken) if taken == status => {}
                        Err(_) => continue,
                    }
                }
                taken if taken != status => continue,
                _ => {}
            }
            count.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.other.fetch_add(1, Ordering::Relaxed);
    }

    /// `(status, count)` of every status counted, by status (`None` for the rest).
    fn counts(&self) -> Vec<(Option<u16>, u64)> {
        let mut counts: Vec<(Option<u16>, u64)> = self
            .slots
            .iter()
            .map(|(owner, count)| (owner.load(Ordering::Relaxed), count.load(Ordering::Relaxed)))
            .filter(|(owner, count)| *owner != 0 && *count > 0)
            .map(|(owner, count)| (Some(owner), count))
            .collect();
        counts.sort_unstable();
        let other = self.other.load(Ordering::Relaxed);
        if other > 0 {
            counts.push((None, other));
        }
        counts
    }
}

/// One route of the table and what it answered.
#[derive(Debug)]
struct RouteCounts {
    surface: Surface,
    name: String,
    statuses: ByStatus,
}

/// What the emulator served, since it started.
#[derive(Debug)]
pub struct Metrics {
    /// Per row of the route table.
    routes: Box<[RouteCounts]>,
    /// Requests no route took.
    unrouted: ByStatus,
    /// Per surface, in the order of [`Surface::ALL`].
    durations: [Histogram; Surface::ALL.len()],
}

impl Metrics {
    /// Counters for the routes `names`, all at 0.
    pub fn new(names: &RouteNames) -> Self {
        Self {
            routes: names
                .0
                .iter()
                .map(|r| RouteCounts {
                    surface: r.surface,
                    name: format!("{} {}", r.method, r.pattern),
                    statuses: ByStatus::default(),
                })
                .collect(),
            unrouted: ByStatus::default(),
            durations: Default::default(),
        }
    }

    /// Counts a request of the route table's row `index`, answered `status` after `took`.
    pub fn served(&self, index: usize, status: u16, took: Duration) {
        if let Some(route) = self.routes.get(index) {
            route.statuses.add(status);
            self.timed(route.surface, took);
        }
    }

    /// Counts a request no route took.
    pub fn unrouted(&self, status: u16) {
        self.unrouted.add(status);
    }

    fn timed(&self, surface: Surface, took: Duration) {
        let histogram = &self.durations[surface as usize];
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
        for route in &self.routes {
            write_statuses(
                &mut out,
                route.surface.as_str(),
                &route.name,
                &route.statuses,
            );
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
        for (surface, histogram) in Surface::ALL.iter().zip(&self.durations) {
            let name = surface.as_str();
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

fn write_statuses(out: &mut String, surface: &str, route: &str, statuses: &ByStatus) {
    for (status, count) in statuses.counts() {
        let status = status.map_or_else(|| "other".to_owned(), |s| s.to_string());
        let _ = writeln!(
            out,
            "wa_emulator_requests_total{{surface=\"{surface}\",route=\"{route}\",status=\"{status}\"}} {count}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_counted_each_in_its_slot_and_the_rest_together() {
        let statuses = ByStatus::default();
        for status in [200, 404, 200, 500] {
            statuses.add(status);
        }
        assert_eq!(
            statuses.counts(),
            [(Some(200), 2), (Some(404), 1), (Some(500), 1)]
        );
        for status in 300..310 {
            statuses.add(status);
        }
        let counts = statuses.counts();
        assert_eq!(counts.len(), SLOTS + 1, "{counts:?}");
        assert_eq!(counts.last(), Some(&(None, 5)));
    }
}
