//! A one-line progress bar for folder runs: files done / total, throughput and ETA, drawn
//! on stderr only when stderr is a terminal, so pipes and logs stay clean, and cut to the
//! terminal's width so that a narrow window never wraps it onto new lines.

use std::io::Write;
use std::time::{Duration, Instant};

pub struct Progress {
    total: usize,
    total_bytes: u64,
    done: usize,
    done_bytes: u64,
    started: Instant,
    last_draw: Option<Instant>,
    enabled: bool,
}

impl Progress {
    /// A bar over `total` files of `total_bytes`; draws only when `enabled`.
    pub fn new(total: usize, total_bytes: u64, enabled: bool) -> Self {
        Progress {
            total,
            total_bytes,
            done: 0,
            done_bytes: 0,
            started: Instant::now(),
            last_draw: None,
            enabled,
        }
    }

    /// Counts one more file of `bytes` as done and redraws, at most ten times a second.
    pub fn advance(&mut self, bytes: u64) {
        self.done += 1;
        self.done_bytes += bytes;
        let now = Instant::now();
        let due = match self.last_draw {
            None => true,
            Some(t) => now.duration_since(t) >= Duration::from_millis(100),
        };
        if self.enabled && (due || self.done == self.total) {
            self.last_draw = Some(now);
            let width = terminal_size::terminal_size_of(std::io::stderr())
                .map_or(80, |(terminal_size::Width(w), _)| usize::from(w));
            let _ = write!(
                std::io::stderr(),
                "\r\x1b[2K{}",
                fit(&self.line(now), width)
            );
        }
    }

    /// Clears the bar so that the report that follows starts on a clean line.
    pub fn finish(&self) {
        if self.enabled && self.last_draw.is_some() {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }

    fn line(&self, now: Instant) -> String {
        const WIDTH: usize = 24;
        let fraction = if self.total == 0 {
            1.0
        } else {
            self.done as f64 / self.total as f64
        };
        let filled = ((fraction * WIDTH as f64) as usize).min(WIDTH);
        let secs = now.duration_since(self.started).as_secs_f64().max(1e-3);
        let files_per_s = self.done as f64 / secs;
        let mb_per_s = self.done_bytes as f64 / secs / 1e6;
        let eta = if self.done_bytes > 0 && self.done < self.total {
            let left = self.total_bytes.saturating_sub(self.done_bytes) as f64;
            format!("ETA {}", clock(left / (self.done_bytes as f64 / secs)))
        } else {
            String::new()
        };
        format!(
            "[{}{}] {}/{} files  {files_per_s:.1} files/s  {mb_per_s:.1} MB/s  {eta}",
            "#".repeat(filled),
            "-".repeat(WIDTH - filled),
            self.done,
            self.total
        )
    }
}

/// `line` cut to fit `width` columns, one spare so the cursor never wraps.
fn fit(line: &str, width: usize) -> String {
    let room = width.saturating_sub(1);
    let trimmed = line.trim_end();
    if trimmed.chars().count() <= room {
        return trimmed.to_string();
    }
    trimmed.chars().take(room).collect()
}

/// `75.0` seconds as `1m15s`.
fn clock(seconds: f64) -> String {
    let s = seconds.round() as u64;
    if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_shows_count_rate_and_eta() {
        let mut p = Progress::new(4, 400, false);
        p.advance(100);
        let line = p.line(p.started + Duration::from_secs(2));
        assert!(
            line.starts_with("[######------------------] 1/4 files  0.5 files/s"),
            "{line}"
        );
        assert!(line.ends_with("ETA 6s"), "{line}");
        assert_eq!(clock(75.0), "1m15s");
    }

    #[test]
    fn a_narrow_terminal_gets_a_cut_line() {
        let line = "[######------------------] 1/4 files  0.5 files/s  0.0 MB/s  ETA 6s";
        assert_eq!(fit(line, 20), "[######------------");
        assert_eq!(fit(line, 20).chars().count(), 19);
        assert_eq!(fit(line, 200), line);
        assert_eq!(fit(line, 0), "");
    }
}
