//! CycloneDX JSON -> [`Sbom`] in one streaming pass: the fast path for well-formed documents.
//!
//! The document is read once, front to back, from a string or any reader (a 1,000,000-component
//! trivy SBOM is 570 MB of JSON: it is never held whole). Each component goes straight into its
//! compact [`Component`] as it is read; the `dependencies` graph becomes index edges as soon as
//! the components it names are known; small parts (`metadata`, `vulnerabilities`) go through
//! the typed DTOs of `cyclonedx.rs`. Every object is checked for duplicate keys on the way (the
//! duplicate-key rule of `mod.rs`), values kevgate does not read included.
//!
//! Decisions a reader may question:
//! - `None` whenever anything is unusual (a type error, a `null` component, a duplicate key,
//!   a malformed graph, another format, broken JSON): the careful path (`cyclonedx.rs`
//!   `from_value`, after `detect.rs`) then reads the document again and names the problem, so
//!   every error message stays the careful path's.
//! - The result equals the careful path's on every document both read; the SBOM test suite
//!   runs every fixture through both.
//! - Nested `components` are read by recursion, bounded by serde_json's nesting limit (128).

use super::cyclonedx::{
    Dependencies, DependencyDto, FastMetadataDto, Header, VulnerabilityDto, assemble, check_header,
    flatten_fast, tools,
};
use super::detect::{Key, UniqueKeys};
use super::{Component, Format, Interner, Sbom, Str, TrivyProperties};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// Reads a CycloneDX JSON document from `de` (a string or a reader); `None` when anything is
/// unusual, for the careful path to explain.
pub(super) fn parse<'de, R: serde_json::de::Read<'de>>(
    de: serde_json::Deserializer<R>,
) -> Option<Sbom> {
    parse_checked(de, Checks::Strict)
}

/// How values kevgate does not read are passed over.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) enum Checks {
    /// Read through, every object checked for duplicate keys. serde_json then parses every
    /// scalar too, so an out-of-range number (`1e999`) anywhere fails the pass.
    #[default]
    Strict,
    /// Skipped unparsed (serde's `IgnoredAny`), for a document whose duplicate keys the caller
    /// has already checked (`detect::check_duplicate_keys`, which tolerates such numbers).
    Lenient,
}

/// [`parse`] with the given [`Checks`].
pub(super) fn parse_checked<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
    checks: Checks,
) -> Option<Sbom> {
    let mut parts = Parts {
        checks,
        ..Parts::default()
    };
    DocumentSeed(&mut parts).deserialize(&mut de).ok()?;
    de.end().ok()?;
    parts.finish()
}

/// What the document said, as it was read.
#[derive(Default)]
struct Parts {
    checks: Checks,
    bom_format: Option<String>,
    spec_version: Option<Value>,
    serial_number: Option<String>,
    /// Whether `metadata` was read (the subject's parts are then known).
    metadata_read: bool,
    tools: Vec<String>,
    subject: Option<Component>,
    /// `metadata.component.components`, flattened: they follow `components` in the result.
    subject_parts: Vec<Component>,
    /// Whether `components` was read.
    components_read: bool,
    components: Vec<Component>,
    /// The components' texts, shared.
    interner: Interner,
    vulnerabilities: Option<Vec<VulnerabilityDto>>,
    /// `dependencies`: resolved to edges when every component was known before it (trivy
    /// writes them after the components), else kept as written until the end.
    dependencies: Option<Dependencies>,
}

impl Parts {
    fn finish(self) -> Option<Sbom> {
        let bom_format = self.bom_format?;
        if !bom_format.eq_ignore_ascii_case("CycloneDX") {
            return None;
        }
        let mut header = Map::new();
        header.insert("bomFormat".into(), Value::String(bom_format));
        header.insert("specVersion".into(), self.spec_version?);
        let mut warnings = Vec::new();
        let spec_version = check_header(&header, &mut warnings).ok()?;
        let mut components = self.components;
        components.extend(self.subject_parts);
        Some(assemble(
            Header {
                format: Format::CycloneDxJson,
                spec_version,
                serial_number: self.serial_number,
                tools: self.tools,
                subject: self.subject,
            },
            components,
            self.vulnerabilities,
            self.dependencies
                .unwrap_or(Dependencies::Listed(Vec::new())),
            warnings,
        ))
    }

