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
        list.push(r.advisory(version)?);
    }
    r.end()?;
    Ok(list)
}

/// What [`decode_selected`] returns: how many advisories the list holds, and the ones the
/// caller wanted, each with only the `affected` entries of the ecosystems it kept.
#[derive(Debug, Default)]
pub struct Selected {
    /// Advisories stored under the key.
    pub total: usize,
    /// The wanted advisories, in stored order.
    pub advisories: Vec<Advisory>,
}

/// Decodes only what a query needs (issue 14: a big source package such as Debian's `linux`
/// holds ~7,000 advisories, and a scan used to turn all of them into owned values). Per
/// advisory, the affected entries whose ecosystem `keep` accepts (e.g. the component's release)
/// are decoded and shown to `wanted`; only an advisory `wanted` accepts (its ranges may affect
/// the component) is decoded in full. Everything else is walked over without allocating, so a
/// structurally corrupt list is still an error; `db verify` decodes every byte with [`decode`].
pub fn decode_selected(
    bytes: &[u8],
    version: u32,
    mut keep: impl FnMut(&str) -> bool,
    mut wanted: impl FnMut(&[Affected]) -> bool,
) -> Result<Selected, String> {
    let mut r = Reader { bytes, pos: 0 };
    let total = r.count()?;
    let mut advisories = Vec::new();
    for _ in 0..total {
        let start = r.pos;
        r.skip_str()?; // id
        r.skip_strs()?; // aliases
        r.skip_strs()?; // related
        for _ in 0..4 {
            r.skip_opt()?; // summary, published, modified, withdrawn
        }
        for _ in 0..r.count()? {
            r.skip_str()?; // severity kind
            r.skip_str()?; // severity score
        }
        r.skip_opt()?; // database severity
        let mut affected = Vec::new();
        for _ in 0..r.count()? {
            let ecosystem = r.str_ref()?;
            if keep(ecosystem) {
                let ecosystem = ecosystem.to_owned();
                affected.push(r.affected_after_ecosystem(ecosystem)?);
            } else {
                r.skip_affected_after_ecosystem()?;
            }
        }
        r.skip_opt()?; // url
        if version >= 2 {
            r.byte()?; // malware
        }
        if affected.is_empty() || !wanted(&affected) {
            continue;
        }
        let mut full = Reader {
            bytes: &bytes[..r.pos],
            pos: start,
        };
        let mut advisory = full.advisory(version)?;
        advisory.affected = affected;
        advisories.push(advisory);
    }
    r.end()?;
    Ok(Selected { total, advisories })
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

impl<'a> Reader<'a> {
    fn end(&self) -> Result<(), String> {
        if self.pos != self.bytes.len() {
            return Err(format!("{} trailing bytes", self.bytes.len() - self.pos));
        }
        Ok(())
    }

    /// One advisory, in full.
    fn advisory(&mut self, version: u32) -> Result<Advisory, String> {
        let r = self;
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
            affected.push(r.affected_after_ecosystem(ecosystem)?);
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
        Ok(Advisory {
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
        })
    }

    /// An `affected` entry whose ecosystem was just read.
    fn affected_after_ecosystem(&mut self, ecosystem: String) -> Result<Affected, String> {
        let name = self.str()?;
        let n_ranges = self.count()?;
        let mut ranges = Vec::with_capacity(n_ranges);
        for _ in 0..n_ranges {
            let kind = range_kind(self.byte()?)?;
            let n_events = self.count()?;
            let mut events = Vec::with_capacity(n_events);
            for _ in 0..n_events {
                events.push(match self.byte()? {
                    0 => Event::Introduced(self.str()?),
                    1 => Event::Fixed(self.str()?),
                    2 => Event::LastAffected(self.str()?),
                    3 => Event::Limit(self.str()?),
                    t => return Err(format!("unknown event tag {t}")),
                });
            }
            ranges.push(Range { kind, events });
        }
        let versions = self.strs()?;
        Ok(Affected {
            ecosystem,
            name,
            ranges,
            versions,
        })
    }

    fn skip_affected_after_ecosystem(&mut self) -> Result<(), String> {
        self.skip_str()?; // name
        for _ in 0..self.count()? {
            range_kind(self.byte()?)?;
            for _ in 0..self.count()? {
                match self.byte()? {
                    0..=3 => self.skip_str()?,
                    t => return Err(format!("unknown event tag {t}")),
                }
            }
        }
        self.skip_strs()
    }

    /// A string, borrowed from the bytes.
    fn str_ref(&mut self) -> Result<&'a str, String> {
        let len = self.count()?;
        let slice = self.slice(len)?;
        std::str::from_utf8(slice).map_err(|e| format!("invalid UTF-8: {e}"))
    }

    fn slice(&mut self, len: usize) -> Result<&'a [u8], String> {
        let end = self.pos + len;
        let slice = self
            .bytes
            .get(self.pos..end)
            .ok_or_else(|| format!("string runs past the end at byte {}", self.pos))?;
        self.pos = end;
        Ok(slice)
    }

    fn skip_str(&mut self) -> Result<(), String> {
        let len = self.count()?;
        self.slice(len).map(drop)
    }

    fn skip_opt(&mut self) -> Result<(), String> {
        match self.varint()? {
            0 => Ok(()),
            n => {
                let len = usize::try_from(n - 1).map_err(|e| e.to_string())?;
                self.slice(len).map(drop)
            }
        }
    }

    fn skip_strs(&mut self) -> Result<(), String> {
        for _ in 0..self.count()? {
            self.skip_str()?;
        }
        Ok(())
    }
}

