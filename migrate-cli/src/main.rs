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
mod github;
mod interrupt;
mod load;
mod logger;
mod output;
mod pgenv;
mod redact;
mod sarif;
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
            // --help / --version exit 0 and are printed as written (the
            // help's example URLs are examples, not secrets); usage errors
            // exit 2 and may echo a connection string given on the line.
            let code = e.exit_code();
            let text = e.render().to_string();
            if e.use_stderr() {
                eprint!("{}", redact::redact_patterns(&text));
            } else {
                print!("{text}");
            }
            return ExitCode::from(u8::try_from(code).unwrap_or(EXIT_ERROR));
        }
    };
    let out = Out::new(&cli.global);
    logger::install(out);
    interrupt::install();
    let result = commands::run(&cli, &out);
    interrupt::wait_if_stopping();
    if interrupt::stdout_closed() {
        // The reader went away (`| head`): nothing more to say.
        return ExitCode::from(interrupt::EXIT_BROKEN_PIPE);
    }
    match result {
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
    // Messages may quote values read from the database: no ANSI sequences.
    let message = output::escape_control_keep_newlines(&redact::redact(&e.message));
    eprintln!("{label}: {message}");
    if let Some(help) = &e.help {
        eprintln!(
            "  {}: {}",
            out.paint(Style::Cyan, "help"),
            output::escape_control_keep_newlines(&redact::redact(help))
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
        // `print!` on a closed stdout (`| head`) is not a bug: end quietly.
        if payload.starts_with("failed printing to stdout") {
            std::process::exit(i32::from(interrupt::EXIT_BROKEN_PIPE));
        }
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "error: internal error{location}: {}",
            redact::redact_connection_text(&payload).replace('\n', " ")
        );
        eprintln!("  help: this is a bug in migrate; please report it with the command you ran");
        std::process::exit(i32::from(EXIT_ERROR));
    }));
}