    /// The `bom-ref` index over the components and the subject's parts.
    fn refs(&self) -> RefIndex<'_> {
        let ids = self
            .components
            .iter()
            .chain(&self.subject_parts)
            .enumerate()
            .map(|(i, c)| (i, c.bom_ref.as_deref()));
        let map = super::index_ids(ids, "bom-ref", &mut Vec::new());
        let with_ref = (self.components.iter().chain(&self.subject_parts))
            .filter(|c| c.bom_ref.is_some())
            .count();
        RefIndex {
            unique: map.len() == with_ref,
            map,
            components: &self.components,
            subject_parts: &self.subject_parts,
        }
    }
}

/// `bom-ref` -> index over the components and the subject's parts, first one winning (the
/// duplicate warnings are `assemble`'s, made once at the end).
///
/// trivy writes `dependencies` in the components' order, and a list's targets often one after
/// another: a ref is first compared with the bom-ref of the component where the previous one
/// left off (a read of memory in order) and looked up only when it is not that one. A
/// million lookups in a million-entry map were an eighth of a 1,000,000-component scan.
struct RefIndex<'r> {
    map: super::TextMap<&'r str, usize>,
    /// No two components share a bom-ref: the component a bom-ref is found on is the one
    /// the map names (with duplicates the map names the first, so no shortcut).
    unique: bool,
    components: &'r [Component],
    subject_parts: &'r [Component],
}

impl RefIndex<'_> {
    /// The component `reference` names (`urn:cdx:` refs by their fragment), tried first at
    /// index `guess`.
    fn resolve(&self, reference: &str, guess: usize) -> Option<usize> {
        let at_guess = match self.components.get(guess) {
            Some(component) => Some(component),
            None => self.subject_parts.get(guess - self.components.len()),
        };
        if self.unique && at_guess.and_then(|c| c.bom_ref.as_deref()) == Some(reference) {
            return Some(guess);
        }
        super::cyclonedx::resolve_ref(&self.map, reference)
    }
}

/// An object's keys so far, to refuse a duplicate: the known ones by bit, the others by name.
#[derive(Default)]
struct SeenKeys<'de> {
    known: u32,
    other: Vec<std::borrow::Cow<'de, str>>,
}

impl<'de> SeenKeys<'de> {
    /// Records the known key number `bit`; an error if it was seen before.
    fn known<E: de::Error>(&mut self, bit: u32, key: &str) -> Result<(), E> {
        if self.known & (1 << bit) != 0 {
            return Err(E::custom(format_args!("duplicate key `{key}`")));
        }
        self.known |= 1 << bit;
        Ok(())
    }

    /// Records an unknown key; an error if it was seen before.
    fn other<E: de::Error>(&mut self, key: std::borrow::Cow<'de, str>) -> Result<(), E> {
        if self.other.contains(&key) {
            return Err(E::custom("duplicate key"));
        }
        self.other.push(key);
        Ok(())
    }
}

/// An object key read against the names a visitor expects: a known name is borrowed from the
/// list, so a streamed document allocates only for keys nobody expects (serde_json's reader
/// hands every key over in a scratch buffer; `Key` would copy each one into a `String`: a
/// dozen allocations per component of a 1,000,000-component SBOM).
struct KeyIn(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for KeyIn {
    type Value = Key<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key<'de>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyIn {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(std::borrow::Cow::Borrowed(key)))
    }
    fn visit_str<E>(self, key: &str) -> Result<Key<'de>, E> {
        Ok(Key(match self.0.iter().find(|known| **known == key) {
            Some(known) => std::borrow::Cow::Borrowed(known),
            None => std::borrow::Cow::Owned(key.to_owned()),
        }))
    }
}

