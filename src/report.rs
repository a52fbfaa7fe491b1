//! Evaluation -> terminal table, JSON, Markdown, SARIF. Pure over [`Evaluation`]; each
//! reporter writes to `&mut dyn Write` and owns its serialization structs.
//!
//! OWNER: report helper.

/// Placeholder until the report branch lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Terminal table.
    Table,
    /// JSON.
    Json,
    /// Markdown.
    Markdown,
    /// SARIF.
    Sarif,
}
/// Placeholder.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Colour.
    pub color: bool,
}
/// Placeholder.
pub fn write(
    format: Format,
    ev: &crate::policy::Evaluation,
    out: &mut dyn std::io::Write,
    opts: &Options,
) -> std::io::Result<()> {
    let _ = (format, ev, out, opts);
    Ok(())
}
