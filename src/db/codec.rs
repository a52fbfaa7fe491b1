//! The binary encoding of the advisory lists stored under each package key.
//!
//! Why not serde_json, as for the other tables: decoding dominates the cost of a scan, and
//! the few packages with thousands of advisories (Debian `linux`: ~7000, 6.6 MB of JSON)
//! took ~30 ms each to decode from JSON. This length-prefixed encoding skips tokenising,
//! field-name matching and escape handling. Not `postcard`/`bincode`: the model types use
//! `skip_serializing_if`, which non-self-describing serde formats cannot read back.
//!
//! Layout (all integers LEB128 varints, strings as length + UTF-8, `Option<String>` as
//! 0 for `None` or length + 1, lists as count + items):
//!
//! ```text
//! list     = count advisory*
//! advisory = id aliases related summary? published? modified? withdrawn?
//!            severity(kind score)* database_severity? affected* url? malware
//! malware  = u8: 0 no, 1 malicious, 2 false positive   (format 2 and later; format 1
//!            stored none, and its advisories are malicious when an id is `MAL-`)
//! affected = ecosystem name range* versions
//! range    = kind(u8: 0 SEMVER, 1 ECOSYSTEM, 2 GIT, 3 other) event*
//! event    = tag(u8: 0 introduced, 1 fixed, 2 last_affected, 3 limit) value
//! ```

use crate::db::model::{Advisory, Affected, Malware, OsvSeverity};
use crate::version::{Event, Range, RangeKind};

/// Encodes a package's advisory list.
pub fn encode(list: &[Advisory]) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(list.len() * 256));
    w.len(list.len());
    for a in list {
        w.str(&a.id);
        w.strs(&a.aliases);
        w.strs(&a.related);
        w.opt(&a.summary);
        w.opt(&a.published);
        w.opt(&a.modified);
        w.opt(&a.withdrawn);
        w.len(a.severity.len());
        for s in &a.severity {
            w.str(&s.kind);
            w.str(&s.score);
        }
        w.opt(&a.database_severity);
        w.len(a.affected.len());
        for x in &a.affected {
            w.str(&x.ecosystem);
            w.str(&x.name);
            w.len(x.ranges.len());
            for r in &x.ranges {
                w.0.push(match r.kind {
                    RangeKind::Semver => 0,
                    RangeKind::Ecosystem => 1,
                    RangeKind::Git => 2,
                    RangeKind::Other => 3,
                });
                w.len(r.events.len());
                for e in &r.events {
                    let (tag, v) = match e {
                        Event::Introduced(v) => (0, v),
                        Event::Fixed(v) => (1, v),
                        Event::LastAffected(v) => (2, v),
                        Event::Limit(v) => (3, v),
                    };
                    w.0.push(tag);
                    w.str(v);
                }
            }
            w.strs(&x.versions);
        }
        w.opt(&a.url);
        w.0.push(match a.malware {
            Malware::No => 0,
            Malware::Malicious => 1,
            Malware::FalsePositive => 2,
        });
    }
    w.0
}

/// Decodes a package's advisory list written by database format `version` (1 had no
/// malware byte); an error says what is malformed.
pub fn decode(bytes: &[u8], version: u32) -> Result<Vec<Advisory>, String> {
    let mut r = Reader { bytes, pos: 0 };
    let n = r.count()?;
    let mut list = Vec::with_capacity(n);
    for _ in 0..n {
        let id = r.str()?;
        let aliases = r.strs()?;
        let related = r.strs()?;
        let summary = r.opt()?;
        let published = r.opt()?;
        let modified = r.opt()?;
        let withdrawn = r.opt()?;
        let n_severity = r.count()?;
        let mut severity = Vec::with_capacity(n_severity);
        for _ in 0..n_severity {
            severity.push(OsvSeverity {
                kind: r.str()?,
                score: r.str()?,
            });
        }
        let database_severity = r.opt()?;
        let n_affected = r.count()?;
        let mut affected = Vec::with_capacity(n_affected);
        for _ in 0..n_affected {
            let ecosystem = r.str()?;
            let name = r.str()?;
            let n_ranges = r.count()?;
            let mut ranges = Vec::with_capacity(n_ranges);
            for _ in 0..n_ranges {
                let kind = match r.byte()? {
                    0 => RangeKind::Semver,
                    1 => RangeKind::Ecosystem,
                    2 => RangeKind::Git,
                    3 => RangeKind::Other,
                    k => return Err(format!("unknown range kind {k}")),
                };
                let n_events = r.count()?;
                let mut events = Vec::with_capacity(n_events);
                for _ in 0..n_events {
                    events.push(match r.byte()? {
                        0 => Event::Introduced(r.str()?),
                        1 => Event::Fixed(r.str()?),
                        2 => Event::LastAffected(r.str()?),
                        3 => Event::Limit(r.str()?),
                        t => return Err(format!("unknown event tag {t}")),
                    });
                }
                ranges.push(Range { kind, events });
            }
            let versions = r.strs()?;
            affected.push(Affected {
                ecosystem,
                name,
                ranges,
                versions,
            });
        }
        let url = r.opt()?;
        let malware = if version < 2 {
            Malware::of_ids(&id, &aliases)
        } else {
            match r.byte()? {
                0 => Malware::No,
                1 => Malware::Malicious,
                2 => Malware::FalsePositive,
                m => return Err(format!("unknown malware flag {m}")),
            }
        };
        list.push(Advisory {
            id,
            aliases,
            related,
            summary,
            published,
            modified,
            withdrawn,
            severity,
            database_severity,
            affected,
            url,
            malware,
        });
    }
    if r.pos != bytes.len() {
        return Err(format!("{} trailing bytes", bytes.len() - r.pos));
    }
    Ok(list)
}

