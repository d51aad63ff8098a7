//! `poolkit compare`: the seed's "Max vs. Average Pooling Explorer" in the terminal. The
//! input, max-pooled and average-pooled grids side by side, shaded by activation strength,
//! then the seed's summary. Every number comes from `poolkit::teach::compare_max_avg`.

use crate::any_tensor::AnyTensor;
use crate::cli::{CompareArgs, Sizes};
use crate::color::Style;
use crate::Outcome;
use anyhow::{bail, Context, Result};
use poolkit::teach::{compare_max_avg, MaxAvgComparison, SEED_GRID, SEED_SIDE};
use poolkit::{Padding, WindowSpec};
use std::io::Write;

/// A row-major grid of values.
struct Grid {
    values: Vec<f64>,
    rows: usize,
    cols: usize,
}

pub fn run(args: &CompareArgs, style: Style) -> Result<Outcome> {
    let grid = read_grid(args)?;
    let two = |s: &Sizes, what: &str| -> Result<Vec<usize>> {
        match s.0.as_slice() {
            [v] => Ok(vec![*v, *v]),
            [a, b] => Ok(vec![*a, *b]),
            other => bail!(
                "--{what} {other:?} has {} values: a grid has 2 axes",
                other.len()
            ),
        }
    };
    let kernel = two(&args.kernel, "kernel")?;
    let mut window = WindowSpec::new(&kernel);
    if let Some(stride) = &args.stride {
        window = window.strides(&two(stride, "stride")?);
    }
    if let Some(padding) = &args.padding {
        window = window.padding(Padding::symmetric(&two(padding, "padding")?));
    }
    let result = compare_max_avg(&grid.values, grid.rows, grid.cols, &window)?;
    let text = if args.json {
        json(&grid, &window, &result)?
    } else {
        render(&grid, &window, &result, style)
    };
    // anstream drops the colour where the choice (or the terminal) says so.
    let mut stdout = anstream::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(Outcome::Success)
}

fn read_grid(args: &CompareArgs) -> Result<Grid> {
    if let Some(text) = &args.grid {
        return parse_grid(text);
    }
    let Some(path) = &args.input else {
        return Ok(Grid {
            values: SEED_GRID.to_vec(),
            rows: SEED_SIDE,
            cols: SEED_SIDE,
        });
    };
    if crate::apply::is_image_input(path)? {
        let (values, rows, cols) = crate::imageio::read_grey(path, args.max_pixels)?;
        return Ok(Grid { values, rows, cols });
    }
    let tensor: AnyTensor = crate::npy::read_file(path)?;
    let shape = tensor.shape();
    let plane: Vec<usize> = match shape.iter().position(|&d| d != 1) {
        Some(first) if shape.len() - first <= 2 => shape[shape.len().saturating_sub(2)..].to_vec(),
        None if shape.len() >= 2 => vec![1, 1],
        _ => bail!(
            "{} has shape {shape:?}: compare takes one 2-D plane, [H, W] or [1, 1, H, W]",
            path.display()
        ),
    };
    let [rows, cols] = plane[..] else {
        bail!(
            "{} has shape {shape:?}: compare takes one 2-D plane, [H, W] or [1, 1, H, W]",
            path.display()
        );
    };
    Ok(Grid {
        values: tensor.to_f64_vec(),
        rows,
        cols,
    })
}

/// Parses `8,2,6;5,9,3` into rows.
fn parse_grid(text: &str) -> Result<Grid> {
    let mut values = Vec::new();
    let mut cols = None;
    let rows: Vec<&str> = text
        .split(';')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .collect();
    for (r, row) in rows.iter().enumerate() {
        let cells: Vec<&str> = row.split(',').map(str::trim).collect();
        for cell in &cells {
            let v: f64 = cell
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite())
                .with_context(|| {
                    format!(
                        "--grid cell {cell:?} in row {}: cells are finite numbers",
                        r + 1
                    )
                })?;
            values.push(v);
        }
        match cols {
            None => cols = Some(cells.len()),
            Some(c) if c != cells.len() => bail!(
                "--grid row {} has {} cells but row 1 has {c}: every row needs the same count",
                r + 1,
                cells.len()
            ),
            _ => {}
        }
    }
    let cols = cols.context("--grid is empty: give rows like \"1,2;3,4\"")?;
    Ok(Grid {
        values,
        rows: rows.len(),
        cols,
    })
}

