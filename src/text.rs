//! Untrusted text from SBOMs and feeds, made safe for terminals and Markdown.
//!
//! OWNER: report helper.
