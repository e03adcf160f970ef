//! When each location is refreshed, and by which replica. Every location is
//! due once per interval (jittered, so that a thousand locations registered
//! together do not stay in lockstep); failures back off exponentially.
//! Replicas sharing a database take due locations through claims in the
//! store, which are leases: a replica that dies mid-refresh loses its claim
//! when the lease ends.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use portico_store::{now_ms, ClaimOutcome, LocationClaim};
use rand::Rng;

use crate::error::CatalogError;
use crate::service::{Catalog, RefreshOutcome};

#[derive(Debug, Clone)]
pub struct RefreshPolicy {
    /// Time between two refreshes of a location.
    pub interval: Duration,
    /// How long a claim lasts; longer than any one refresh may take.
    pub claim_timeout: Duration,
    /// Longest wait after repeated failures.
    pub max_backoff: Duration,
    /// How long an on-demand refresh (webhook, API) waits for another
    /// replica that is refreshing the same location.
    pub claim_wait: Duration,
    /// Locations claimed at a time: a replica takes only what it can start
    /// on soon, leaving the rest to other replicas.
    pub batch: i64,
    /// Refreshes run in parallel: most of their time is spent waiting on
    /// git remotes, not on this machine's CPU. Not many, though: `git
    /// daemon` keeps only 5 connections waiting to be accepted, and a
    /// connection beyond that waits a second for TCP to retry.
    pub workers: usize,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        RefreshPolicy {
            interval: Duration::from_secs(60),
            claim_timeout: Duration::from_secs(300),
            max_backoff: Duration::from_secs(3600),
            claim_wait: Duration::from_secs(10),
            batch: 32,
            workers: 4,
        }
    }
}

impl RefreshPolicy {
    /// Delay until the next refresh after `failures` consecutive failures:
    /// the interval, doubled per failure up to `max_backoff`, ±10 % jitter.
    pub fn next_delay(&self, failures: i32) -> Duration {
        let interval = self.interval.max(Duration::from_millis(100));
        let base = if failures <= 0 {
            interval
        } else {
            let doubled = interval.saturating_mul(1u32 << failures.clamp(0, 16));
            doubled.min(self.max_backoff.max(interval))
        };
        base.mul_f64(rand::rng().random_range(0.9..1.1))
    }

    fn lease_ms(&self) -> i64 {
        millis(self.claim_timeout)
    }
}

/// A duration in the store's unit, epoch-style milliseconds; absurdly long
/// ones are capped well below overflow when added to a timestamp.
pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2)
}

impl Catalog {
    /// Claims due locations, `batch` at a time, and refreshes them on
    /// `workers` threads until none is due. Returns how many were refreshed.
    pub fn refresh_due(&self) -> Result<usize, CatalogError> {
        let policy = &self.config().refresh;
        let owner = self.replica_id();
        let mut total = 0;
        loop {
            if self.refreshing_stopped() {
                return Ok(total);
            }
            let claims = self.store().transaction(|tx| {
                tx.claim_due_locations(owner, now_ms(), policy.lease_ms(), policy.batch)
                    .map_err(CatalogError::from)
            })?;
            if claims.is_empty() {
                return Ok(total);
            }
            total += claims.len();
            let queue = Mutex::new(claims.into_iter());
            let failed = AtomicUsize::new(0);
            std::thread::scope(|scope| {
                for _ in 0..policy.workers.max(1) {
                    scope.spawn(|| loop {
                        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).next();
                        let Some(claim) = next else { break };
                        if self.refresh_claimed(&claim).is_err() {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    });
                }
            });
            let failed = failed.into_inner();
            if failed > 0 {
                tracing::warn!(failed, "some location refreshes failed");
            }
        }
    }

