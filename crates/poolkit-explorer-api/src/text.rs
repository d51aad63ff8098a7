//! Reading what a person typed: one cell's new value, or a pasted CSV grid. The page sends
//! the text as typed; the rules for what counts as a number live here, once.

use super::error::ApiError;
use super::grid::{check_number, Grid};
use serde::Deserialize;
use serde_json::{json, Value};

/// What the text should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextKind {
    Number,
    Csv,
}

/// `{"text": "4.5", "kind": "number"}` or `{"text": "1,2\n3,4", "kind": "csv"}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParseRequest {
    pub text: String,
    pub kind: TextKind,
}

/// `POST /api/parse`.
pub fn parse(request: ParseRequest) -> Result<Value, ApiError> {
    match request.kind {
        TextKind::Number => Ok(json!({ "value": parse_number(&request.text, "value")? })),
        TextKind::Csv => {
            let grid = parse_csv(&request.text)?;
            Ok(json!({ "grid": grid.to_json(), "rows": grid.rows, "cols": grid.cols }))
        }
    }
}

/// A decimal number such as `9`, `-2.5`, `1e3`; not `NaN`, `inf` or an empty string.
pub fn parse_number(text: &str, field: &str) -> Result<f64, ApiError> {
    let t = text.trim();
    let is_numeric = !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
    match t.parse::<f64>() {
        Ok(v) if is_numeric => check_number(field, v),
        _ => Err(ApiError::field(
            field,
            format!(
                "{field} {text:?} is not a number: type a decimal number such as 7, -2.5 or 0.25"
            ),
        )),
    }
}

/// Rows on lines; cells separated by commas, semicolons, tabs or spaces.
pub fn parse_csv(text: &str) -> Result<Grid, ApiError> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let row = line
            .split([',', ';', '\t', ' '])
            .filter(|cell| !cell.trim().is_empty())
            .enumerate()
            .map(|(j, cell)| parse_number(cell, &format!("CSV row {}, column {}", i + 1, j + 1)))
            .collect::<Result<Vec<f64>, ApiError>>()?;
        rows.push(row);
    }
    Grid::from_rows(&rows, "CSV grid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_people_type_them() {
        for (text, want) in [("9", 9.0), (" -2.5 ", -2.5), ("1e3", 1000.0), ("+.5", 0.5)] {
            assert_eq!(parse_number(text, "value").unwrap(), want, "{text}");
        }
        for bad in ["", "abc", "NaN", "inf", "1,5", "2e9", "0x10"] {
            assert!(parse_number(bad, "value").is_err(), "{bad}");
        }
    }

    #[test]
    fn csv_with_mixed_separators() {
        let g = parse_csv("1, 2;3\n4\t5 6\n\n").unwrap();
        assert_eq!(
            (g.rows, g.cols, g.values.clone()),
            (2, 3, vec![1., 2., 3., 4., 5., 6.])
        );
        let e = parse_csv("1,2\n3,x").unwrap_err();
        assert!(e.message.contains("row 2, column 2"), "{}", e.message);
        assert!(parse_csv("1,2\n3")
            .unwrap_err()
            .message
            .contains("rectangular"));
    }
}
