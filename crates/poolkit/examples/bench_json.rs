//! The library's benchmark as JSON lines, for scripts that compare poolkit with other
//! libraries in the same run: first the memory ceilings, then one line per case (a table
//! for people goes to stderr).
//!
//! `cargo run --release --example bench_json -- [--threads N] [--filter TEXT] [--runs N]
//! [--isa scalar|sse2|avx2|avx512] [--no-ceilings] [--list]`

use poolkit::bench::{run_benchmarks, BenchOptions, BenchResult};
use poolkit::Isa;
use std::process::ExitCode;

fn parse(args: &[String]) -> Result<BenchOptions, String> {
    let mut options = BenchOptions::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--threads" => {
                options.threads = value("--threads")?
                    .parse()
                    .map_err(|_| "--threads takes a whole number".to_string())?
            }
            "--runs" => {
                options.runs = value("--runs")?
                    .parse()
                    .map_err(|_| "--runs takes a whole number".to_string())?
            }
            "--filter" => options.filter = Some(value("--filter")?),
            "--isa" => options.isa = Some(Isa::parse(&value("--isa")?).map_err(|e| e.to_string())?),
            "--no-ceilings" => options.measure_ceilings = false,
            "--list" => {
                for case in poolkit::bench::named_cases() {
                    println!("{}", case.name);
                }
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("bench_json: {e}");
            return ExitCode::from(2);
        }
    };
    eprintln!("{}", BenchResult::table_header());
    let report = run_benchmarks(&options, |r| {
        println!("{}", r.to_json());
        eprintln!("{}", r.table_row());
    });
    match report {
        Ok(report) => {
            println!("{}", report.ceilings_json());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench_json: {e}");
            ExitCode::FAILURE
        }
    }
}
