//! GitHub: the run's context, the payloads kevgate sends, sending them, and the
//! workflow-command files.
//!
//! Everything here is pure: [`Context::from_env`] takes the environment as a lookup function
//! and the event payload as bytes (the caller reads `GITHUB_EVENT_PATH`); the payload builders
//! take an [`Evaluation`](crate::Evaluation) and return the request bodies of the REST calls
//! (check run, commit status, PR comment); [`workflow`] formats `$GITHUB_OUTPUT` lines and
//! workflow commands. Sending the requests, and turning a permission error on a fork PR into
//! a warning, is [`client`]'s job (`client::publish`, called by `kevgate action`), so the
//! rules of the other modules are tested without a network; `client` is tested against
//! loopback servers.
//!
//! Payloads are validated in tests against GitHub's own OpenAPI description (the request-body
//! schemas, copied into `tests/fixtures/github/`), so a field GitHub does not know, or a
//! missing one, fails a test rather than a customer's build.

pub mod client;
pub mod context;
pub mod payload;
pub mod releases;
pub mod track;
pub mod weekly;
pub mod workflow;

pub use context::{Context, ContextError, Event};
