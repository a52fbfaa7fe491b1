//! What a file is, from its content: gzip by its magic bytes (inflated, bounded), text
//! encoding, XML by its first non-space character, JSON by its root keys; and what a file
//! that is no SBOM kevgate reads is instead (a lockfile, a trivy report, SPDX tag-value, ...),
//! so the error can say how to get a readable one.
//!
//! Also the duplicate-key check every JSON format goes through ([`check_duplicate_keys`]).

use super::{SbomError, quote};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::io::Read;

/// gzip's magic bytes (RFC 1952).
const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];

/// Inflates gzip data (every member, as `gzip -d` does) up to `max_bytes`; `None` when the
/// data is not gzip. Inflating past the cap is [`SbomError::TooLarge`]: memory stays bounded
/// whatever the compression ratio.
pub(super) fn gunzip(bytes: &[u8], max_bytes: u64) -> Result<Option<Vec<u8>>, SbomError> {
    if !bytes.starts_with(GZIP_MAGIC) {
        return Ok(None);
    }
    let mut out = Vec::new();
    let decoder = flate2::read::MultiGzDecoder::new(bytes);
    decoder
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| SbomError::BadGzip(quote(&e.to_string())))?;
    if out.len() as u64 > max_bytes {
        return Err(SbomError::TooLarge { limit: max_bytes });
    }
    if out.starts_with(GZIP_MAGIC) {
        return Err(SbomError::Compressed("doubly gzip"));
    }
    Ok(Some(out))
}

/// A reader that yields at most `max_bytes` of `inner` and remembers whether there was more
/// (then it ends with an error, so a parser reading from it stops).
pub(super) struct Capped<R> {
    inner: std::io::Take<R>,
    max_bytes: u64,
    read: u64,
}

impl<R: Read> Capped<R> {
    pub(super) fn new(inner: R, max_bytes: u64) -> Capped<R> {
        Capped {
            inner: inner.take(max_bytes.saturating_add(1)),
            max_bytes,
            read: 0,
        }
    }

    /// Whether `inner` held more than `max_bytes`.
    pub(super) fn exceeded(&self) -> bool {
        self.read > self.max_bytes
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.exceeded() {
            return Err(std::io::Error::other("larger than the size cap"));
        }
        Ok(n)
    }
}