/// A value as the seed shows it: whole numbers bare, others to at most two decimals.
fn number(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    let text = format!("{v:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}

fn render(grid: &Grid, window: &WindowSpec, c: &MaxAvgComparison, style: Style) -> String {
    let [out_rows, out_cols] = c.out_shape;
    let finite = grid.values.iter().copied().filter(|v| v.is_finite());
    let lo = finite.clone().fold(f64::INFINITY, f64::min);
    let hi = finite.fold(f64::NEG_INFINITY, f64::max);
    let strength = |v: f64| if hi > lo { (v - lo) / (hi - lo) } else { 1.0 };
    let width = grid
        .values
        .iter()
        .chain(&c.max)
        .chain(&c.avg)
        .map(|&v| number(v).chars().count())
        .max()
        .unwrap_or(1);
    let panel = |values: &[f64], cols: usize, row: usize| -> (String, usize) {
        let cells: Vec<String> = values[row * cols..(row + 1) * cols]
            .iter()
            .map(|&v| style.shade(&format!(" {:>width$} ", number(v)), strength(v)))
            .collect();
        (cells.concat(), cols * (width + 2))
    };
    let list = |v: &[usize]| {
        v.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join("×")
    };
    let stride = window
        .strides
        .clone()
        .unwrap_or_else(|| window.kernel.clone());
    let titles = [
        format!("Input ({}×{})", grid.rows, grid.cols),
        format!("Max pooling ({out_rows}×{out_cols})"),
        format!("Average pooling ({out_rows}×{out_cols})"),
    ];
    let widths = [
        (grid.cols * (width + 2)).max(titles[0].chars().count()),
        (out_cols * (width + 2)).max(titles[1].chars().count()),
        (out_cols * (width + 2)).max(titles[2].chars().count()),
    ];
    let mut out = format!(
        "window {}, stride {}\n\n",
        list(&window.kernel),
        list(&stride)
    );
    let gap = "   ";
    for (title, w) in titles.iter().zip(widths) {
        let pad = w - title.chars().count();
        out.push_str(&style.bold(title));
        out.push_str(&" ".repeat(pad));
        out.push_str(gap);
    }
    out = out.trim_end().to_string();
    out.push('\n');
    for row in 0..grid.rows.max(out_rows) {
        let mut line = String::new();
        let sources: [(&[f64], usize, usize); 3] = [
            (&grid.values, grid.cols, grid.rows),
            (&c.max, out_cols, out_rows),
            (&c.avg, out_cols, out_rows),
        ];
        for ((values, cols, rows), w) in sources.into_iter().zip(widths) {
            let (text, visible) = if row < rows {
                panel(values, cols, row)
            } else {
                (String::new(), 0)
            };
            line.push_str(&text);
            line.push_str(&" ".repeat(w - visible));
            line.push_str(gap);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let verdict = if c.max_never_below_avg {
        "(max always ≥ avg)"
    } else {
        "(max < avg somewhere: the grid holds NaN)"
    };
    out.push('\n');
    out.push_str(&style.bold("Max vs. Avg — how different are they?"));
    out.push('\n');
    out.push_str(&format!("Avg difference: {:+.1}  {verdict}\n", c.mean_gap));
    out.push_str(&format!("Largest single gap: {:+.1}\n", c.largest_gap));
    out
}

fn json(grid: &Grid, window: &WindowSpec, c: &MaxAvgComparison) -> Result<String> {
    let rows = |values: &[f64], cols: usize| -> Vec<Vec<f64>> {
        values.chunks(cols.max(1)).map(<[f64]>::to_vec).collect()
    };
    let [_, out_cols] = c.out_shape;
    let padding = match &window.padding {
        Padding::Explicit { begin, .. } if !begin.is_empty() => begin.clone(),
        _ => vec![0, 0],
    };
    let value = serde_json::json!({
        "input": rows(&grid.values, grid.cols),
        "kernel": window.kernel,
        "stride": window.strides.clone().unwrap_or_else(|| window.kernel.clone()),
        "padding": padding,
        "output_shape": c.out_shape,
        "max": rows(&c.max, out_cols),
        "avg": rows(&c.avg, out_cols),
        "gaps": rows(&c.gaps, out_cols),
        "mean_gap": c.mean_gap,
        "largest_gap": c.largest_gap,
        "max_never_below_avg": c.max_never_below_avg,
    });
    // One key per line, each value compact: readable, and still one grid per line for grep.
    let serde_json::Value::Object(fields) = value else {
        unreachable!("json! of an object literal is an object")
    };
    let lines: Vec<String> = fields
        .iter()
        .map(|(k, v)| {
            Ok(format!(
                "  {}: {}",
                serde_json::to_string(k)?,
                serde_json::to_string(v)?
            ))
        })
        .collect::<Result<_>>()?;
    Ok(format!("{{\n{}\n}}\n", lines.join(",\n")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_the_seed_shows_them() {
        assert_eq!(number(6.0), "6");
        assert_eq!(number(4.5), "4.5");
        assert_eq!(number(3.75), "3.75");
        assert_eq!(number(-0.0), "0");
    }

    #[test]
    fn grid_rows_must_agree() {
        assert!(parse_grid("1,2;3").is_err());
        assert!(parse_grid("1,x").is_err());
        let g = parse_grid("1,2;3,4;").unwrap();
        assert_eq!((g.rows, g.cols, g.values), (2, 2, vec![1.0, 2.0, 3.0, 4.0]));
    }
}
