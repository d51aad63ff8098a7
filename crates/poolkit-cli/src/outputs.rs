//! Never lose data: every output is written to a temporary file beside its target and
//! renamed into place only when all of a command's outputs are complete. An existing file
//! is replaced only with `--force`, an output may never be one of the inputs, and a failed
//! or interrupted (Ctrl-C) run removes its temporary files.

use anyhow::{bail, Context, Result};
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Temporary files being written right now, removed if the run is interrupted.
static IN_FLIGHT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static TEMP_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Marks temporary files, so that folder runs never pick one up as an input.
pub const TEMP_MARK: &str = ".poolkit-tmp";

/// On Ctrl-C, removes every temporary file in flight and exits with 130 (128 + SIGINT).
pub fn remove_temporaries_on_interrupt() {
    // Failing to install the handler only loses the cleanup, not correctness: outputs are
    // still never partial, because they appear only by rename.
    let _ = ctrlc::set_handler(|| {
        // The lock is held until exit: no new temporary file can appear meanwhile.
        let paths = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
        for path in paths.iter() {
            let _ = std::fs::remove_file(path);
        }
        std::process::exit(130);
    });
}

/// Refuses a target that exists (without `force`), is a folder, or is one of `inputs`.
pub fn check_target(target: &Path, force: bool, inputs: &[&Path]) -> Result<()> {
    for input in inputs {
        if same_file(target, input) {
            bail!(
                "output {} is the input {}: choose another output path",
                target.display(),
                input.display()
            );
        }
    }
    match std::fs::metadata(target) {
        Ok(meta) if meta.is_dir() => bail!(
            "output {} is a folder: give a file name, or end a folder output with /",
            target.display()
        ),
        Ok(_) if !force => bail!(
            "output {} already exists: pass --force to overwrite it",
            target.display()
        ),
        _ => Ok(()),
    }
}

/// True when `a` and `b` name the same file (through links and `..` alike), or the same
/// path when neither exists yet.
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(ma), Ok(mb)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return ma.dev() == mb.dev() && ma.ino() == mb.ino();
        }
    }
    match (absolute_lexical(a), absolute_lexical(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// The absolute path with its parent resolved through the file system where it exists.
fn absolute_lexical(path: &Path) -> Option<PathBuf> {
    if let Ok(full) = path.canonicalize() {
        return Some(full);
    }
    let name = path.file_name()?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Some(parent.canonicalize().ok()?.join(name))
}

/// Outputs written to temporary files, waiting to be renamed into place together.
#[derive(Default)]
pub struct Staged {
    files: Vec<(PathBuf, PathBuf)>,
}

impl Staged {
    pub fn new() -> Self {
        Staged::default()
    }

    /// Writes one output to a temporary file beside `target`.
    pub fn write(
        &mut self,
        target: &Path,
        write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
    ) -> Result<()> {
        if self.files.iter().any(|(_, t)| same_file(t, target)) {
            bail!(
                "{} is named for two outputs: give each output its own path",
                target.display()
            );
        }
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let name = target
            .file_name()
            .with_context(|| format!("output {} has no file name", target.display()))?;
        let temp = dir.join(format!(
            ".{}{TEMP_MARK}-{}-{}",
            name.to_string_lossy(),
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let file = create_tracked(&temp)
            .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
        self.files.push((temp.clone(), target.to_path_buf()));
        let mut writer = BufWriter::new(file);
        write(&mut writer).with_context(|| format!("writing {}", target.display()))?;
        writer
            .flush()
            .with_context(|| format!("writing {}", target.display()))?;
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()
            .with_context(|| format!("writing {}", target.display()))?;
        Ok(())
    }

    /// Renames every staged output into place.
    pub fn commit(mut self, force: bool) -> Result<()> {
        for (_, target) in &self.files {
            // Checked again: another process may have created it since the run began.
            if !force && target.exists() {
                bail!(
                    "output {} already exists: pass --force to overwrite it",
                    target.display()
                );
            }
        }
        let files = std::mem::take(&mut self.files);
        for (i, (temp, target)) in files.iter().enumerate() {
            if let Err(err) = std::fs::rename(temp, target) {
                for (rest, _) in &files[i..] {
                    let _ = std::fs::remove_file(rest);
                    untrack(rest);
                }
                return Err(err)
                    .with_context(|| format!("moving the output into {}", target.display()));
            }
            untrack(temp);
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        for (temp, _) in &self.files {
            let _ = std::fs::remove_file(temp);
            untrack(temp);
        }
    }
}

/// Creates `path` while holding the in-flight list, so that the interrupt handler (which
/// holds it until the process exits) sees every temporary file that exists.
fn create_tracked(path: &Path) -> std::io::Result<File> {
    let mut paths = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
    let file = OpenOptions::new().write(true).create_new(true).open(path)?;
    paths.push(path.to_path_buf());
    Ok(file)
}

fn untrack(path: &Path) {
    if let Ok(mut paths) = IN_FLIGHT.lock() {
        paths.retain(|p| p != path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_write_leaves_nothing() {
        let dir = std::env::temp_dir().join(format!("poolkit-outputs-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("out.bin");
        {
            let mut staged = Staged::new();
            let err = staged
                .write(&target, |_| bail!("encoder gave up"))
                .unwrap_err();
            assert!(format!("{err:#}").contains("encoder gave up"));
        }
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        let mut staged = Staged::new();
        staged.write(&target, |w| Ok(w.write_all(b"ok")?)).unwrap();
        staged.commit(false).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"ok");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
