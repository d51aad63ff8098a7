//! Whether and how to colour terminal output: `--color auto` colours a terminal unless
//! `NO_COLOR` is set (no-color.org) or `TERM` is `dumb`.

use crate::cli::ColorChoice;
use std::io::IsTerminal;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub enabled: bool,
}

impl Style {
    pub fn choose(choice: ColorChoice) -> Style {
        let enabled = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
                let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
                !no_color && !dumb && std::io::stdout().is_terminal()
            }
        };
        Style { enabled }
    }

    /// `text` on a grey background whose brightness follows `strength` in [0, 1].
    pub fn shade(self, text: &str, strength: f64) -> String {
        if !self.enabled {
            return text.to_string();
        }
        let strength = if strength.is_finite() {
            strength.clamp(0.0, 1.0)
        } else {
            1.0
        };
        // xterm-256 grey ramp 236..=255: dark for weak activations, bright for strong.
        let background = 236 + (strength * 19.0).round() as u8;
        let foreground = if strength > 0.55 { 16 } else { 255 };
        format!("\x1b[48;5;{background}m\x1b[38;5;{foreground}m{text}\x1b[0m")
    }

    pub fn bold(self, text: &str) -> String {
        if self.enabled {
            format!("\x1b[1m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}