/// Bytes -> text: rejects compressed, wide-encoded, binary and non-UTF-8 files; strips a
/// UTF-8 byte-order mark.
pub(super) fn decode_text(bytes: &[u8]) -> Result<&str, SbomError> {
    const MAGIC: [(&[u8], &str); 5] = [
        (GZIP_MAGIC, "gzip"),
        (b"PK\x03\x04", "zip"),
        (&[0x28, 0xb5, 0x2f, 0xfd], "zstd"),
        (b"BZh", "bzip2"),
        (&[0xfd, b'7', b'z', b'X', b'Z', 0], "xz"),
    ];
    if let Some((_, kind)) = MAGIC.iter().find(|(magic, _)| bytes.starts_with(magic)) {
        return Err(SbomError::Compressed(kind));
    }
    if bytes.starts_with(&[0, 0, 0xfe, 0xff]) || bytes.starts_with(&[0xff, 0xfe, 0, 0]) {
        return Err(SbomError::WideEncoding("UTF-32"));
    }
    if bytes.starts_with(&[0xfe, 0xff]) || bytes.starts_with(&[0xff, 0xfe]) {
        return Err(SbomError::WideEncoding("UTF-16"));
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if let Some(offset) = bytes.iter().position(|&b| b == 0) {
        // BOM-less UTF-16: ASCII text with every other byte zero.
        let head = &bytes[..bytes.len().min(64)];
        let even = head.iter().step_by(2).filter(|&&b| b == 0).count();
        let odd = head.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
        let half = head.len() / 2;
        if half >= 2 && (even >= half * 3 / 4 || odd >= half * 3 / 4) && (even == 0 || odd == 0) {
            return Err(SbomError::WideEncoding("UTF-16"));
        }
        return Err(SbomError::Binary { offset });
    }
    std::str::from_utf8(bytes).map_err(|e| SbomError::NotUtf8 {
        offset: e.valid_up_to(),
    })
}

/// Whether an XML document is CycloneDX: its root element is `bom` in a CycloneDX namespace.
/// Only the head is looked at; the XML reader checks the whole document.
pub(super) fn is_cyclonedx_xml(text: &str) -> bool {
    let head: String = text.chars().take(4096).collect::<String>().to_lowercase();
    head.contains("cyclonedx.org/schema/bom")
}

/// Names an XML document that is not CycloneDX.
pub(super) fn classify_xml(text: &str) -> SbomError {
    let head: String = text.chars().take(4096).collect::<String>().to_lowercase();
    if head.contains("<bom") {
        SbomError::Xml(
            "the XML root is `bom` but without a CycloneDX namespace (`http://cyclonedx.org/schema/bom/1.x`); hint: regenerate it with a CycloneDX tool".to_owned(),
        )
    } else if head.contains("spdx") {
        SbomError::Spdx("RDF/XML")
    } else if head.contains("<project") && head.contains("maven") {
        SbomError::Foreign {
            what: "a Maven pom.xml",
            hint: "generate CycloneDX with `trivy fs --format cyclonedx --output sbom.cdx.json .` or the cyclonedx-maven-plugin (`mvn org.cyclonedx:cyclonedx-maven-plugin:makeAggregateBom -DoutputFormat=json`)",
        }
    } else if head.contains("<html") || head.contains("<!doctype html") {
        SbomError::Foreign {
            what: "an HTML page (an error page or a login page saved instead of the file?)",
            hint: "check the URL or artifact the SBOM was downloaded from",
        }
    } else {
        SbomError::Foreign {
            what: "an XML document",
            hint: "generate a CycloneDX JSON SBOM with `trivy fs --format cyclonedx --output sbom.cdx.json .`",
        }
    }
}

/// The document as a `Value`; a parse error says what the file is when it is recognisably
/// something else (a lockfile, SPDX tag-value, ...), else where the JSON broke.
pub(super) fn json_value(text: &str) -> Result<Value, SbomError> {
    serde_json::from_str(text).map_err(|err| {
        let err = json_error(&err);
        if matches!(err, SbomError::TooDeep { .. }) {
            return err;
        }
        classify_text(text).unwrap_or(err)
    })
}

/// Recognises common non-JSON files by their first lines.
fn classify_text(text: &str) -> Option<SbomError> {
    const LOCK_HINT: &str = "give kevgate an SBOM of the project instead: `trivy fs --format cyclonedx --output sbom.cdx.json .`";
    let text = text.trim_start();
    let first = text.lines().next().unwrap_or_default().trim();
    let head: String = text.chars().take(4096).collect();
    let foreign = |what| {
        Some(SbomError::Foreign {
            what,
            hint: LOCK_HINT,
        })
    };
    if head.contains("SPDXVersion:") {
        return Some(SbomError::Spdx("tag-value"));
    }
    if head.contains("spdxVersion:") {
        return Some(SbomError::Spdx("YAML"));
    }
    if head.contains("@generated by Cargo") || head.contains("[[package]]") {
        return foreign("a TOML lockfile (Cargo.lock, poetry.lock, uv.lock)");
    }
    if head.contains("# yarn lockfile") || head.contains("\n__metadata:") {
        return foreign("a yarn.lock");
    }
    if first.starts_with("lockfileVersion:") {
        return foreign("a pnpm-lock.yaml");
    }
    if first.starts_with("module ") {
        return foreign("a go.mod");
    }
    let go_sum = |line: &str| {
        let mut parts = line.split_whitespace();
        let (_, version, hash) = (parts.next(), parts.next(), parts.next());
        version.is_some_and(|v| v.starts_with('v')) && hash.is_some_and(|h| h.starts_with("h1:"))
    };
    if go_sum(first) {
        return foreign("a go.sum");
    }
    if matches!(first, "GEM" | "PATH" | "GIT" | "PLATFORMS") {
        return foreign("a Gemfile.lock");
    }
    if first.starts_with('[')
        && first.ends_with(']')
        && first[1..].starts_with(|c: char| c.is_ascii_alphabetic())
    {
        return foreign("a TOML or INI file");
    }
    if first == "---" || first.starts_with("apiVersion:") {
        return foreign("a YAML document");
    }
    None
}

/// Recognises JSON documents that are no SBOM kevgate reads (CycloneDX and SPDX are told
/// apart by the caller first).
pub(super) fn classify_json(doc: &Map<String, Value>) -> Option<SbomError> {
    let has = |key: &str| doc.contains_key(key);
    let foreign = |what, hint| Some(SbomError::Foreign { what, hint });
    if has("SchemaVersion") && (has("Results") || has("ArtifactName")) {
        return Some(SbomError::TrivyReport);
    }
    const FS: &str =
        "generate CycloneDX with `trivy fs --format cyclonedx --output sbom.cdx.json .`";
    if has("lockfileVersion") {
        return foreign("an npm package-lock.json", FS);
    }
    if has("artifacts") && (has("artifactRelationships") || has("descriptor")) {
        return foreign(
            "a syft JSON document",
            "ask syft for CycloneDX: `syft <source> -o cyclonedx-json=sbom.cdx.json`",
        );
    }
    if has("matches") && has("descriptor") {
        return foreign(
            "a grype JSON report",
            "give kevgate the SBOM instead: `syft <source> -o cyclonedx-json=sbom.cdx.json`",
        );
    }
    if has("runs") && (has("$schema") || has("version")) {
        return foreign("a SARIF log", FS);
    }
    if doc
        .get("@context")
        .and_then(Value::as_str)
        .is_some_and(|c| c.contains("openvex"))
    {
        return foreign("an OpenVEX document", FS);
    }
    if has("document") && has("vulnerabilities") {
        return foreign("a CSAF document", FS);
    }
    if has("affected") && (has("schema_version") || has("id")) {
        return foreign("an OSV record", FS);
    }
    if has("catalogVersion") && has("vulnerabilities") {
        return foreign("the CISA KEV catalog", FS);
    }
    if has("_meta") && has("default") {
        return foreign("a Pipfile.lock", FS);
    }
    if has("content-hash") && has("packages") {
        return foreign("a composer.lock", FS);
    }
    if has("name") && (has("dependencies") || has("devDependencies") || has("scripts")) {
        return foreign("an npm package.json", FS);
    }
    None
}

pub(super) fn json_error(err: &serde_json::Error) -> SbomError {
    let (line, column) = (err.line(), err.column());
    let full = err.to_string();
    let suffix = format!(" at line {line} column {column}");
    let detail = full.strip_suffix(&suffix).unwrap_or(&full);
    if err.is_eof() {
        SbomError::Truncated { line, column }
    } else if detail.starts_with("recursion limit exceeded") {
        SbomError::TooDeep { line, column }
    } else {
        SbomError::NotJson {
            detail: quote(detail),
            line,
            column,
        }
    }
}

pub(super) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A JSON value for a message: strings in backticks, other kinds by name.
pub(super) fn quote_value(value: &Value) -> String {
    match value {
        Value::String(s) => format!("`{}`", quote(s)),
        Value::Array(_) | Value::Object(_) => format!("an {}", json_kind(value)),
        other => format!("a {}", json_kind(other)),
    }
}

/// Refuses a JSON document in which any object has the same key twice, naming the key and
/// where its second occurrence is. One pass without building values (keys are borrowed where
/// they need no unescaping); serde_json's nesting limit bounds the depth. Documents that are
/// not JSON pass: the format's reader explains what is wrong with them.
pub(super) fn check_duplicate_keys(text: &str) -> Result<(), SbomError> {
    let mut de = serde_json::Deserializer::from_str(text);
    match UniqueKeys::deserialize(&mut de) {
        Err(err) if err.to_string().starts_with(DUPLICATE) => {
            let full = err.to_string();
            let key = full[DUPLICATE.len()..]
                .split_once(DUPLICATE_END)
                .map_or("", |(key, _)| key)
                .to_owned();
            Err(SbomError::DuplicateKey {
                key,
                line: err.line(),
                column: err.column(),
            })
        }
        _ => Ok(()),
    }
}

/// The error prefix that marks a duplicate key (the key follows, quoted, then `\``).
const DUPLICATE: &str = "kevgate-duplicate-key `";
const DUPLICATE_END: &str = "`";

/// Any JSON value, checked for duplicate keys and discarded.
pub(super) struct UniqueKeys;

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueKeysVisitor)
    }
}

