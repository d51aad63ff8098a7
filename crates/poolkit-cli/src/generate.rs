//! Shell completions and man pages, generated from the same clap definitions as `--help`.

use crate::cli::{Cli, Shell};
use crate::Outcome;
use anyhow::{bail, Result};
use clap::CommandFactory;
use std::io::Write;

pub fn completions(shell: Shell) -> Result<Outcome> {
    use clap_complete::Shell as S;
    let target = match shell {
        Shell::Bash => S::Bash,
        Shell::Zsh => S::Zsh,
        Shell::Fish => S::Fish,
        Shell::Elvish => S::Elvish,
        Shell::Powershell => S::PowerShell,
    };
    let mut script = Vec::new();
    clap_complete::generate(target, &mut Cli::command(), "poolkit", &mut script);
    std::io::stdout().lock().write_all(&script)?;
    Ok(Outcome::Success)
}

/// The man page of `poolkit`, or of one subcommand (`poolkit man apply` = poolkit-apply(1)).
pub fn man_page(subcommand: Option<&str>) -> Result<Outcome> {
    let root = Cli::command();
    let command = match subcommand {
        None => root,
        Some(name) => {
            let names: Vec<String> = root
                .get_subcommands()
                .map(|s| s.get_name().to_string())
                .collect();
            match root.find_subcommand(name) {
                Some(sub) => {
                    let full = format!("poolkit-{name}");
                    sub.clone().name(full).version(env!("CARGO_PKG_VERSION"))
                }
                None => bail!(
                    "no subcommand {name:?}: man pages exist for {}",
                    names.join(", ")
                ),
            }
        }
    };
    let mut page = Vec::new();
    clap_mangen::Man::new(command).render(&mut page)?;
    std::io::stdout().lock().write_all(&page)?;
    Ok(Outcome::Success)
}
