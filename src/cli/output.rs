//! Printing for the command line: aligned tables that account for full-width characters.

use unicode_width::UnicodeWidthStr;

pub use crate::domain::text::{count, plural};

/// Prints rows under a header, each column padded to its widest cell (full-width characters
/// count as two columns, so Japanese names line up).
pub fn table(header: &[&str], rows: Vec<Vec<String>>) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.width()).collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.width());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        let last = cells.len().saturating_sub(1);
        for (i, cell) in cells.into_iter().enumerate() {
            out.push_str(cell);
            if i < last {
                let pad = widths
                    .get(i)
                    .copied()
                    .unwrap_or(0)
                    .saturating_sub(cell.width());
                out.push_str(&" ".repeat(pad + 2));
            }
        }
        println!("{out}");
    };
    line(header.to_vec());
    for row in &rows {
        line(row.iter().map(String::as_str).collect());
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(super::count(1788u64), "1,788");
        assert_eq!(super::count(63u64), "63");
        assert_eq!(super::count(1_000_000u64), "1,000,000");
    }
}
