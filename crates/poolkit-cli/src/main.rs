//! The `poolkit` binary: a thin shell over the poolkit library. It parses arguments, runs
//! one subcommand, and turns the outcome into an exit code: 0 success, 1 some items of a
//! folder failed, 2 usage or input error. A closed stdout (`poolkit compare | head -1`)
//! ends the run quietly with 0.

mod apply;
mod bench_cmd;
mod cli;
mod color;
mod compare_cmd;
mod generate;
mod op_spec;
mod outputs;
mod progress;
mod shape_cmd;

use poolkit_cli::{any_tensor, imageio, npy};

use std::io::Write;
use std::process::ExitCode;

/// How a subcommand that ran to the end went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything asked for was done.
    Success,
    /// Some items of a batch failed (each was reported); the rest were done.
    SomeFailed,
}

fn main() -> ExitCode {
    use clap::{CommandFactory, FromArgMatches};
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // The colour choice first, so that clap's help and errors follow it too.
    let early = color::early_choice(&args);
    let style = color::Style::choose(early);
    let command = cli::Cli::command()
        .color(color::clap_choice(early))
        .styles(clap::builder::styling::Styles::styled());
    let cli = match command
        .try_get_matches_from(&args)
        .and_then(|m| cli::Cli::from_arg_matches(&m))
    {
        Ok(cli) => cli,
        Err(err) => return usage_error(err),
    };
    let result = match cli.command {
        cli::Command::Apply(args) => apply::run(&args),
        cli::Command::Shape(args) => shape_cmd::run(&args),
        cli::Command::Compare(args) => compare_cmd::run(&args, style),
        cli::Command::Explore(args) => explore(args),
        cli::Command::Bench(args) => bench_cmd::run(&args),
        cli::Command::Completions(args) => generate::completions(args.shell),
        cli::Command::Man(args) => generate::man_page(args.subcommand.as_deref()),
    };
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::SomeFailed) => ExitCode::from(1),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            // `{:#}` joins the context chain on one line: "reading x.npy: truncated ...".
            let _ = writeln!(std::io::stderr(), "poolkit: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// Serves the explorer until Ctrl-C.
fn explore(args: cli::ExploreArgs) -> anyhow::Result<Outcome> {
    use anyhow::Context;
    let address = format!("{}:{}", args.host, args.port);
    poolkit_explorer::serve(poolkit_explorer::ServeOptions {
        host: args.host,
        port: args.port,
        open: args.open,
    })
    .with_context(|| format!("serving the explorer on {address}"))?;
    Ok(Outcome::Success)
}

/// Prints clap's verdict: help and version to stdout with 0, a usage error as one line with 2.
fn usage_error(err: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = err.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = err.print();
            ExitCode::from(2)
        }
        _ => {
            let text = err.to_string();
            let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
            let first = lines.next().unwrap_or("invalid arguments");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            let tip = lines
                .find_map(|l| l.strip_prefix("tip: "))
                .map(|t| format!(" ({t})"))
                .unwrap_or_default();
            let _ = writeln!(std::io::stderr(), "poolkit: {first}{tip}");
            ExitCode::from(2)
        }
    }
}

/// True when the failure was writing to a reader that went away.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
