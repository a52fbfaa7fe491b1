//! [`Str`]: the shared, immutable string a [`super::Component`] holds.
//!
//! A monorepo SBOM repeats the same names, versions, purls, kinds and manifest paths across
//! hundreds of thousands of components (a 1,000,000-component trivy SBOM has about 6,000
//! distinct purls). Each component holds a reference-counted `Arc<str>` (16 bytes, 8 fewer than
//! a `String`) and the streaming reader interns the repeated values ([`Interner`]), so a
//! repeated value is stored once: memory follows the distinct values, not the components.

use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// An immutable string, cheap to clone (a reference count), compared and hashed as its text.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Str(Arc<str>);

impl Str {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Str {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Str {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Str {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<String> for Str {
    fn from(text: String) -> Str {
        Str(Arc::from(text))
    }
}

impl From<&str> for Str {
    fn from(text: &str) -> Str {
        Str(Arc::from(text))
    }
}

impl From<Str> for String {
    fn from(text: Str) -> String {
        text.0.to_string()
    }
}

impl PartialEq<str> for Str {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Str {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Str {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl serde::Serialize for Str {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Interns strings: equal texts share one allocation.
#[derive(Default)]
pub(crate) struct Interner(HashSet<Str>);

impl Interner {
    /// The shared copy of `text`.
    pub(crate) fn intern(&mut self, text: &str) -> Str {
        if let Some(shared) = self.0.get(text) {
            return shared.clone();
        }
        let shared = Str::from(text);
        self.0.insert(shared.clone());
        shared
    }
}
