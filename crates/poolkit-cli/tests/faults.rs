//! Faults the command line survives without losing data: killed with SIGKILL in the middle
//! of writing a large output, a read-only output folder, a full disk, and a folder holding
//! entries that cannot be read. In each case the target path holds either nothing or a
//! complete output, never a partial one, and the error names the file and the cause.
//!
//! Outputs are staged as hidden temporary files (`.NAME.poolkit-tmp-PID-N`) beside their
//! target and renamed into place when complete. SIGKILL cannot be caught, so a killed run
//! leaves its temporary file: hidden, ignored by folder runs, and never mistaken for an
//! output (it is removed with `rm .*.poolkit-tmp-*`).
//!
//! The tests run as root here, where permission bits do not stop reads or writes: the
//! read-only folder and the full disk are small tmpfs mounts (read-only, and 512 KiB), and
//! the unreadable entries are a dangling link, a link loop and a FIFO. Where `mount` is not
//! allowed, those cases say so and are skipped; as a non-root user, `chmod` is used instead.

#![cfg(unix)]

mod common;

use common::{apply, apply_ok, read_npy, stderr_of, write_npy};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// A tmpfs mounted over `dir` with `options`, unmounted when dropped; `None` (with a note)
/// where this process may not mount.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, options: &str) -> Option<Tmpfs> {
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            println!("note: cannot mount a tmpfs here (not root, or no mount): case skipped");
        }
        mounted.then(|| Tmpfs(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// True when permission bits bind this process (they do not for root).
fn permissions_apply(dir: &Path) -> bool {
    let probe = dir.join("probe");
    std::fs::write(&probe, b"x").unwrap();
    std::fs::set_permissions(&probe, std::fs::Permissions::from_mode(0o000)).unwrap();
    let binding = std::fs::read(&probe).is_err();
    std::fs::remove_file(&probe).unwrap();
    binding
}

/// A `[1, 1, side, side]` float32 input of `4 * side²` data bytes.
fn square_input(path: &Path, side: usize) {
    let values: Vec<f32> = (0..side * side).map(|v| (v % 251) as f32).collect();
    write_npy(path, &[1, 1, side, side], &values);
}

#[test]
fn sigkill_in_the_middle_of_a_large_write_leaves_no_partial_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("big.npy");
    // 64 MiB in, 64 MiB out: the output takes a while to encode, write and sync.
    square_input(&input, 4096);
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let target = out_dir.join("pooled.npy");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("poolkit"))
        .arg("apply")
        .arg(&input)
        .arg("-o")
        .arg(&target)
        .args(["--op", "max", "--kernel", "1"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the staged output to hold some bytes, then SIGKILL (Child::kill on Unix).
    let started = Instant::now();
    let staged_bytes = loop {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no output was staged"
        );
        assert!(
            !target.exists(),
            "the run finished before it could be killed"
        );
        let staged = names(&out_dir)
            .into_iter()
            .find(|n| n.contains(".poolkit-tmp-"))
            .and_then(|n| std::fs::metadata(out_dir.join(n)).ok())
            .map_or(0, |m| m.len());
        if staged > 0 {
            break staged;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    child.kill().unwrap();
    let status = child.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(9), "killed by SIGKILL");
    println!("killed with {staged_bytes} of 67108992 bytes staged");
    // The target does not exist; only the hidden temporary file does.
    assert!(!target.exists());
    let left = names(&out_dir);
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].starts_with(".pooled.npy.poolkit-tmp-"), "{left:?}");
    // The next run is not disturbed by the leftover, and produces the complete output.
    apply_ok(&input, &target, &["--op", "max", "--kernel", "2"]);
    let (shape, values) = read_npy::<f32>(&target);
    assert_eq!(shape, [1, 1, 2048, 2048]);
    assert_eq!(values.len(), 2048 * 2048);
    // A folder run over the output folder does not take the leftover for an input.
    let again = dir.path().join("again");
    let stderr = stderr_of(
        &mut apply(&out_dir, &again, &["--op", "max", "--kernel", "2"]),
        0,
    );
    assert!(stderr.contains("1 files: 1 written"), "{stderr}");
}