struct Writer(Vec<u8>);

impl Writer {
    fn varint(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.0.push((n as u8) | 0x80);
            n >>= 7;
        }
        self.0.push(n as u8);
    }
    fn len(&mut self, n: usize) {
        self.varint(n as u64);
    }
    fn str(&mut self, s: &str) {
        self.len(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }
    fn opt(&mut self, s: &Option<String>) {
        match s {
            None => self.varint(0),
            Some(s) => {
                self.varint(s.len() as u64 + 1);
                self.0.extend_from_slice(s.as_bytes());
            }
        }
    }
    fn strs(&mut self, list: &[String]) {
        self.len(list.len());
        for s in list {
            self.str(s);
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, String> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or_else(|| format!("truncated at byte {}", self.pos))?;
        self.pos += 1;
        Ok(b)
    }
    fn varint(&mut self) -> Result<u64, String> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(format!("varint too long at byte {}", self.pos))
    }
    /// A count or length, bounded by the bytes left (every item takes at least one byte),
    /// so corrupt input cannot ask for a huge allocation.
    fn count(&mut self) -> Result<usize, String> {
        let n = self.varint()?;
        let left = (self.bytes.len() - self.pos) as u64;
        if n > left {
            return Err(format!("count {n} exceeds the {left} bytes left"));
        }
        Ok(n as usize)
    }
    fn take(&mut self, len: usize) -> Result<String, String> {
        let end = self.pos + len;
        let slice = self
            .bytes
            .get(self.pos..end)
            .ok_or_else(|| format!("string runs past the end at byte {}", self.pos))?;
        self.pos = end;
        std::str::from_utf8(slice)
            .map(str::to_owned)
            .map_err(|e| format!("invalid UTF-8: {e}"))
    }
    fn str(&mut self) -> Result<String, String> {
        let len = self.count()?;
        self.take(len)
    }
    fn opt(&mut self) -> Result<Option<String>, String> {
        match self.varint()? {
            0 => Ok(None),
            n => {
                let len = usize::try_from(n - 1).map_err(|e| e.to_string())?;
                self.take(len).map(Some)
            }
        }
    }
    fn strs(&mut self) -> Result<Vec<String>, String> {
        let n = self.count()?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.str()?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::feeds::{Doc, DocKind, osv};

    fn fixture_advisories() -> Vec<Advisory> {
        let mut all = Vec::new();
        for name in ["families.jsonl", "GHSA-jpcq-cgw6-v4j6.json"] {
            let path = format!(
                "{}/tests/fixtures/db/osv/{name}",
                env!("CARGO_MANIFEST_DIR")
            );
            let kind = if name.ends_with(".jsonl") {
                DocKind::Jsonl
            } else {
                DocKind::Json
            };
            let doc = Doc {
                name: name.into(),
                kind,
                bytes: fs_err::read(&path).expect("fixture exists"),
            };
            osv::parse(&doc, &mut |a| all.push(a)).expect("parses");
        }
        all
    }

    /// Every fixture advisory survives encode + decode unchanged, and the encoding is
    /// smaller than JSON.
    #[test]
    fn round_trip() {
        let mut all = fixture_advisories();
        all[0].withdrawn = Some("2024-01-01T00:00:00Z".into());
        all[0].malware = Malware::Malicious;
        all[1].malware = Malware::FalsePositive;
        all[0].summary = Some(String::new());
        all[0].affected.push(Affected {
            ecosystem: "npm".into(),
            name: "x".into(),
            ranges: vec![Range {
                kind: RangeKind::Other,
                events: vec![
                    Event::LastAffected("1".into()),
                    Event::Limit("2".into()),
                    Event::Introduced("é".repeat(100)),
                ],
            }],
            versions: vec!["1.0".into()],
        });
        let bytes = encode(&all);
        assert_eq!(decode(&bytes, 2).expect("decodes"), all);
        let json = serde_json::to_vec(&all).expect("json");
        assert!(bytes.len() < json.len());
        assert_eq!(
            decode(&encode(&[]), 2).expect("empty"),
            Vec::<Advisory>::new()
        );
    }

    /// Truncated or corrupted bytes give an error, never a panic or a huge allocation.
    #[test]
    fn hostile() {
        let bytes = encode(&fixture_advisories());
        for cut in (0..bytes.len()).step_by(97) {
            assert!(decode(&bytes[..cut], 2).is_err(), "cut {cut}");
        }
        for at in (0..bytes.len()).step_by(89) {
            let mut bad = bytes.clone();
            bad[at] ^= 0xff;
            let _ = decode(&bad, 2);
        }
        assert!(decode(&[0xff; 20], 2).is_err());
        assert!(
            decode(
                &[
                    1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01
                ],
                2
            )
            .is_err()
        );
        let mut trailing = encode(&[]);
        trailing.push(0);
        assert!(decode(&trailing, 2).is_err());
    }
}
