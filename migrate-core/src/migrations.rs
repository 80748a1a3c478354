//! [`Migrations`]: the ordered list plus the runner settings.

use std::borrow::Cow;
use std::time::Duration;

use crate::model::{HistoryTable, Migration, RunnerSettings};

/// Runner options. Build them with the methods on [`Migrations`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Where applied migrations are recorded.
    pub history_table: HistoryTable,
    /// How long to wait for another runner's advisory lock before giving up.
    pub lock_wait: Duration,
    /// `SET lock_timeout` applied to every migration, when set.
    pub lock_timeout: Option<Duration>,
    /// `SET statement_timeout` applied to every migration, when set.
    pub statement_timeout: Option<Duration>,
    /// Apply a pending migration older than the newest applied one instead of refusing.
    pub allow_out_of_order: bool,
    /// `lock_timeout` of the runner's own statements on the history table
    /// (creating, reading and writing it): how long they wait for a lock that
    /// another session holds on it before failing with its pid.
    pub history_lock_timeout: Duration,
    /// While the runner holds the lock, the server drops its connection after
    /// about this long without an answer from it (TCP keepalive and
    /// `tcp_user_timeout` of the runner's session), which releases the lock of
    /// a runner whose link went silent. `None`: the server's own settings
    /// (about two hours by default).
    pub keepalive: Option<Duration>,
    /// The environment the runner works in (`dev`, `production`, ...), for
    /// migrations restricted with `-- migrate:only`; `None`: not told (such a
    /// migration is then refused rather than guessed).
    pub environment: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            history_table: HistoryTable::default(),
            lock_wait: Duration::from_secs(300),
            lock_timeout: None,
            statement_timeout: None,
            allow_out_of_order: false,
            history_lock_timeout: Duration::from_secs(10),
            keepalive: Some(Duration::from_secs(60)),
            environment: None,
        }
    }
}

/// An ordered, checksummed list of migrations and the settings to run them with.
///
/// Get one from `pgmigrate_core::migrations!()`; the executor methods
/// (`up`, `down`, `status`, ...) live on this type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrations {
    migrations: Cow<'static, [Migration]>,
    settings: Settings,
}

impl Migrations {
    /// Wraps a list that is already sorted by version with unique versions
    /// (as generated code and the `pgmigrate-build` loader produce it).
    pub fn new(migrations: impl Into<Cow<'static, [Migration]>>) -> Self {
        Migrations {
            migrations: migrations.into(),
            settings: Settings::default(),
        }
    }

    /// The migrations, sorted by version.
    pub fn migrations(&self) -> &[Migration] {
        &self.migrations
    }

    /// The settings the executor uses.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Replaces all settings at once.
    pub fn with_settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// Records history in `name` (in the connection's `search_path`).
    pub fn history_table(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.settings.history_table = HistoryTable {
            schema: None,
            name: name.into(),
        };
        self
    }

    /// Records history in `schema.name`; both are quoted, any characters are allowed.
    pub fn history_table_in_schema(
        mut self,
        schema: impl Into<Cow<'static, str>>,
        name: impl Into<Cow<'static, str>>,
    ) -> Self {
        self.settings.history_table = HistoryTable {
            schema: Some(schema.into()),
            name: name.into(),
        };
        self
    }

    /// Applies the settings of the project's `migrate.toml` (as
    /// `pgmigrate_build` reads them): each one given replaces the current
    /// value; `allow_out_of_order` always does.
    pub fn with_runner_settings(mut self, runner: &RunnerSettings) -> Self {
        if let Some(history) = &runner.history {
            self.settings.history_table = history.clone();
        }
        if let Some(wait) = runner.lock_wait {
            self.settings.lock_wait = wait;
        }
        if runner.lock_timeout.is_some() {
            self.settings.lock_timeout = runner.lock_timeout;
        }
        if runner.statement_timeout.is_some() {
            self.settings.statement_timeout = runner.statement_timeout;
        }
        self.allow_out_of_order(runner.allow_out_of_order)
    }

    /// How long to wait for another runner's advisory lock (default 5 minutes).
    pub fn lock_wait(mut self, wait: Duration) -> Self {
        self.settings.lock_wait = wait;
        self
    }

    /// Sets `lock_timeout` for every migration: a statement waiting longer for a
    /// table lock fails instead of queueing every other query behind it.
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.settings.lock_timeout = Some(timeout);
        self
    }

    /// Sets `statement_timeout` for every migration.
    pub fn statement_timeout(mut self, timeout: Duration) -> Self {
        self.settings.statement_timeout = Some(timeout);
        self
    }

    /// How long the runner's own statements on the history table wait for a
    /// lock another session holds on it (default 10 seconds).
    pub fn history_lock_timeout(mut self, timeout: Duration) -> Self {
        self.settings.history_lock_timeout = timeout;
        self
    }

    /// How long a silent connection of the runner may keep the lock (default
    /// one minute; `None`: the server's TCP settings). See [`Settings::keepalive`].
    pub fn keepalive(mut self, keepalive: Option<Duration>) -> Self {
        self.settings.keepalive = keepalive;
        self
    }

    /// Allows applying a pending migration older than the newest applied one.
    pub fn allow_out_of_order(mut self, allow: bool) -> Self {
        self.settings.allow_out_of_order = allow;
        self
    }

    /// Tells the runner its environment: a migration whose `-- migrate:only`
    /// list lacks it is recorded as skipped instead of applied, and a skipped
    /// one whose list has it is applied.
    pub fn environment(mut self, environment: impl Into<String>) -> Self {
        self.settings.environment = Some(environment.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runner_settings_replace_what_they_set() {
        let base = Migrations::new(Vec::new())
            .lock_timeout(Duration::from_secs(1))
            .allow_out_of_order(true);
        let same = base.clone().with_runner_settings(&RunnerSettings {
            allow_out_of_order: true,
            ..RunnerSettings::default()
        });
        assert_eq!(same, base);
        let runner = RunnerSettings {
            history: Some(HistoryTable {
                schema: Some("ops".into()),
                name: "history".into(),
            }),
            lock_wait: Some(Duration::from_secs(7)),
            lock_timeout: None,
            statement_timeout: Some(Duration::from_millis(500)),
            allow_out_of_order: false,
        };
        let s = base.with_runner_settings(&runner).settings().clone();
        assert_eq!(s.history_table, runner.history.unwrap());
        assert_eq!(s.lock_wait, Duration::from_secs(7));
        assert_eq!(s.lock_timeout, Some(Duration::from_secs(1)));
        assert_eq!(s.statement_timeout, Some(Duration::from_millis(500)));
        assert!(!s.allow_out_of_order);
    }
}
