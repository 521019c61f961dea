//! `Table`: rows rendered as an aligned text table for the model and the person to
//! read, with a row-count line (the full values go out as structured content).

use std::fmt::Write as _;

/// Cells longer than this are cut in the text (never in structured content).
const MAX_CELL_CHARS: usize = 80;

/// A text table.
///
/// ```
/// use google_mcp_common::Table;
///
/// let mut table = Table::new(["Campaign", "Clicks"]);
/// table.push_row(["Brand", "1200"]);
/// table.push_row(["Generic search", "45"]);
/// assert_eq!(
///     table.render(),
///     "Campaign       | Clicks\n\
///      ---------------+-------\n\
///      Brand          |   1200\n\
///      Generic search |     45\n\
///      (2 rows)"
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with these column headers.
    pub fn new<I, S>(headers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; missing cells are blank, extra cells are dropped.
    pub fn push_row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut row: Vec<String> = cells.into_iter().map(Into::into).collect();
        row.resize(self.headers.len(), String::new());
        self.rows.push(row);
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True without rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The headers, then a rule, then one line per row (numbers right-aligned), then
    /// `(N rows)`.
    pub fn render(&self) -> String {
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|row| row.iter().map(|cell| shorten(cell)).collect())
            .collect();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &cells {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let numeric: Vec<bool> = (0..self.headers.len())
            .map(|column| {
                cells.iter().any(|row| !row[column].is_empty())
                    && cells
                        .iter()
                        .all(|row| row[column].is_empty() || is_number(&row[column]))
            })
            .collect();
        let mut text = String::new();
        let header: Vec<String> = self
            .headers
            .iter()
            .zip(&widths)
            .map(|(header, width)| format!("{header:<width$}"))
            .collect();
        push_line(&mut text, &header.join(" | "));
        let rule: Vec<String> = widths.iter().map(|width| "-".repeat(*width)).collect();
        push_line(&mut text, &rule.join("-+-"));
        for row in &cells {
            let line: Vec<String> = row
                .iter()
                .zip(&widths)
                .zip(&numeric)
                .map(|((cell, width), right)| {
                    if *right {
                        format!("{cell:>width$}")
                    } else {
                        format!("{cell:<width$}")
                    }
                })
                .collect();
            push_line(&mut text, &line.join(" | "));
        }
        let _ = match self.rows.len() {
            1 => write!(text, "(1 row)"),
            count => write!(text, "({count} rows)"),
        };
        text
    }
}

fn push_line(text: &mut String, line: &str) {
    text.push_str(line.trim_end());
    text.push('\n');
}

fn shorten(cell: &str) -> String {
    let single_line = cell.replace(['\n', '\r', '\t'], " ");
    if single_line.chars().count() <= MAX_CELL_CHARS {
        return single_line;
    }
    let mut short: String = single_line.chars().take(MAX_CELL_CHARS - 1).collect();
    short.push('…');
    short
}

fn is_number(cell: &str) -> bool {
    let digits = cell.trim_end_matches('%').replace(',', "");
    !digits.is_empty() && digits.parse::<f64>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_table_says_zero_rows() {
        let table = Table::new(["a", "b"]);
        assert_eq!(table.render(), "a | b\n--+--\n(0 rows)");
    }

    #[test]
    fn long_cells_are_cut_and_line_breaks_flattened() {
        let mut table = Table::new(["text"]);
        table.push_row(["x".repeat(200)]);
        table.push_row(["two\nlines"]);
        let text = table.render();
        assert!(text.contains(&format!("{}…", "x".repeat(79))), "{text}");
        assert!(text.contains("two lines"), "{text}");
    }
}
