//! What the binary teaches: `compare` (the seed's max-vs-average panel), `shape` with its
//! formulas and chains, and the generated help, completions and man page.

mod common;

use common::{poolkit, stderr_of, stdout_of, write_npy};
use poolkit::teach::compare_max_avg;
use poolkit::WindowSpec;

#[test]
fn compare_on_the_seed_grid_prints_the_seed_summary() {
    let out = stdout_of(poolkit().arg("compare"));
    assert!(out.contains("Avg difference: +3.0"), "{out}");
    assert!(out.contains("Largest single gap: +3.5"), "{out}");
    assert!(out.contains("max always ≥ avg"), "{out}");
    // The max and average rows of the seed, side by side with the input's first rows.
    let rows: Vec<Vec<&str>> = out
        .lines()
        .skip_while(|l| !l.starts_with("Input"))
        .skip(1)
        .take(3)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows[0],
        ["8", "2", "6", "1", "7", "3", "9", "8", "7", "6", "4.5", "4.5"]
    );
    assert_eq!(
        rows[1],
        ["5", "9", "3", "8", "2", "6", "6", "7", "9", "3.5", "3.75", "6"]
    );
    assert!(!out.contains('\x1b'), "NO_COLOR is respected");
}

#[test]
fn compare_colours_only_when_asked_or_on_a_terminal() {
    let plain = stdout_of(poolkit().arg("compare").env_remove("NO_COLOR"));
    assert!(!plain.contains('\x1b'), "a pipe gets no colour");
    let coloured = stdout_of(poolkit().args(["compare", "--color", "always"]));
    assert!(coloured.contains("\x1b[48;5;"), "{coloured}");
    // CLICOLOR_FORCE colours a pipe, NO_COLOR wins over it, --color never over both.
    let forced = stdout_of(
        poolkit()
            .arg("compare")
            .env_remove("NO_COLOR")
            .env("CLICOLOR_FORCE", "1"),
    );
    assert!(forced.contains("\x1b[48;5;"), "{forced}");
    let no_color = stdout_of(
        poolkit()
            .arg("compare")
            .env("NO_COLOR", "1")
            .env("CLICOLOR_FORCE", "1"),
    );
    assert!(!no_color.contains("\x1b[48;5;"), "{no_color}");
    let never = stdout_of(
        poolkit()
            .args(["compare", "--color", "never"])
            .env_remove("NO_COLOR")
            .env("CLICOLOR_FORCE", "1"),
    );
    assert!(!never.contains('\x1b'), "{never}");
}

#[test]
fn help_follows_the_colour_choice() {
    let plain = stdout_of(poolkit().arg("--help").env_remove("NO_COLOR"));
    assert!(!plain.contains('\x1b'), "{plain}");
    let coloured = stdout_of(poolkit().args(["--color", "always", "--help"]));
    assert!(coloured.contains('\x1b'), "{coloured}");
    let sub = stdout_of(poolkit().args(["shape", "--help", "--color=always"]));
    assert!(sub.contains('\x1b'), "{sub}");
}

#[test]
fn compare_json_and_custom_grids_agree_with_the_library() {
    let grid = "1,5,2,0;3,3,9,1;0,0,4,4;8,1,2,6";
    let out = stdout_of(poolkit().args([
        "compare", "--json", "--grid", grid, "--kernel", "2", "--stride", "1",
    ]));
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let values: Vec<f64> = grid.split([';', ',']).map(|v| v.parse().unwrap()).collect();
    let want = compare_max_avg(&values, 4, 4, &WindowSpec::new(&[2, 2]).strides(&[1, 1])).unwrap();
    assert_eq!(json["mean_gap"].as_f64().unwrap(), want.mean_gap);
    assert_eq!(json["largest_gap"].as_f64().unwrap(), want.largest_gap);
    let flat = |key: &str| -> Vec<f64> {
        json[key]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()))
            .collect()
    };
    assert_eq!(flat("max"), want.max);
    assert_eq!(flat("avg"), want.avg);
    // A .npy plane gives the same numbers as the grid typed out.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.npy");
    write_npy(&path, &[1, 1, 4, 4], &values);
    let from_file = stdout_of(
        poolkit()
            .arg("compare")
            .arg(&path)
            .args(["--json", "--kernel", "2", "--stride", "1"]),
    );
    assert_eq!(from_file, out);
    let err = stderr_of(poolkit().args(["compare", "--grid", "1,2;3"]), 2);
    assert!(err.contains("row 2 has 1 cells but row 1 has 2"), "{err}");
}