/// A component's keys: the ones read, then other CycloneDX 1.2-1.7 component keys (passed
/// over, named here only so that reading them allocates nothing).
const COMPONENT_KEYS: &[&str] = &[
    "bom-ref",
    "type",
    "group",
    "name",
    "version",
    "purl",
    "properties",
    "components",
    "hashes",
    "licenses",
    "supplier",
    "author",
    "authors",
    "publisher",
    "manufacturer",
    "description",
    "scope",
    "copyright",
    "cpe",
    "swid",
    "externalReferences",
    "evidence",
    "mime-type",
    "pedigree",
    "modified",
    "releaseNotes",
    "omniborId",
    "swhid",
    "tags",
    "data",
    "modelCard",
    "cryptoProperties",
    "signature",
];

/// Reads the next value of an object kevgate does not use (checked for duplicate keys when
/// `checks` is strict).
fn skip<'de, A: MapAccess<'de>>(map: &mut A, checks: Checks) -> Result<(), A::Error> {
    match checks {
        Checks::Strict => map.next_value::<UniqueKeys>().map(drop),
        Checks::Lenient => map.next_value::<de::IgnoredAny>().map(drop),
    }
}

/// The next value as `T`, built through a duplicate-checked `Value` when `checks` is strict.
fn small_part<'de, A: MapAccess<'de>, T: de::DeserializeOwned>(
    map: &mut A,
    checks: Checks,
) -> Result<T, A::Error> {
    match checks {
        Checks::Strict => {
            let value = map.next_value::<CheckedValue>()?.0;
            serde_json::from_value(value).map_err(de::Error::custom)
        }
        Checks::Lenient => map.next_value(),
    }
}

/// The top-level object.
struct DocumentSeed<'a>(&'a mut Parts);

impl<'de> DeserializeSeed<'de> for DocumentSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DocumentSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a CycloneDX document object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        const KEYS: &[&str] = &[
            "bomFormat",
            "specVersion",
            "serialNumber",
            "metadata",
            "components",
            "vulnerabilities",
            "dependencies",
            "$schema",
            "version",
        ];
        let parts = self.0;
        let mut seen = SeenKeys::default();
        while let Some(Key(key)) = map.next_key_seed(KeyIn(KEYS))? {
            match &*key {
                "bomFormat" => {
                    seen.known(0, &key)?;
                    parts.bom_format = Some(map.next_value()?);
                }
                "specVersion" => {
                    seen.known(1, &key)?;
                    parts.spec_version = Some(small_part(&mut map, parts.checks)?);
                }
                "serialNumber" => {
                    seen.known(2, &key)?;
                    parts.serial_number = map.next_value()?;
                }
                "metadata" => {
                    seen.known(3, &key)?;
                    let metadata: Option<FastMetadataDto> = small_part(&mut map, parts.checks)?;
                    if let Some(m) = metadata {
                        parts.tools = m.tools.as_ref().map(tools).unwrap_or_default();
                        parts.subject = m.component.map(|mut c| {
                            let nested = c.components.take().unwrap_or_default();
                            flatten_fast(nested, &mut parts.subject_parts);
                            c.into_dto().into_component()
                        });
                    }
                    parts.metadata_read = true;
                }
                "components" => {
                    seen.known(4, &key)?;
                    map.next_value_seed(ComponentsSeed(Sink {
                        out: &mut parts.components,
                        interner: &mut parts.interner,
                        checks: parts.checks,
                    }))?;
                    parts.components_read = true;
                }
                "vulnerabilities" => {
                    seen.known(5, &key)?;
                    parts.vulnerabilities = small_part(&mut map, parts.checks)?;
                }
                "dependencies" => {
                    seen.known(6, &key)?;
                    let dependencies = if parts.components_read && parts.metadata_read {
                        let refs = parts.refs();
                        let mut edges = vec![Vec::new(); refs_len(parts)];
                        map.next_value_seed(DependenciesSeed {
                            resolve: Some((&refs, &mut edges)),
                            listed: &mut Vec::new(),
                            checks: parts.checks,
                        })?;
                        Dependencies::Resolved(edges)
                    } else {
                        let mut listed = Vec::new();
                        map.next_value_seed(DependenciesSeed {
                            resolve: None,
                            listed: &mut listed,
                            checks: parts.checks,
                        })?;
                        Dependencies::Listed(listed)
                    };
                    parts.dependencies = Some(dependencies);
                }
                _ => {
                    seen.other(key)?;
                    skip(&mut map, parts.checks)?;
                }
            }
        }
        // Without `metadata`, the subject has no parts: the edges above hold.
        Ok(())
    }
}

