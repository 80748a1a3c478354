//! `pgmigrate`: the command line for compile-time checked PostgreSQL migrations.
//!
//! Exit codes: 0 success; 1 a check failed (lint deny finding, verify mismatch,
//! `status --exit-code` with something pending or broken); 2 usage,
//! configuration, connection or runtime error.

mod backup;
mod cli;
mod commands;
mod connect;
mod dotenv;
mod error;
mod foreign;
mod load;
mod logger;
mod output;
mod redact;
mod schema;
mod settings;

use std::process::ExitCode;

use clap::Parser;

use crate::error::{CliError, EXIT_ERROR};
use crate::output::{Out, Style};

fn main() -> ExitCode {
    install_panic_hook();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help / --version exit 0, usage errors exit 2; clap's text never
            // contains a value we did not echo, but redact it anyway.
            let code = e.exit_code();
            let text = redact::redact_patterns(&e.render().to_string());
            if e.use_stderr() {
                eprint!("{text}");
            } else {
                print!("{text}");
            }
            return ExitCode::from(u8::try_from(code).unwrap_or(EXIT_ERROR));
        }
    };
    let out = Out::new(&cli.global);
    logger::install(out);
    match commands::run(&cli, &out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            report(&e, &out);
            ExitCode::from(e.code)
        }
    }
}

/// Prints an error as one line (plus a help line), redacted.
fn report(e: &CliError, out: &Out) {
    if e.message.is_empty() {
        return;
    }
    let label = if e.code == error::EXIT_CHECK {
        out.paint(Style::Red, "failed")
    } else {
        out.paint(Style::Red, "error")
    };
    eprintln!("{label}: {}", redact::redact(&e.message));
    if let Some(help) = &e.help {
        eprintln!(
            "  {}: {}",
            out.paint(Style::Cyan, "help"),
            redact::redact(help)
        );
    }
}

/// A panic prints one redacted line and exits with 2, never a backtrace that
/// could carry a connection string.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "error: internal error{location}: {}",
            redact::redact(&payload).replace('\n', " ")
        );
        eprintln!("  help: this is a bug in migrate; please report it with the command you ran");
        std::process::exit(i32::from(EXIT_ERROR));
    }));
}
