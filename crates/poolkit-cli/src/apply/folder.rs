//! Folder runs: every `.npy` and image file under a folder, pooled in parallel into a
//! mirrored tree. A file that fails is reported at the end with its reason while the rest
//! complete; the run then exits 1. `--skip-existing` resumes an interrupted run.

use super::single::{pool_file, FileOutcome};
use super::{is_plain_pooling, level_targets, POOL_OPS};
use crate::cli::ApplyArgs;
use crate::op_spec::op_names;
use crate::outputs::{same_file, TEMP_MARK};
use crate::progress::Progress;
use crate::Outcome;
use anyhow::{bail, Context, Result};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

pub fn run(args: &ApplyArgs) -> Result<Outcome> {
    let input = args.input.as_path();
    if !is_plain_pooling(args) {
        bail!(
            "{} is a folder: folders take plain pooling ({}); --indices, --rois and gradients \
             work on one .npy file",
            input.display(),
            op_names(POOL_OPS)
        );
    }
    let out_dir = args
        .output
        .as_deref()
        .context("a folder input needs -o OUT/ naming the output folder")?;
    if out_dir.is_file() {
        bail!(
            "output {} is a file but input {} is a folder: give an output folder",
            out_dir.display(),
            input.display()
        );
    }
    if same_file(out_dir, input) {
        bail!(
            "output folder {} is the input folder: choose another folder",
            out_dir.display()
        );
    }
    let files = collect_files(input, args.recursive, out_dir)?;
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("creating the output folder {}", out_dir.display()))?;
    let jobs = args
        .jobs
        .map(|j| j as usize)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, files.len().max(1));
    let total_bytes = files.iter().map(|(_, size)| size).sum();
    let show_bar = !args.quiet && std::io::stderr().is_terminal();
    let mut progress = Progress::new(files.len(), total_bytes, show_bar);
    let next = AtomicUsize::new(0);
    let (sender, receiver) = mpsc::channel();
    let mut failures: Vec<(PathBuf, anyhow::Error)> = Vec::new();
    let (mut written, mut skipped) = (0usize, 0usize);
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let sender = sender.clone();
            let (files, next) = (&files, &next);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((path, size)) = files.get(i) else {
                    break;
                };
                let result = process(args, input, out_dir, path);
                if sender.send((i, *size, result)).is_err() {
                    break;
                }
            });
        }
        drop(sender);
        for (i, size, result) in receiver {
            progress.advance(size);
            match result {
                Ok(FileOutcome::Written) => written += 1,
                Ok(FileOutcome::Skipped) => skipped += 1,
                Err(err) => failures.push((files[i].0.clone(), err)),
            }
        }
    });
    progress.finish();
    failures.sort_by(|a, b| a.0.cmp(&b.0));
    let mut stderr = std::io::stderr().lock();
    for (path, err) in &failures {
        // Most messages already name their file; others get it in front.
        let message = format!("{err:#}");
        let name = path.display().to_string();
        if message.contains(&name) {
            let _ = writeln!(stderr, "poolkit: {message}");
        } else {
            let _ = writeln!(stderr, "poolkit: {name}: {message}");
        }
    }
    if !args.quiet {
        let _ = writeln!(
            stderr,
            "poolkit: {} files: {written} written, {skipped} skipped, {} failed",
            files.len(),
            failures.len()
        );
    }
    Ok(if failures.is_empty() {
        Outcome::Success
    } else {
        Outcome::SomeFailed
    })
}

/// Pools one file of the folder into its place in the mirrored tree.
fn process(args: &ApplyArgs, root: &Path, out_dir: &Path, path: &Path) -> Result<FileOutcome> {
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if !meta.is_file() {
        // Reading a FIFO or a device could wait forever.
        bail!(
            "{} is not a regular file (a FIFO, socket or device): only files are pooled",
            path.display()
        );
    }
    let relative = path.strip_prefix(root).unwrap_or(path);
    let folder = match relative.parent() {
        Some(p) => out_dir.join(p),
        None => out_dir.to_path_buf(),
    };
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("creating the output folder {}", folder.display()))?;
    pool_file(args, path, &level_targets(path, &folder, args))
}

/// Every entry under `root` with a supported extension that is not a folder (sorted, with
/// sizes), skipping hidden entries, poolkit's own temporary files, folder links, and the
/// output folder itself.
fn collect_files(root: &Path, recursive: bool, out_dir: &Path) -> Result<Vec<(PathBuf, u64)>> {
    let mut files = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name.contains(TEMP_MARK) {
                continue;
            }
            let kind = entry.file_type()?;
            if kind.is_dir() {
                if recursive && !same_file(&path, out_dir) {
                    pending.push(path);
                }
            } else if is_supported(&path) && !std::fs::metadata(&path).is_ok_and(|m| m.is_dir()) {
                // Entries that cannot be read as files (dangling links, FIFOs, ...) are kept,
                // so that `process` reports each one instead of dropping it silently.
                let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                files.push((path, size));
            }
        }
    }
    files.sort();
    Ok(files)
}

fn is_supported(path: &Path) -> bool {
    crate::imageio::extension(path).as_deref() == Some("npy") || crate::imageio::is_image_path(path)
}
