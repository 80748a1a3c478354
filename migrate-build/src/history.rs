//! [`History`]: checking a migration history file by file, in version order,
//! against the schema model the earlier files built (see [`Schema`]).

use crate::check::FileCheck;
use crate::layout::TxRule;
use crate::schema::catalog::Catalog;
use crate::{Config, Direction, Schema};

/// The migrations checked so far and the schema they built. Each up file
/// changes the model; a down file is checked against the schema after its
/// up, then undone (the next migration starts from the schema after the up).
///
/// ```
/// use pgmigrate_build::{Config, History};
/// let mut history = History::new(Config::new());
/// history.up("0001_a.up.sql", b"CREATE TABLE a (id bigint);");
/// let check = history.up("0002_b.up.sql", b"INSERT INTO b VALUES (1);");
/// assert!(check.has_errors()); // relation `b` does not exist
/// ```
#[derive(Debug, Clone)]
pub struct History {
    config: Config,
    model: Catalog,
}

impl History {
    /// An empty database: no migration applied yet.
    pub fn new(config: Config) -> History {
        let mut model = Catalog::empty(true);
        if let Some(history) = config.history_name() {
            // The runner's own table exists without a migration creating it.
            model.taint(history);
        }
        History { config, model }
    }

    /// Checks the next up file (`display_path` names it) and applies it.
    pub fn up(&mut self, display_path: &str, bytes: &[u8]) -> FileCheck {
        self.up_part(display_path, bytes, TxRule::Directive, true)
    }

    /// [`History::up`] with the transaction rule of a layout; `down_follows`:
    /// whether [`History::down`] will be called for it (its changes are then
    /// journaled, so that the down can be compared with the schema before it).
    pub(crate) fn up_part(
        &mut self,
        display_path: &str,
        bytes: &[u8],
        tx: TxRule,
        down_follows: bool,
    ) -> FileCheck {
        if down_follows {
            self.model.start_journal();
        } else {
            self.model.stop_journal();
        }
        let check = self
            .config
            .check_part(display_path, bytes, Direction::Up, tx, &mut self.model);
        if check.sql.is_none() {
            // A file the model could not read: it may have done anything.
            self.model.taint_everything();
        }
        check
    }

    /// Checks the down file of the last up file against the schema after that
    /// up, and whether it restores the schema before that up
    /// (`incomplete-down`); the model is left as it was.
    pub fn down(&mut self, display_path: &str, bytes: &[u8]) -> FileCheck {
        self.down_part(display_path, bytes, TxRule::Directive)
    }

    /// [`History::down`] with the transaction rule of a layout.
    pub(crate) fn down_part(&mut self, display_path: &str, bytes: &[u8], tx: TxRule) -> FileCheck {
        // The up's journal, when kept, lets the down be compared with the
        // schema before the up; else the down is only journaled to be undone.
        let after_up = self.model.journaling();
        if !after_up {
            self.model.start_journal();
        }
        let mark = self.model.segment();
        self.model.down_from = after_up.then_some(mark);
        let check =
            self.config
                .check_part(display_path, bytes, Direction::Down, tx, &mut self.model);
        self.model.down_from = None;
        self.model.rollback_to(mark);
        if !after_up {
            self.model.stop_journal();
        }
        check
    }

    /// The modelled schema now (a copy).
    pub fn schema(&self) -> Schema {
        Schema {
            catalog: self.model.clone(),
        }
    }

    /// The facts of the modelled schema now (see [`Schema::facts`]), without
    /// copying the model.
    pub fn facts(&self) -> std::collections::BTreeSet<String> {
        Schema::facts_of(&self.model)
    }

    /// Whether the model claims to know a fact (see [`Schema::claims`]).
    pub fn claims(&self, fact: &str) -> bool {
        Schema::claims_of(&self.model, fact)
    }

    /// Makes everything unknown (e.g. after a file the caller could not run).
    pub fn forget(&mut self) {
        self.model.taint_everything();
    }

    pub(crate) fn into_schema(self) -> Schema {
        Schema {
            catalog: self.model,
        }
    }
}
