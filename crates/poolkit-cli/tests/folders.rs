//! Folder runs: a mirrored tree, failures reported at the end while the rest complete,
//! and resuming an interrupted run with `--skip-existing`.

mod common;

use common::{apply, read_npy, stderr_of, write_npy};
use image::GrayImage;
use std::path::{Path, PathBuf};

fn grey(path: &Path, side: u32) {
    let pixels: Vec<u8> = (0..side * side).map(|v| (v * 7 % 251) as u8).collect();
    GrayImage::from_raw(side, side, pixels)
        .unwrap()
        .save(path)
        .unwrap();
}

/// Every file under `dir`, relative, sorted.
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        // A run in progress may not have created the folder yet.
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                pending.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

fn make_tree(root: &Path) {
    std::fs::create_dir_all(root.join("sub/deep")).unwrap();
    grey(&root.join("a.png"), 8);
    grey(&root.join("sub/b.png"), 6);
    write_npy(
        &root.join("sub/deep/c.npy"),
        &[1, 1, 4, 4],
        &(0..16).map(|v| v as f32).collect::<Vec<_>>(),
    );
    std::fs::write(root.join("bad.png"), b"\x89PNG\r\n\x1a\nthis is not a png").unwrap();
    std::fs::write(root.join("notes.txt"), b"not an input").unwrap();
}

#[test]
fn one_corrupt_file_fails_alone_and_the_tree_is_mirrored() {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in"), dir.path().join("out"));
    make_tree(&input);
    let stderr = stderr_of(
        &mut apply(
            &input,
            &output,
            &["--recursive", "--jobs", "2", "--op", "max", "--kernel", "2"],
        ),
        1,
    );
    let failures: Vec<&str> = stderr.lines().filter(|l| l.contains("bad.png")).collect();
    assert_eq!(failures.len(), 1, "{stderr}");
    assert!(failures[0].contains("decoding"), "{stderr}");
    assert!(
        stderr.contains("4 files: 3 written, 0 skipped, 1 failed"),
        "{stderr}"
    );
    assert_eq!(tree(&output), vec!["a.png", "sub/b.png", "sub/deep/c.npy"]);
    assert_eq!(image::open(output.join("a.png")).unwrap().width(), 4);
    assert_eq!(image::open(output.join("sub/b.png")).unwrap().width(), 3);
    let (shape, values) = read_npy::<f32>(&output.join("sub/deep/c.npy"));
    assert_eq!((shape, values), (vec![1, 1, 2, 2], vec![5., 7., 13., 15.]));
}

#[test]
fn without_recursive_only_the_top_level_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in"), dir.path().join("out"));
    make_tree(&input);
    std::fs::remove_file(input.join("bad.png")).unwrap();
    apply(
        &input,
        &output,
        &["--op", "avg", "--kernel", "2", "--format", "npy", "--quiet"],
    )
    .assert()
    .success()
    .stderr("");
    assert_eq!(tree(&output), vec!["a.npy"]);
}

#[test]
fn skip_existing_resumes_and_keeps_what_was_done() {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in"), dir.path().join("out"));
    std::fs::create_dir_all(&input).unwrap();
    for i in 0..5 {
        grey(&input.join(format!("img{i}.png")), 4);
    }
    // An "interrupted" earlier run: two outputs done (one marked so we can see it is kept),
    // and a temporary file left behind by a killed process.
    std::fs::create_dir_all(&output).unwrap();
    grey(&output.join("img0.png"), 2);
    std::fs::write(output.join("img1.png"), b"marker").unwrap();
    std::fs::write(output.join(".img2.png.poolkit-tmp-999-0"), b"half").unwrap();
    let run = |extra: &[&str]| {
        apply(&input, &output, &["--op", "max", "--kernel", "2"])
            .args(extra)
            .assert()
    };
    // Without --skip-existing or --force the existing outputs are refused, the rest written.
    let stderr = String::from_utf8(run(&[]).code(1).get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("img1.png already exists: pass --force"),
        "{stderr}"
    );
    assert!(
        stderr.contains("5 files: 3 written, 0 skipped, 2 failed"),
        "{stderr}"
    );
    std::fs::remove_file(output.join("img4.png")).unwrap();
    let stderr = String::from_utf8(
        run(&["--skip-existing"])
            .success()
            .get_output()
            .stderr
            .clone(),
    )
    .unwrap();
    assert!(
        stderr.contains("5 files: 1 written, 4 skipped, 0 failed"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(output.join("img1.png")).unwrap(), b"marker");
    for i in [2, 3, 4] {
        assert_eq!(
            image::open(output.join(format!("img{i}.png")))
                .unwrap()
                .width(),
            2
        );
    }
}

#[cfg(unix)]
#[test]
fn an_interrupted_run_leaves_no_partial_file_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in"), dir.path().join("out"));
    std::fs::create_dir_all(&input).unwrap();
    let first = input.join("f000.png");
    grey(&first, 256);
    let count = 60;
    for i in 1..count {
        std::fs::copy(&first, input.join(format!("f{i:03}.png"))).unwrap();
    }
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("poolkit"))
        .arg("apply")
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .args(["--op", "avg", "--kernel", "3", "--jobs", "2"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while tree(&output).iter().filter(|n| !n.starts_with('.')).count() < 2 {
        assert!(started.elapsed().as_secs() < 60, "no output appeared");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    // The shell's built-in kill: no procps needed.
    std::process::Command::new("sh")
        .args(["-c", &format!("kill -INT {}", child.id())])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    let done: Vec<PathBuf> = tree(&output).iter().map(|n| output.join(n)).collect();
    assert_eq!(
        status.code(),
        Some(130),
        "Ctrl-C ends the run with 128 + SIGINT"
    );
    assert!(done.len() < count, "the run was cut short");
    for path in &done {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!name.starts_with('.'), "temporary file {name} left behind");
        assert_eq!(image::open(path).unwrap().width(), 85, "{name} is complete");
    }
    let stderr = stderr_of(
        &mut apply(
            &input,
            &output,
            &["--op", "avg", "--kernel", "3", "--skip-existing"],
        ),
        0,
    );
    let want = format!(
        "{count} files: {} written, {} skipped, 0 failed",
        count - done.len(),
        done.len()
    );
    assert!(stderr.contains(&want), "{stderr} vs {want}");
    assert_eq!(tree(&output).len(), count);
}
