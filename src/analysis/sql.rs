//! sql
/// The SQL dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Dialect {
    Duckdb,
    Bigquery,
    Snowflake,
    Spark,
}
/// The query.
pub fn query(_d: Dialect) -> String {
    String::new()
}