    /// Refreshes a location this replica has claimed, then releases the
    /// claim with the time of its next refresh.
    fn refresh_claimed(&self, claim: &LocationClaim) -> Result<RefreshOutcome, CatalogError> {
        let span = tracing::info_span!(
            "location read",
            location = %claim.id,
            r#type = %claim.location_type,
            target = %without_credentials(&claim.target),
            outcome = tracing::field::Empty,
        );
        let _entered = span.enter();
        let started = now_ms();
        let clock = Instant::now();
        let result = self.refresh_unclaimed(&claim.id);
        let outcome = match &result {
            Ok(RefreshOutcome::Unchanged) => "unchanged",
            Ok(RefreshOutcome::Committed(_)) => "committed",
            Ok(RefreshOutcome::Failed(_)) => "failed",
            Ok(RefreshOutcome::Busy { .. }) => "busy",
            Err(_) => "error",
        };
        span.record("outcome", outcome);
        let location_type = claim.location_type.clone();
        metrics::histogram!(
            "portico_location_refresh_duration_seconds",
            "type" => location_type.clone(),
            "outcome" => outcome,
        )
        .record(clock.elapsed().as_secs_f64());
        let failed = matches!(outcome, "failed" | "error");
        if failed {
            metrics::counter!("portico_location_refresh_failures_total", "type" => location_type)
                .increment(1);
        }
        let failures = if failed {
            claim.refresh_failures.saturating_add(1)
        } else {
            0
        };
        let next = now_ms().saturating_add(millis(self.config().refresh.next_delay(failures)));
        let owner = self.replica_id();
        let released = self.store().transaction(|tx| {
            tx.release_location(&claim.id, owner, next, failures)
                .map_err(CatalogError::from)
        });
        tracing::debug!(
            target: "portico::refresh",
            location = %claim.id,
            replica = %owner,
            started,
            finished = now_ms(),
            ms = clock.elapsed().as_millis() as u64,
            outcome = %describe(&result),
            "refreshed location"
        );
        match released {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                location = %claim.id,
                "the claim lapsed before the refresh finished; raise catalog.refreshClaimTimeout"
            ),
            Err(e) => tracing::warn!(location = %claim.id, error = %e, "cannot release claim"),
        }
        result
    }

    /// Refreshes one location now (a webhook, the refresh API), under a
    /// claim: while another replica holds it, waits up to `claim_wait`.
    pub fn refresh_location(&self, id: &str) -> Result<RefreshOutcome, CatalogError> {
        let policy = &self.config().refresh;
        let owner = self.replica_id().to_string();
        let deadline = Instant::now() + policy.claim_wait;
        loop {
            let outcome = self.store().transaction(|tx| {
                tx.claim_location(id, &owner, now_ms(), policy.lease_ms())
                    .map_err(CatalogError::from)
            })?;
            match outcome {
                ClaimOutcome::Claimed(claim) => return self.refresh_claimed(&claim),
                ClaimOutcome::Missing => {
                    return Err(CatalogError::NotFound(format!(
                        "Found no location with ID {id}"
                    )))
                }
                ClaimOutcome::Busy { owner, until } => {
                    if Instant::now() >= deadline {
                        // The holder may have read before what prompted this
                        // refresh: its release makes the location due again.
                        self.store()
                            .transaction(|tx| tx.request_refresh(id).map_err(CatalogError::from))?;
                        return Ok(RefreshOutcome::Busy { owner, until });
                    }
                    std::thread::sleep(Duration::from_millis(25));
                }
            }
        }
    }
}

/// A target as logs and exported spans may show it: a URL's user and
/// password (`https://user:token@host/…`) and its query are left out.
fn without_credentials(target: &str) -> String {
    let Some((scheme, rest)) = target.split_once("://") else {
        return target.to_owned();
    };
    let end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let path = &rest[end..];
    let path = path.split_once('?').map_or(path, |(path, _)| path);
    format!("{scheme}://{host}{path}")
}

fn describe(result: &Result<RefreshOutcome, CatalogError>) -> String {
    match result {
        Ok(RefreshOutcome::Unchanged) => "unchanged".to_string(),
        Ok(RefreshOutcome::Committed(changed)) => format!("committed {}", changed.len()),
        Ok(RefreshOutcome::Failed(message)) => format!("failed: {message}"),
        Ok(RefreshOutcome::Busy { owner, .. }) => format!("busy: held by {owner}"),
        Err(e) => format!("error: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_a_target_stay_out_of_logs() {
        assert_eq!(
            without_credentials(
                "https://bot:ghp_secret@github.com/org/repo/blob/main/catalog-info.yaml?token=x"
            ),
            "https://github.com/org/repo/blob/main/catalog-info.yaml"
        );
        assert_eq!(
            without_credentials("https://github.com/org/repo"),
            "https://github.com/org/repo"
        );
        assert_eq!(
            without_credentials("/srv/catalog/all.yaml"),
            "/srv/catalog/all.yaml"
        );
        assert_eq!(without_credentials("ssh://git@host:22"), "ssh://host:22");
    }

    #[test]
    fn delay_is_jittered_and_backs_off() {
        let policy = RefreshPolicy {
            interval: Duration::from_secs(60),
            max_backoff: Duration::from_secs(600),
            ..RefreshPolicy::default()
        };
        for _ in 0..50 {
            let d = policy.next_delay(0).as_secs_f64();
            assert!((54.0..=66.0).contains(&d), "{d}");
            let d = policy.next_delay(2).as_secs_f64();
            assert!((216.0..=264.0).contains(&d), "{d}");
            let d = policy.next_delay(30).as_secs_f64();
            assert!((540.0..=660.0).contains(&d), "{d}");
        }
        let spread: std::collections::HashSet<u128> =
            (0..20).map(|_| policy.next_delay(0).as_millis()).collect();
        assert!(spread.len() > 5, "delays are not jittered: {spread:?}");
    }
}
