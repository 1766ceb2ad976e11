//! One change sent to the app: the exact text, its signature, each attempt and what came of it,
//! and when the next one is due. Meta retries a delivery that was not answered 200 "with
//! decreasing frequency" for up to 7 days; the emulator retries after 15 s, doubling to at most
//! an hour, on the cluster's clock (advancing it drives retries), and gives up once 7 days have
//! passed since the first attempt.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::Field;
use crate::domain::clock::later;

/// How long Meta keeps retrying.
pub const RETRY_WINDOW: Duration = Duration::from_secs(7 * 24 * 3600);
/// The first pause before a retry.
pub const FIRST_RETRY: Duration = Duration::from_secs(15);
/// The longest pause between retries.
pub const LONGEST_PAUSE: Duration = Duration::from_secs(3600);

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Made, its first attempt under way.
    Pending,
    /// Answered 2xx.
    Delivered,
    /// Not answered 2xx yet; the next attempt is due at `next_attempt_at`.
    Retrying,
    /// Not answered 2xx within the retry window; given up.
    Failed,
    /// Not sent: the app did not subscribe to the account, or not to this field (`reason`).
    NotSubscribed,
}

impl DeliveryStatus {
    /// Every status, as filters name them.
    pub const NAMES: &str = "pending, delivered, retrying, failed, not_subscribed";

    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Retrying => "retrying",
            Self::Failed => "failed",
            Self::NotSubscribed => "not_subscribed",
        }
    }

    /// The status named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Delivered,
            Self::Retrying,
            Self::Failed,
            Self::NotSubscribed,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }
}

/// One attempt: when, and the status it was answered with or why it got none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// When it was made, on the cluster's clock.
    pub time: SystemTime,
    /// The HTTP status answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Why no status came (refused connection, timeout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One change sent (or not) to the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// Its id in the cluster, from 1.
    pub id: u64,
    /// The field.
    pub field: Field,
    /// Where it goes.
    pub url: Option<String>,
    /// The exact text sent.
    pub body: String,
    /// `X-Hub-Signature-256`, when sent.
    pub signature: Option<String>,
    /// `X-Hub-Signature`, when sent.
    pub signature_sha1: Option<String>,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Why it was not sent, or why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Its attempts, oldest first.
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    /// When it was made, on the cluster's clock.
    pub created_at: SystemTime,
    /// When the next attempt is due, while retrying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<SystemTime>,
}

impl Delivery {
    /// Records an attempt at `now` answered `status` (or failed with `error`): delivered on a
    /// 2xx; else retrying with the next attempt due, or failed past the retry window.
    pub fn record(&mut self, now: SystemTime, status: Option<u16>, error: Option<String>) {
        let ok = status.is_some_and(|s| (200..300).contains(&s));
        self.attempts.push(Attempt {
            time: now,
            status,
            error,
        });
        if ok {
            self.status = DeliveryStatus::Delivered;
            self.next_attempt_at = None;
            self.reason = None;
            return;
        }
        let first = self.attempts.first().map_or(now, |a| a.time);
        let next = later(now, pause(self.attempts.len()));
        if next.duration_since(first).unwrap_or_default() > RETRY_WINDOW {
            self.status = DeliveryStatus::Failed;
            self.next_attempt_at = None;
            self.reason = Some(format!(
                "not answered 2xx in {} attempts over 7 days (Meta's retry window): given up",
                self.attempts.len()
            ));
        } else {
            self.status = DeliveryStatus::Retrying;
            self.next_attempt_at = Some(next);
        }
    }

    /// Whether an attempt is due at `now`.
    pub fn due(&self, now: SystemTime) -> bool {
        self.status == DeliveryStatus::Retrying && self.next_attempt_at.is_some_and(|at| now >= at)
    }
}

/// The pause after the `n`th failed attempt: 15 s, doubling, at most an hour.
pub fn pause(n: usize) -> Duration {
    let doublings = u32::try_from(n.saturating_sub(1))
        .unwrap_or(u32::MAX)
        .min(16);
    (FIRST_RETRY * 2u32.pow(doublings)).min(LONGEST_PAUSE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(at: SystemTime) -> Delivery {
        Delivery {
            id: 1,
            field: Field::Security,
            url: Some("http://app/".into()),
            body: "{}".into(),
            signature: None,
            signature_sha1: None,
            status: DeliveryStatus::Pending,
            reason: None,
            attempts: vec![],
            created_at: at,
            next_attempt_at: None,
        }
    }

    #[test]
    fn retries_back_off_and_give_up_after_seven_days() {
        assert_eq!(pause(1), Duration::from_secs(15));
        assert_eq!(pause(2), Duration::from_secs(30));
        assert_eq!(pause(9), Duration::from_secs(3600));
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut d = delivery(start);
        d.record(start, Some(500), None);
        assert_eq!(d.status, DeliveryStatus::Retrying);
        assert_eq!(d.next_attempt_at, Some(start + Duration::from_secs(15)));
        assert!(!d.due(start + Duration::from_secs(14)));
        assert!(d.due(start + Duration::from_secs(15)));
        d.record(
            start + Duration::from_secs(15),
            None,
            Some("refused".into()),
        );
        assert_eq!(d.next_attempt_at, Some(start + Duration::from_secs(45)));
        let late = start + RETRY_WINDOW;
        d.record(late, Some(503), None);
        assert_eq!(d.status, DeliveryStatus::Failed);
        assert_eq!(d.next_attempt_at, None);
        let mut ok = delivery(start);
        ok.record(start, Some(204), None);
        assert_eq!(ok.status, DeliveryStatus::Delivered);
    }
}