fn refs_len(parts: &Parts) -> usize {
    parts.components.len() + parts.subject_parts.len()
}

/// Any JSON value, built while refusing duplicate keys (for the small parts that go through
/// the typed DTOs).
struct CheckedValue(Value);

impl<'de> de::Deserialize<'de> for CheckedValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CheckedValueVisitor)
    }
}

struct CheckedValueVisitor;

impl<'de> Visitor<'de> for CheckedValueVisitor {
    type Value = CheckedValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<CheckedValue, E> {
        Ok(CheckedValue(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<CheckedValue, E> {
        Ok(CheckedValue(Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<CheckedValue, E> {
        Ok(CheckedValue(Value::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<CheckedValue, E> {
        Ok(CheckedValue(Value::from(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<CheckedValue, E> {
        Ok(CheckedValue(Value::String(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<CheckedValue, E> {
        Ok(CheckedValue(Value::String(v)))
    }
    fn visit_unit<E>(self) -> Result<CheckedValue, E> {
        Ok(CheckedValue(Value::Null))
    }
    fn visit_none<E>(self) -> Result<CheckedValue, E> {
        Ok(CheckedValue(Value::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<CheckedValue, A::Error> {
        let mut items = Vec::new();
        while let Some(CheckedValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(CheckedValue(Value::Array(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CheckedValue, A::Error> {
        let mut object = Map::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let CheckedValue(value) = map.next_value()?;
            if object.insert(key.into_owned(), value).is_some() {
                return Err(de::Error::custom("duplicate key"));
            }
        }
        Ok(CheckedValue(Value::Object(object)))
    }
}

/// Where components go as they are read.
struct Sink<'a> {
    out: &'a mut Vec<Component>,
    interner: &'a mut Interner,
    checks: Checks,
}

impl Sink<'_> {
    fn reborrow(&mut self) -> Sink<'_> {
        Sink {
            out: self.out,
            interner: self.interner,
            checks: self.checks,
        }
    }
}

/// A `components` array (or `null`), each component and its nested ones appended in
/// document order (pre-order).
struct ComponentsSeed<'a>(Sink<'a>);

impl<'de> DeserializeSeed<'de> for ComponentsSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for ComponentsSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of components")
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(ComponentSeed(self.0.reborrow()))?
            .is_some()
        {}
        Ok(())
    }
}

/// One component object: it takes its slot first, so nested components (read within it)
/// follow it whatever the key order.
struct ComponentSeed<'a>(Sink<'a>);

impl<'de> DeserializeSeed<'de> for ComponentSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ComponentSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a component object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut sink = self.0;
        let slot = sink.out.len();
        sink.out.push(Component::default());
        let mut seen = SeenKeys::default();
        let mut component = Component::default();
        while let Some(Key(key)) = map.next_key_seed(KeyIn(COMPONENT_KEYS))? {
            let text = |map: &mut A, sink: &mut Sink<'_>| {
                map.next_value_seed(TextSeed(Some(&mut *sink.interner)))
            };
            match &*key {
                "bom-ref" => {
                    seen.known(0, &key)?;
                    // Unique per component: not worth interning.
                    component.bom_ref = map.next_value_seed(TextSeed(None))?;
                }
                "type" => {
                    seen.known(1, &key)?;
                    component.kind = text(&mut map, &mut sink)?.unwrap_or_default();
                }
                "group" => {
                    seen.known(2, &key)?;
                    component.group = text(&mut map, &mut sink)?;
                }
                "name" => {
                    seen.known(3, &key)?;
                    component.name = map
                        .next_value_seed(TextSeed(Some(&mut *sink.interner)).keep_empty())?
                        .unwrap_or_default();
                }
                "version" => {
                    seen.known(4, &key)?;
                    component.version = text(&mut map, &mut sink)?;
                }
                "purl" => {
                    seen.known(5, &key)?;
                    component.purl =
                        map.next_value_seed(TextSeed(Some(&mut *sink.interner)).trimmed())?;
                }
                "properties" => {
                    seen.known(6, &key)?;
                    map.next_value_seed(PropertiesSeed(&mut component.trivy, sink.reborrow()))?;
                }
                "components" => {
                    seen.known(7, &key)?;
                    map.next_value_seed(ComponentsSeed(sink.reborrow()))?;
                }
                _ => {
                    seen.other(key)?;
                    skip(&mut map, sink.checks)?;
                }
            }
        }
        sink.out[slot] = component;
        Ok(())
    }
}

/// A string or `null`, interned when an interner is given; empty strings read as absent
/// unless kept (`name`), surrounding whitespace trimmed when asked (`purl`), as
/// `ComponentDto::into_component` reads them.
struct TextSeed<'a>(Option<&'a mut Interner>);

impl<'a> TextSeed<'a> {
    fn keep_empty(self) -> TextOptions<'a> {
        TextOptions {
            interner: self.0,
            keep_empty: true,
            trim: false,
        }
    }
    fn trimmed(self) -> TextOptions<'a> {
        TextOptions {
            interner: self.0,
            keep_empty: false,
            trim: true,
        }
    }
}

impl<'de> DeserializeSeed<'de> for TextSeed<'_> {
    type Value = Option<Str>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<Str>, D::Error> {
        TextOptions {
            interner: self.0,
            keep_empty: false,
            trim: false,
        }
        .deserialize(deserializer)
    }
}

/// [`TextSeed`] with its options spelled out.
struct TextOptions<'a> {
    interner: Option<&'a mut Interner>,
    keep_empty: bool,
    trim: bool,
}

impl<'de> DeserializeSeed<'de> for TextOptions<'_> {
    type Value = Option<Str>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<Str>, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for TextOptions<'_> {
    type Value = Option<Str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_none<E>(self) -> Result<Option<Str>, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Option<Str>, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<Str>, D::Error> {
        deserializer.deserialize_str(self)
    }
    fn visit_str<E>(self, text: &str) -> Result<Option<Str>, E> {
        let text = if self.trim { text.trim() } else { text };
        if text.is_empty() && !self.keep_empty {
            return Ok(None);
        }
        Ok(Some(match self.interner {
            Some(interner) => interner.intern(text),
            None => Str::from(text),
        }))
    }
}

/// A component's `properties` (or `null`): trivy's into [`TrivyProperties`].
struct PropertiesSeed<'a>(&'a mut TrivyProperties, Sink<'a>);

impl<'de> DeserializeSeed<'de> for PropertiesSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for PropertiesSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of properties")
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        while let Some(Property { key, value }) =
            seq.next_element_seed(PropertySeed(self.1.reborrow()))?
        {
            if let (Some(key), Some(value)) = (key, value) {
                super::set_trivy_property(self.0, &key, value);
            }
        }
        Ok(())
    }
}

/// One `properties[]` entry (its value interned: trivy's `PkgType`, `SrcName`, ... repeat).
struct Property {
    /// The name after `aquasecurity:trivy:`; `None` for other names and `null`.
    key: Option<std::borrow::Cow<'static, str>>,
    value: Option<Str>,
}

/// Reads one [`Property`].
struct PropertySeed<'a>(Sink<'a>);

impl<'de> DeserializeSeed<'de> for PropertySeed<'_> {
    type Value = Property;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Property, D::Error> {
        struct PropertyVisitor<'a>(Sink<'a>);
        impl<'de> Visitor<'de> for PropertyVisitor<'_> {
            type Value = Property;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a property object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Property, A::Error> {
                let mut seen = SeenKeys::default();
                let mut property = Property {
                    key: None,
                    value: None,
                };
                while let Some(Key(key)) = map.next_key_seed(KeyIn(&["name", "value"]))? {
                    match &*key {
                        "name" => {
                            seen.known(0, &key)?;
                            property.key = map.next_value_seed(TrivyKeySeed)?;
                        }
                        "value" => {
                            seen.known(1, &key)?;
                            let seed = TextSeed(Some(&mut *self.0.interner)).keep_empty();
                            property.value = map.next_value_seed(seed)?;
                        }
                        _ => {
                            seen.other(key)?;
                            skip(&mut map, self.0.checks)?;
                        }
                    }
                }
                Ok(property)
            }
        }
        deserializer.deserialize_map(PropertyVisitor(self.0))
    }
}

/// A property's `name` (a string or `null`) as the key of a trivy property
/// (`aquasecurity:trivy:PkgType` -> `PkgType`), the usual ones without allocating.
struct TrivyKeySeed;

impl<'de> DeserializeSeed<'de> for TrivyKeySeed {
    type Value = Option<std::borrow::Cow<'static, str>>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for TrivyKeySeed {
    type Value = Option<std::borrow::Cow<'static, str>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
    fn visit_str<E>(self, name: &str) -> Result<Self::Value, E> {
        const USUAL: &[&str] = &[
            "PkgType",
            "PkgID",
            "SrcName",
            "SrcVersion",
            "SrcRelease",
            "SrcEpoch",
            "FilePath",
            "LayerDigest",
            "LayerDiffID",
        ];
        Ok(name.strip_prefix("aquasecurity:trivy:").map(|key| {
            match USUAL.iter().find(|usual| **usual == key) {
                Some(usual) => std::borrow::Cow::Borrowed(*usual),
                None => std::borrow::Cow::Owned(key.to_owned()),
            }
        }))
    }
}

/// The `bom-ref` index and the edges it resolves `dependencies` into.
type Resolver<'a, 'r> = (&'a RefIndex<'r>, &'a mut Vec<Vec<usize>>);

/// Where resolving `dependencies` stands: the targets of the entry being read and where the
/// next ref and target are looked for first ([`RefIndex::resolve`]).
#[derive(Default)]
struct Resolving {
    targets: Vec<usize>,
    next_ref: usize,
    next_target: usize,
}

/// `dependencies` (or `null`): resolved into edges through `resolve` when given (refs naming
/// no component skipped, as `cyclonedx.rs` does), else kept in `listed`.
struct DependenciesSeed<'a, 'r> {
    resolve: Option<Resolver<'a, 'r>>,
    listed: &'a mut Vec<DependencyDto>,
    checks: Checks,
}

impl<'de> DeserializeSeed<'de> for DependenciesSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for DependenciesSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of dependencies")
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let checks = self.checks;
        match self.resolve {
            Some((refs, edges)) => {
                let mut resolving = Resolving::default();
                while let Some(dependency) = seq.next_element_seed(DependencySeed {
                    checks,
                    resolve: Some((refs, &mut resolving)),
                })? {
                    if let Dependency::Resolved(Some(from)) = dependency {
                        edges[from].extend_from_slice(&resolving.targets);
                        resolving.next_ref = from + 1;
                    }
                }
            }
            None => {
                while let Some(dependency) = seq.next_element_seed(DependencySeed {
                    checks,
                    resolve: None,
                })? {
                    if let Dependency::Listed(listed) = dependency {
                        self.listed.push(listed);
                    }
                }
            }
        }
        Ok(())
    }
}

/// One `dependencies[]` entry, duplicate keys refused: resolved to the component it names
/// (its targets left in the resolver's list), or kept as written.
enum Dependency {
    Resolved(Option<usize>),
    Listed(DependencyDto),
}

/// Reads one [`Dependency`]; resolving, `ref` and `dependsOn` are looked up as they are read
/// (no text kept).
struct DependencySeed<'a, 'r> {
    checks: Checks,
    resolve: Option<(&'a RefIndex<'r>, &'a mut Resolving)>,
}

impl<'de> DeserializeSeed<'de> for DependencySeed<'_, '_> {
    type Value = Dependency;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Dependency, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DependencySeed<'_, '_> {
    type Value = Dependency;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a dependency object")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Dependency, A::Error> {
        let mut seen = SeenKeys::default();
        let mut listed = DependencyDto {
            reference: None,
            depends_on: None,
        };
        let mut from = None;
        if let Some((_, resolving)) = &mut self.resolve {
            resolving.targets.clear();
        }
        while let Some(Key(key)) = map.next_key_seed(KeyIn(&["ref", "dependsOn"]))? {
            match (&*key, &mut self.resolve) {
                ("ref", resolve) => {
                    seen.known(0, &key)?;
                    match resolve {
                        Some((refs, resolving)) => {
                            from = map.next_value_seed(RefSeed(refs, resolving.next_ref))?;
                        }
                        None => listed.reference = map.next_value()?,
                    }
                }
                ("dependsOn", resolve) => {
                    seen.known(1, &key)?;
                    match resolve {
                        Some((refs, resolving)) => {
                            map.next_value_seed(DependsOnSeed(refs, resolving))?;
                        }
                        None => listed.depends_on = map.next_value()?,
                    }
                }
                _ => {
                    seen.other(key)?;
                    skip(&mut map, self.checks)?;
                }
            }
        }
        Ok(match self.resolve {
            Some(_) => Dependency::Resolved(from),
            None => Dependency::Listed(listed),
        })
    }
}

/// A `ref` (a string or `null`) resolved to the component it names, if any (looked for at
/// the given index first).
struct RefSeed<'a, 'r>(&'a RefIndex<'r>, usize);

impl<'de> DeserializeSeed<'de> for RefSeed<'_, '_> {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<usize>, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for RefSeed<'_, '_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_none<E>(self) -> Result<Option<usize>, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Option<usize>, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<usize>, D::Error> {
        deserializer.deserialize_str(self)
    }
    fn visit_str<E>(self, reference: &str) -> Result<Option<usize>, E> {
        Ok(self.0.resolve(reference, self.1))
    }
}

/// `dependsOn` (an array of strings, or `null`): the components it names, appended to the
/// list (refs naming none skipped).
struct DependsOnSeed<'a, 'r>(&'a RefIndex<'r>, &'a mut Resolving);

impl<'de> DeserializeSeed<'de> for DependsOnSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for DependsOnSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of strings")
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // Each element must be a string, as `Vec<String>` demands (a `null` fails).
        struct Target<'a, 'r>(&'a RefIndex<'r>, usize);
        impl<'de> DeserializeSeed<'de> for Target<'_, '_> {
            type Value = Option<usize>;
            fn deserialize<D: Deserializer<'de>>(
                self,
                deserializer: D,
            ) -> Result<Option<usize>, D::Error> {
                deserializer.deserialize_str(RefSeed(self.0, self.1))
            }
        }
        let resolving = self.1;
        while let Some(target) = seq.next_element_seed(Target(self.0, resolving.next_target))? {
            if let Some(target) = target {
                resolving.targets.push(target);
                resolving.next_target = target + 1;
            }
        }
        Ok(())
    }
}
