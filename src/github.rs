//! GitHub: the run's context, the payloads kevgate sends, sending them, and the
//! workflow-command files.
//!
//! [`Context::from_env`] takes the environment as a lookup function and the event payload as
//! bytes (the caller reads `GITHUB_EVENT_PATH`); the payload builders ([`payload`]) are pure:
//! they take an [`Evaluation`](crate::Evaluation) and return the request bodies of the REST
//! calls (check run, commit status, PR comment), so their rules are tested without a network;
//! [`client`] sends them (retries, the fork-PR permission fallbacks, every failure a warning);
//! [`workflow`] formats `$GITHUB_OUTPUT` lines and workflow commands. The CLI decides when to
//! publish and passes the context and the token.
//!
//! Payloads are validated in tests against GitHub's own OpenAPI description (the request-body
//! schemas, copied into `tests/fixtures/github/`), so a field GitHub does not know, or a
//! missing one, fails a test rather than a customer's build.

pub mod client;
pub mod context;
pub mod payload;
pub mod workflow;

pub use context::{Context, ContextError, Event};
