//! The command line: reads files, environment and the clock; writes outputs.
//!
//! OWNER: lead.