fn range_kind(byte: u8) -> Result<RangeKind, String> {
    Ok(match byte {
        0 => RangeKind::Semver,
        1 => RangeKind::Ecosystem,
        2 => RangeKind::Git,
        3 => RangeKind::Other,
        k => return Err(format!("unknown range kind {k}")),
    })
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
        let slice = self.slice(len)?;
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

    /// The selective decode gives what the full decode gives, restricted to the kept
    /// ecosystems and the wanted advisories, and counts every advisory.
    #[test]
    fn selected_is_the_full_decode_filtered() {
        let all = fixture_advisories();
        let bytes = encode(&all);
        let every = decode_selected(&bytes, 2, |_| true, |_| true).expect("decodes");
        assert_eq!(every.total, all.len());
        assert_eq!(every.advisories, all);

        let eco = all[0].affected[0].ecosystem.clone();
        let mut seen = 0;
        let some = decode_selected(
            &bytes,
            2,
            |e| e == eco,
            |affected| {
                seen += 1;
                assert!(affected.iter().all(|a| a.ecosystem == eco));
                seen % 2 == 1
            },
        )
        .expect("decodes");
        let want: Vec<Advisory> = all
            .iter()
            .filter_map(|a| {
                let mut a = a.clone();
                a.affected.retain(|x| x.ecosystem == eco);
                (!a.affected.is_empty()).then_some(a)
            })
            .step_by(2)
            .collect();
        assert_eq!(some.total, all.len());
        assert_eq!(some.advisories, want);
        let none = decode_selected(&bytes, 2, |_| false, |_| true).expect("decodes");
        assert!(none.advisories.is_empty());
    }

    /// Truncated or corrupted bytes give an error, never a panic or a huge allocation.
    #[test]
    fn hostile() {
        let bytes = encode(&fixture_advisories());
        for cut in (0..bytes.len()).step_by(97) {
            assert!(decode(&bytes[..cut], 2).is_err(), "cut {cut}");
            // the selective decode walks every advisory, wanted or not
            assert!(
                decode_selected(&bytes[..cut], 2, |_| false, |_| false).is_err(),
                "cut {cut}"
            );
        }
        for at in (0..bytes.len()).step_by(89) {
            let mut bad = bytes.clone();
            bad[at] ^= 0xff;
            let _ = decode(&bad, 2);
            let _ = decode_selected(&bad, 2, |_| true, |_| true);
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
