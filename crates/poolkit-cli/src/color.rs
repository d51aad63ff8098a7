//! Colour on the terminal, through anstream and anstyle (the crates clap colours its own help
//! with): `--color auto` colours a terminal unless `NO_COLOR` is set or `TERM` is `dumb`,
//! `CLICOLOR_FORCE` forces it, `always` and `never` decide outright. The choice also reaches
//! clap, so `--help` and usage errors follow it.

use crate::cli::ColorChoice;
use anstyle::{Ansi256Color, Style as Look};

/// Writes styled text; anstream's stdout drops the styles where colour is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style;

impl Style {
    /// Makes `choice` the process's colour choice (anstream's global) and returns the
    /// styler.
    pub fn choose(choice: ColorChoice) -> Style {
        anstream_choice(choice).write_global();
        Style
    }

    /// `text` on a grey background whose brightness follows `strength` in [0, 1].
    pub fn shade(self, text: &str, strength: f64) -> String {
        let strength = if strength.is_finite() {
            strength.clamp(0.0, 1.0)
        } else {
            1.0
        };
        // xterm-256 grey ramp 236..=255: dark for weak activations, bright for strong.
        let background = 236 + (strength * 19.0).round() as u8;
        let foreground = if strength > 0.55 { 16 } else { 255 };
        let look = Look::new()
            .bg_color(Some(Ansi256Color(background).into()))
            .fg_color(Some(Ansi256Color(foreground).into()));
        format!("{look}{text}{look:#}")
    }

    pub fn bold(self, text: &str) -> String {
        let look = Look::new().bold();
        format!("{look}{text}{look:#}")
    }
}

/// The flag's value as anstream's choice.
pub fn anstream_choice(choice: ColorChoice) -> anstream::ColorChoice {
    match choice {
        ColorChoice::Auto => anstream::ColorChoice::Auto,
        ColorChoice::Always => anstream::ColorChoice::Always,
        ColorChoice::Never => anstream::ColorChoice::Never,
    }
}

/// The flag's value as clap's choice, for `--help` and usage errors.
pub fn clap_choice(choice: ColorChoice) -> clap::ColorChoice {
    match choice {
        ColorChoice::Auto => clap::ColorChoice::Auto,
        ColorChoice::Always => clap::ColorChoice::Always,
        ColorChoice::Never => clap::ColorChoice::Never,
    }
}

/// The `--color` value in `args` before clap has parsed them (clap needs it to colour its
/// own help); the default when absent or unreadable, which clap then reports.
pub fn early_choice(args: &[std::ffi::OsString]) -> ColorChoice {
    use clap::ValueEnum;
    let mut value = None;
    let mut iter = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(arg) = iter.next() {
        if arg == "--" {
            break;
        }
        if arg == "--color" {
            value = iter.next().map(|v| v.into_owned());
        } else if let Some(v) = arg.strip_prefix("--color=") {
            value = Some(v.to_string());
        }
    }
    value
        .and_then(|v| ColorChoice::from_str(&v, true).ok())
        .unwrap_or(ColorChoice::Auto)
}