#[test]
fn a_read_only_output_folder_is_a_clear_error_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("x.npy");
    square_input(&input, 8);
    let read_only = dir.path().join("read-only");
    std::fs::create_dir(&read_only).unwrap();
    let _mount = if permissions_apply(dir.path()) {
        std::fs::set_permissions(&read_only, std::fs::Permissions::from_mode(0o555)).unwrap();
        None
    } else {
        let Some(mount) = Tmpfs::mount(&read_only, "ro,size=64k") else {
            return;
        };
        Some(mount)
    };
    let target = read_only.join("y.npy");
    let stderr = stderr_of(
        &mut apply(&input, &target, &["--op", "avg", "--kernel", "2"]),
        2,
    );
    print!("{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&read_only.display().to_string())
            && (stderr.contains("Read-only file system") || stderr.contains("Permission denied")),
        "{stderr}"
    );
    assert_eq!(names(&read_only), Vec::<String>::new());
}

#[test]
fn a_full_disk_is_a_clear_error_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("x.npy");
    // 1 MiB out (kernel 1), on a 512 KiB file system.
    square_input(&input, 512);
    let small = dir.path().join("small");
    std::fs::create_dir(&small).unwrap();
    let Some(_mount) = Tmpfs::mount(&small, "size=512k") else {
        return;
    };
    // Something already there stays as it was.
    std::fs::write(small.join("keep.txt"), b"kept").unwrap();
    for target in ["y.npy", "z.npy"] {
        let target = small.join(target);
        let stderr = stderr_of(
            &mut apply(&input, &target, &["--op", "max", "--kernel", "1"]),
            2,
        );
        print!("{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains(&format!("writing {}", target.display()))
                && stderr.contains("No space left on device"),
            "{stderr}"
        );
        assert_eq!(names(&small), ["keep.txt"], "no partial or temporary file");
    }
    assert_eq!(std::fs::read(small.join("keep.txt")).unwrap(), b"kept");
}

#[test]
fn a_folder_run_with_unreadable_entries_completes_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in"), dir.path().join("out"));
    std::fs::create_dir(&input).unwrap();
    for name in ["a.npy", "c.npy", "e.npy"] {
        square_input(&input.join(name), 4);
    }
    // As root, chmod does not stop reads: use entries no one can read as files instead.
    std::os::unix::fs::symlink(dir.path().join("gone.npy"), input.join("dangling.npy")).unwrap();
    std::os::unix::fs::symlink(input.join("loop.npy"), input.join("loop.npy")).unwrap();
    let fifo = input.join("pipe.npy");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let mut bad = vec!["dangling.npy", "loop.npy", "pipe.npy"];
    if permissions_apply(dir.path()) {
        square_input(&input.join("locked.npy"), 4);
        std::fs::set_permissions(
            input.join("locked.npy"),
            std::fs::Permissions::from_mode(0o000),
        )
        .unwrap();
        bad.push("locked.npy");
    } else {
        println!("note: running as root, so chmod 000 does not stop reads: no locked file");
    }
    let started = Instant::now();
    let out = apply(
        &input,
        &output,
        &["--op", "max", "--kernel", "2", "--jobs", "2"],
    )
    .timeout(Duration::from_secs(60))
    .assert()
    .code(1)
    .get_output()
    .clone();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the FIFO was not waited on"
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    for name in &bad {
        let line = stderr
            .lines()
            .find(|l| l.contains(&input.join(name).display().to_string()))
            .unwrap_or_else(|| panic!("{name} not reported: {stderr}"));
        println!("{line}");
    }
    assert!(stderr.contains("not a regular file"), "{stderr}");
    assert!(stderr.contains("No such file or directory"), "{stderr}");
    let summary = format!(
        "{} files: 3 written, 0 skipped, {} failed",
        3 + bad.len(),
        bad.len()
    );
    assert!(stderr.contains(&summary), "{stderr}");
    assert_eq!(names(&output), ["a.npy", "c.npy", "e.npy"]);
    for name in ["a.npy", "c.npy", "e.npy"] {
        assert_eq!(read_npy::<f32>(&output.join(name)).0, [1, 1, 2, 2]);
    }
}
