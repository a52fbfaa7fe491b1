//! [`Str`]: the shared, immutable string a [`super::Component`] holds.
//!
//! A monorepo SBOM repeats the same names, versions, purls, kinds and manifest paths across
//! hundreds of thousands of components (a 1,000,000-component trivy SBOM has about 6,000
//! distinct purls). A [`Str`] is one pointer (8 bytes, a third of a `String`; `Option<Str>` is 8
//! bytes too) to a reference-counted text, and the streaming reader interns the repeated values
//! ([`Interner`]), so a repeated value is stored once: memory follows the distinct values, not
//! the components. (`Arc<str>` would be a 16-byte fat pointer: 14 texts per component make
//! the difference 112 bytes, 107 MiB at a million components.)

use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// An immutable string, cheap to clone (a reference count), compared and hashed as its text.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Str(Arc<Box<str>>);

impl Default for Str {
    /// The empty text, one shared allocation.
    fn default() -> Str {
        static EMPTY: std::sync::OnceLock<Str> = std::sync::OnceLock::new();
        EMPTY.get_or_init(|| Str(Arc::new(Box::from("")))).clone()
    }
}

impl Str {
    /// The text.
    pub fn as_str(&self) -> &str {
        self.0.as_ref()
    }
}

impl Deref for Str {
    type Target = str;
    fn deref(&self) -> &str {
        self.0.as_ref()
    }
}

impl AsRef<str> for Str {
    fn as_ref(&self) -> &str {
        self.0.as_ref()
    }
}

impl std::borrow::Borrow<str> for Str {
    fn borrow(&self) -> &str {
        self.0.as_ref()
    }
}

impl From<String> for Str {
    fn from(text: String) -> Str {
        Str(Arc::new(text.into_boxed_str()))
    }
}

impl From<&str> for Str {
    fn from(text: &str) -> Str {
        Str(Arc::new(Box::from(text)))
    }
}

impl From<Str> for String {
    fn from(text: Str) -> String {
        text.as_str().to_owned()
    }
}

impl PartialEq<str> for Str {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Str {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Str {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl serde::Serialize for Str {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Interns strings: equal texts share one allocation.
#[derive(Default)]
pub(crate) struct Interner(HashSet<Str, foldhash::fast::RandomState>);

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

#[cfg(test)]
mod tests {
    use super::*;

    /// A text and an absent text are one pointer each: what keeps a million components small.
    #[test]
    fn one_pointer() {
        assert_eq!(size_of::<Str>(), size_of::<usize>());
        assert_eq!(size_of::<Option<Str>>(), size_of::<usize>());
    }

    /// Equal texts interned share one allocation; the empty default is shared too.
    #[test]
    fn interned_texts_share() {
        let mut interner = Interner::default();
        let a = interner.intern("pkg:npm/left-pad@1.0.0");
        let b = interner.intern(&String::from("pkg:npm/left-pad@1.0.0"));
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert_eq!(a, "pkg:npm/left-pad@1.0.0");
        assert!(Arc::ptr_eq(&Str::default().0, &Str::default().0));
        assert_eq!(Str::default().as_str(), "");
    }
}