struct UniqueKeysVisitor;

impl<'de> Visitor<'de> for UniqueKeysVisitor {
    type Value = UniqueKeys;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_i64<E>(self, _: i64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_u64<E>(self, _: u64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_f64<E>(self, _: f64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_str<E>(self, _: &str) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_unit<E>(self) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UniqueKeys, A::Error> {
        while seq.next_element::<UniqueKeys>()?.is_some() {}
        Ok(UniqueKeys)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UniqueKeys, A::Error> {
        // Objects are small (a dozen keys): a linear scan beats hashing until they are not.
        let mut keys: Vec<Cow<'de, str>> = Vec::new();
        let mut set: std::collections::HashSet<Cow<'de, str>> = std::collections::HashSet::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let duplicate = if set.is_empty() && keys.len() < 32 {
                let seen = keys.contains(&key);
                keys.push(key.clone());
                seen
            } else {
                if set.is_empty() {
                    set.extend(keys.drain(..));
                }
                !set.insert(key.clone())
            };
            if duplicate {
                return Err(de::Error::custom(format!(
                    "{DUPLICATE}{}{DUPLICATE_END}",
                    quote(&key)
                )));
            }
            map.next_value::<UniqueKeys>()?;
        }
        Ok(UniqueKeys)
    }
}

/// An object key, borrowed from the text when it has no escapes.
pub(super) struct Key<'de>(pub(super) Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}
