//! The settings the runner gives its session while it holds the migration
//! lock, so that a runner that vanishes does not keep the lock:
//!
//! - `client_connection_check_interval` (PostgreSQL 14+): during a long
//!   statement the server checks every second whether the runner is still
//!   connected, and ends the migration if not;
//! - TCP keepalive and `tcp_user_timeout` on the server's side of the
//!   connection: when the link goes silent (no FIN, no RST: a frozen VM, a
//!   dropped NAT entry) the server gives up on the runner after about the
//!   configured time instead of the system default of about two hours, which
//!   ends its session and releases the lock. They apply to TCP connections only.
//!
//! Each is set only when the session has the server default (`0`), and reset
//! to it when the lock is released.

use std::time::Duration;

/// The server checks the runner's connection this often during a statement.
const CLIENT_CHECK_INTERVAL: &str = "1s";

/// Unanswered keepalive probes before the server drops the connection.
const PROBES: u64 = 3;

/// `(setting, value)` pairs for a runner session; `keepalive` is how long a
/// silent connection may last (`None` or under 3 seconds: the server's own keepalive).
pub(crate) fn runner_settings(keepalive: Option<Duration>) -> Vec<(&'static str, String)> {
    let mut settings = vec![(
        "client_connection_check_interval",
        CLIENT_CHECK_INTERVAL.to_string(),
    )];
    if let Some(total) = keepalive.filter(|d| d.as_secs() >= PROBES) {
        let secs = total.as_secs();
        // Idle for half the time, then PROBES probes over the other half.
        let idle = secs / 2;
        let interval = ((secs - idle) / PROBES).max(1);
        settings.extend([
            ("tcp_keepalives_idle", idle.to_string()),
            ("tcp_keepalives_interval", interval.to_string()),
            ("tcp_keepalives_count", PROBES.to_string()),
            ("tcp_user_timeout", total.as_millis().to_string()),
        ]);
    }
    settings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minute_of_silence_at_most() {
        assert_eq!(
            runner_settings(Some(Duration::from_secs(60))),
            [
                ("client_connection_check_interval", "1s".to_string()),
                ("tcp_keepalives_idle", "30".to_string()),
                ("tcp_keepalives_interval", "10".to_string()),
                ("tcp_keepalives_count", "3".to_string()),
                ("tcp_user_timeout", "60000".to_string()),
            ]
        );
    }

    #[test]
    fn off_or_too_short_keeps_the_server_keepalive() {
        assert_eq!(runner_settings(None).len(), 1);
        assert_eq!(runner_settings(Some(Duration::from_secs(2))).len(), 1);
    }
}
