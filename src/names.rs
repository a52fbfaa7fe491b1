//! One spelling per keyword enum: [`keyword_enum!`] declares an enum together with the name
//! of each value, and derives from that one table everything that spells it — `as_str`
//! (reports, messages), [`from_name`](crate::policy::FailOn::from_name) (the config file),
//! `Serialize` (JSON report, attestation) and `clap::ValueEnum` (flags, with each value's
//! doc comment as its help, as the clap derive shows it).
//!
//! Before this, such an enum was spelled four ways — a serde `rename_all`, a clap derive, a
//! hand-written `as_str` and the config parser's own list — that agreed only by care
//! (issue 12, item 6).

/// Declares a keyword enum; each variant is written `Variant = "spelling",` under its doc
/// comment. Generates `ALL`, `as_str`, `from_name` (ASCII case-insensitive, trimmed),
/// `Serialize` and `clap::ValueEnum`.
macro_rules! keyword_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[doc = $doc:literal])*
                $variant:ident = $spelling:literal,
            )+
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $(
                $(#[doc = $doc])*
                $variant,
            )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Every spelling, in declaration order (for a deserializer's "expected" list).
            #[allow(dead_code)]
            pub const NAMES: &'static [&'static str] = &[$($spelling),+];

            /// The one spelling of the value: config file, flags, reports.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $spelling,)+
                }
            }

            /// The value spelled `text` (ASCII case-insensitive, surrounding spaces ignored).
            pub fn from_name(text: &str) -> Option<$name> {
                let text = text.trim();
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str().eq_ignore_ascii_case(text))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl clap::ValueEnum for $name {
            fn value_variants<'a>() -> &'a [Self] {
                Self::ALL
            }

            fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
                let help: &[&str] = match self {
                    $($name::$variant => &[$($doc),*],)+
                };
                Some(clap::builder::PossibleValue::new(self.as_str()).help($crate::names::help(help)))
            }
        }
    };
}
pub(crate) use keyword_enum;

/// A value's help from its doc comment, as the clap derive makes it: the first paragraph,
/// lines joined, without a trailing period.
pub fn help(doc: &[&str]) -> String {
    let lines: Vec<&str> = doc
        .iter()
        .map(|l| l.trim())
        .take_while(|l| !l.is_empty())
        .collect();
    let joined = lines.join(" ");
    joined.strip_suffix('.').unwrap_or(&joined).to_owned()
}

#[cfg(test)]
mod tests {
    keyword_enum! {
        /// A test enum.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Sample {
            /// First one.
            One = "one",
            /// A value with
            /// two lines.
            TrackStar = "track*",
        }
    }

    /// Every spelling comes from the one table: `as_str`, `from_name`, serde and clap agree,
    /// and the help is the doc comment as clap's derive would show it.
    #[test]
    fn one_spelling() {
        use clap::ValueEnum as _;
        for v in Sample::ALL {
            let name = v.as_str();
            assert_eq!(Sample::from_name(&name.to_ascii_uppercase()), Some(*v));
            assert_eq!(
                serde_json::to_string(v).expect("serialises"),
                format!("\"{name}\"")
            );
            assert_eq!(Sample::from_str(name, false), Ok(*v));
        }
        assert_eq!(Sample::from_name(" Track* "), Some(Sample::TrackStar));
        assert_eq!(Sample::from_name("two"), None);
        let help = |v: Sample| {
            v.to_possible_value()
                .and_then(|p| p.get_help().map(ToString::to_string))
        };
        assert_eq!(help(Sample::One).as_deref(), Some("First one"));
        assert_eq!(
            help(Sample::TrackStar).as_deref(),
            Some("A value with two lines")
        );
    }
}
