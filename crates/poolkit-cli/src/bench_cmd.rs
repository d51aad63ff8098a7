//! `poolkit bench`: the library's named benchmark cases (real networks' shapes), timed on
//! this machine beside its memory ceilings. Every number comes from `poolkit::bench`.

use crate::cli::BenchArgs;
use crate::Outcome;
use anyhow::{bail, Result};
use poolkit::bench::{
    measure_ceilings, named_cases, run_case, BenchOptions, BenchReport, BenchResult,
};
use poolkit::Isa;
use std::io::Write;

pub fn run(args: &BenchArgs) -> Result<Outcome> {
    let mut options = BenchOptions::default();
    if let Some(threads) = args.threads {
        options.threads = threads as usize;
    }
    if let Some(runs) = args.runs {
        options.runs = runs as usize;
    }
    options.measure_ceilings = !args.no_ceilings;
    if let Some(name) = &args.isa {
        let isa = Isa::parse(name)?;
        if !isa.is_supported() {
            bail!(
                "instruction set {}: this CPU does not support it",
                isa.name()
            );
        }
        options.isa = Some(isa);
    }
    let wanted = args.filter.as_deref().map(str::to_ascii_lowercase);
    let cases: Vec<_> = named_cases()
        .into_iter()
        .filter(|c| match wanted.as_deref() {
            Some(w) => c.name.contains(w),
            None => true,
        })
        .collect();
    if cases.is_empty() {
        let names: Vec<String> = named_cases().into_iter().map(|c| c.name).collect();
        bail!(
            "--filter {:?} matches no benchmark case: the cases are {}",
            args.filter.as_deref().unwrap_or_default(),
            names.join(", ")
        );
    }
    let mut stdout = std::io::stdout().lock();
    let ceilings = options
        .measure_ceilings
        .then(|| measure_ceilings(options.threads, options.runs));
    let report = BenchReport {
        ceilings,
        results: Vec::new(),
    };
    if args.json {
        writeln!(stdout, "{}", report.ceilings_json())?;
    } else {
        if let Some(c) = &report.ceilings {
            writeln!(
                stdout,
                "memory ceilings ({} threads, the best of scalar, vector and streaming-store \
                 loops): read-only {:.1} GB/s ({}), copy {:.1} GB/s ({}), read 4 write 1 \
                 {:.1} GB/s ({})\n",
                c.threads,
                c.read_only_gbps,
                c.ways[0].name(),
                c.copy_gbps,
                c.ways[1].name(),
                c.read4_write1_gbps,
                c.ways[2].name()
            )?;
        }
        writeln!(stdout, "{}", BenchResult::table_header())?;
    }
    // One case at a time, printed as soon as it is measured; a closed pipe stops the run.
    for case in &cases {
        let result = run_case(case, &options, report.ceilings.as_ref())?;
        let line = if args.json {
            result.to_json()
        } else {
            result.table_row()
        };
        writeln!(stdout, "{line}")?;
        stdout.flush()?;
    }
    Ok(Outcome::Success)
}
