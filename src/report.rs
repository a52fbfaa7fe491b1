//! Evaluation -> terminal table, JSON, Markdown, SARIF. Pure over [`Evaluation`]; each
//! reporter writes to `&mut dyn Write` and owns its serialization structs.
//!
//! OWNER: report helper.