#[test]
fn shape_answers_the_seed_checkpoint() {
    let out = stdout_of(poolkit().args([
        "shape", "14,14,32", "--layout", "hwc", "--op", "max", "--kernel", "2,2",
    ]));
    assert_eq!(out, "[7, 7, 32]\n");
    // Without --layout a rank-3 shape is [N, C, L]: the refusal says so.
    let err = stderr_of(
        poolkit().args(["shape", "14,14,32", "--op", "max", "--kernel", "2,2"]),
        2,
    );
    assert!(err.contains("[14, 14, 32] read as \"ncl\""), "{err}");
}

#[test]
fn shape_explain_spells_out_each_axis() {
    let out = stdout_of(poolkit().args([
        "shape",
        "14,14,32",
        "--layout",
        "hwc",
        "--op",
        "max",
        "--kernel",
        "2,2",
        "--explain",
    ]));
    assert_eq!(
        out,
        "h: floor((14 + 0 + 0 - 1*(2-1) - 1) / 2) + 1 = 7\n\
         w: floor((14 + 0 + 0 - 1*(2-1) - 1) / 2) + 1 = 7\n\
         [7, 7, 32]\n"
    );
    let same = stdout_of(poolkit().args([
        "shape",
        "7",
        "--op",
        "max",
        "--kernel",
        "3",
        "--stride",
        "2",
        "--auto-pad",
        "same-upper",
        "--explain",
    ]));
    assert!(same.contains("ceil(7 / 2) = 4 (SAME"), "{same}");
}

#[test]
fn shape_follows_a_chain_of_layers() {
    let out = stdout_of(poolkit().args([
        "shape",
        "224,224,3",
        "--layout",
        "hwc",
        "--op",
        "max",
        "--kernel",
        "3",
        "--stride",
        "2",
        "--padding",
        "1",
        "--then",
        "max --kernel 2",
        "--then",
        "--op adaptive-avg --output-size 1",
    ]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "[224, 224, 3]");
    assert!(lines[1].ends_with("-> [112, 112, 3]"), "{out}");
    assert!(lines[2].ends_with("-> [56, 56, 3]"), "{out}");
    assert!(lines[3].ends_with("-> [1, 1, 3]"), "{out}");
    let err = stderr_of(
        poolkit().args([
            "shape",
            "4,4",
            "--op",
            "max",
            "--kernel",
            "2",
            "--then",
            "max --kernel 5",
        ]),
        2,
    );
    assert!(
        err.starts_with("poolkit: layer 2 (max kernel 5): axis 0"),
        "{err}"
    );
}

#[test]
fn every_subcommand_has_help_with_examples() {
    for sub in [
        "apply",
        "shape",
        "compare",
        "explore",
        "bench",
        "completions",
        "man",
    ] {
        let out = stdout_of(poolkit().args([sub, "--help"]));
        assert!(out.contains("Examples:"), "{sub}: {out}");
        assert!(out.contains(&format!("poolkit {sub}")), "{sub}: {out}");
    }
    let version = stdout_of(poolkit().arg("--version"));
    assert_eq!(version, format!("poolkit {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn completions_and_man_pages_come_from_the_same_definitions() {
    let bash = stdout_of(poolkit().args(["completions", "bash"]));
    assert!(
        bash.contains("--count-include-pad") && bash.contains("global-max"),
        "bash"
    );
    let zsh = stdout_of(poolkit().args(["completions", "zsh"]));
    assert!(zsh.starts_with("#compdef poolkit"), "zsh");
    let fish = stdout_of(poolkit().args(["completions", "fish"]));
    assert!(fish.contains("complete -c poolkit"), "fish");
    let man = stdout_of(poolkit().arg("man"));
    assert!(man.contains(".TH poolkit 1"), "{man}");
    let apply = stdout_of(poolkit().args(["man", "apply"]));
    assert!(
        apply.contains(".TH poolkit-apply 1") && apply.contains("skip\\-existing"),
        "{apply}"
    );
    let err = stderr_of(poolkit().args(["man", "nope"]), 2);
    assert!(err.contains("no subcommand \"nope\""), "{err}");
}

#[test]
fn bench_prints_the_library_results_as_json_lines() {
    let out = stdout_of(poolkit().args([
        "bench",
        "--json",
        "--filter",
        "SEED",
        "--no-ceilings",
        "--runs",
        "1",
        "--threads",
        "1",
    ]));
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0], serde_json::json!({ "ceilings": null }));
    let names: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    let want: Vec<String> = poolkit::bench::named_cases()
        .into_iter()
        .map(|c| c.name)
        .filter(|n| n.contains("seed"))
        .collect();
    assert_eq!(names, want);
    assert!(lines[1..]
        .iter()
        .all(|l| l["median_ms"].as_f64().unwrap() > 0.0 && l["threads"] == 1));
    let err = stderr_of(poolkit().args(["bench", "--filter", "no-such-case"]), 2);
    assert!(err.contains("matches no benchmark case"), "{err}");
}
