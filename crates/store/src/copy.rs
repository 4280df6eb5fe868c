//! Rows in transit between backends, for `postern migrate-data`: one backend exports a
//! table's rows, the other imports them. The cells are SQLite's five storage classes, the
//! narrowest type both sides can describe; the importing side converts them to its column
//! types and refuses a value that does not fit.

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Cell {
    /// The storage class's name, for errors.
    pub fn kind(&self) -> &'static str {
        match self {
            Cell::Null => "NULL",
            Cell::Integer(_) => "an integer",
            Cell::Real(_) => "a real number",
            Cell::Text(_) => "text",
            Cell::Blob(_) => "a blob",
        }
    }
}

/// One row: its cells in the order of [`TableShape::columns`].
pub type CopyRow = Vec<Cell>;

/// A table to copy: its name and the columns its rows carry, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableShape {
    pub name: String,
    pub columns: Vec<String>,
}
