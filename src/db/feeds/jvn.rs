//! JVN iPedia (IPA, Japan): the JVNDB entries of the MyJVN API and of the JVN iPedia data
//! feeds, as published in XML:
//!
//! - RSS 1.0 + `sec:` (mod_sec): `getVulnOverviewList` pages (JVNRSS 3.2, mod_sec 3.0) and
//!   the `jvndb_new.rdf` / `jvndb.rdf` / `jvndb_YYYY.rdf` feeds (jvnrss 2.0, the older
//!   `http://jvn.jp/rss/mod_sec/` namespace): one `item` per entry, CVEs in
//!   `sec:references id="CVE-…"`, scores in `sec:cvss`;
//! - VULDEF 3.2: `getVulnDetailInfo` pages and the `jvndb_detail_YYYY.rdf` feeds: one
//!   `Vulinfo` per entry, CVEs in `Related/RelatedItem type="advisory"`, scores in
//!   `Impact/Cvss`.
//!
//! Per entry kevgate keeps the JVNDB id, the CVEs it names, JVN's CVSS v3/v2 score and
//! severity and the entry's page; products (`sec:cpe`, vendor names often in Japanese) are
//! not matched: JVN enriches findings by CVE, like NVD.
//!
//! The feeds are untrusted input: a document with a DTD (`<!DOCTYPE`) is refused, so no
//! entity can be declared (no billion laughs, no external entity reads); only XML's five
//! predefined entities and character references are expanded. Nesting is limited to
//! [`MAX_DEPTH`] and every value is bounded by the document, which the callers bound.
//! A `status:Status` with `retCd` other than 0 (a MyJVN API error) is an error.

use super::{Doc, Outcome, trim_text};
use crate::db::model::{JvnCvss, JvnEntry};
use quick_xml::events::{BytesStart, Event};

/// Deepest element nesting accepted (the real documents nest 7 deep).
pub const MAX_DEPTH: usize = 64;
/// Longest title kept, in characters.
const MAX_TITLE: usize = 200;

/// One JVNDB entry as read, before the build joins it to CVEs.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The entry, as stored.
    pub entry: JvnEntry,
    /// The CVEs the entry names, upper-case, deduplicated, in document order.
    pub cves: Vec<String>,
}

/// The MyJVN `status:Status` of an API response (paging and errors).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    /// `totalRes`: entries matching the request.
    pub total_res: Option<u64>,
    /// `totalResRet`: entries in this response.
    pub total_res_ret: Option<u64>,
    /// `firstRes`: the 1-based position of the first entry of this response.
    pub first_res: Option<u64>,
}

/// A whole document.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    /// The entries, in document order.
    pub entries: Vec<Parsed>,
    /// The API status, when the document has one.
    pub status: Option<Status>,
}

/// Whether a file name is one the JVN feeds are published as (`.rdf`, `.xml`, maybe `.gz`).
pub fn is_xml_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let lower = lower.strip_suffix(".gz").unwrap_or(&lower);
    lower.ends_with(".rdf") || lower.ends_with(".xml")
}

/// Parses a JVN document; other file types, and XML documents of another kind (an XSD),
/// are skipped.
pub fn parse(doc: &Doc) -> Result<(Outcome, Vec<Parsed>), crate::db::DbError> {
    if !is_xml_name(&doc.name) {
        return Ok((
            Outcome::Skipped("not a JVN file type (`.rdf`, `.xml`, maybe `.gz`)".into()),
            Vec::new(),
        ));
    }
    match read(&doc.bytes).map_err(|e| doc.error(e))? {
        Read::Document(d) => Ok((Outcome::Read(d.entries.len()), d.entries)),
        Read::Other(root) => Ok((
            Outcome::Skipped(format!("not a JVN iPedia document (root element `{root}`)")),
            Vec::new(),
        )),
    }
}

/// What [`read`] found.
#[derive(Debug, Clone, PartialEq)]
pub enum Read {
    /// An RSS or VULDEF document.
    Document(Document),
    /// Well-formed XML of another kind: its root element.
    Other(String),
}

/// Where the parser is inside an entry.
#[derive(Default)]
struct Current {
    id: Option<String>,
    url: Option<String>,
    title: Option<String>,
    cvss: Vec<JvnCvss>,
    modified: Option<String>,
    cves: Vec<String>,
    /// VULDEF: the `type` of the `RelatedItem` being read.
    related_type: Option<String>,
    /// VULDEF: the `Cvss` being read.
    cvss_open: Option<JvnCvss>,
}

/// Reads a JVN document (see the module docs for what is refused).
pub fn read(bytes: &[u8]) -> Result<Read, String> {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    reader.config_mut().trim_text(false);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<String> = Vec::new();
    let mut root: Option<String> = None;
    let mut vuldef = false;
    let mut lang = "ja".to_string();
    let mut doc = Document::default();
    let mut cur: Option<Current> = None;
    let mut text = String::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("invalid XML at byte {}: {e}", reader.error_position()))?;
        match event {
            Event::DocType(_) => {
                return Err("the document has a DTD (`<!DOCTYPE`): refused".into());
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let name = local(e.name().as_ref());
                if root.is_none() {
                    match name.as_str() {
                        // `Result`: a MyJVN answer with no entry (only `status:Status`).
                        "RDF" | "Result" => {}
                        "VULDEF-Document" => vuldef = true,
                        _ => return Ok(Read::Other(name)),
                    }
                    if let Some(l) = attr(e, "lang")? {
                        lang = if l.eq_ignore_ascii_case("en") {
                            "en"
                        } else {
                            "ja"
                        }
                        .into();
                    }
                    root = Some(name.clone());
                } else if stack.is_empty() {
                    return Err(format!("a second root element `<{name}>`"));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(format!("elements nested deeper than {MAX_DEPTH}"));
                }
                text.clear();
                open(e, &name, &stack, vuldef, &mut cur, &mut doc)?;
                if empty {
                    close(&name, &stack, vuldef, &lang, "", &mut cur, &mut doc)?;
                } else {
                    stack.push(name);
                }
            }
            Event::End(_) => {
                let name = stack
                    .pop()
                    .ok_or_else(|| "an end tag without a start tag".to_string())?;
                let value = std::mem::take(&mut text);
                close(&name, &stack, vuldef, &lang, &value, &mut cur, &mut doc)?;
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(t) => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => match resolve_reference(&r) {
                Some(c) => text.push(c),
                None => {
                    return Err(format!(
                        "undefined entity `&{}` at byte {} (entities are refused)",
                        &*r,
                        reader.buffer_position()
                    ));
                }
            },
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    if root.is_none() {
        return Err("no root element".into());
    }
    Ok(Read::Document(doc))
}

/// XML's predefined entities and character references; nothing else.
fn resolve_reference(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

/// The local part of a qualified name (`sec:cvss` -> `cvss`).
fn local(qname: &str) -> String {
    match qname.rsplit_once(':') {
        Some((_, l)) => l.to_string(),
        None => qname.to_string(),
    }
}

/// An attribute's value by local name; malformed attributes are errors.
fn attr(e: &BytesStart<'_>, want: &str) -> Result<Option<String>, String> {
    for a in e.attributes() {
        let a = a.map_err(|err| {
            format!(
                "invalid attribute in `<{}>`: {err}",
                local(e.name().as_ref())
            )
        })?;
        if local(a.key.as_ref()) == want {
            let v = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| format!("invalid attribute value `{want}`: {err}"))?;
            return Ok(Some(v.trim().to_string()));
        }
    }
    Ok(None)
}

fn parent(stack: &[String]) -> &str {
    stack.last().map(String::as_str).unwrap_or_default()
}

/// An element starts (attributes are read here).
fn open(
    e: &BytesStart<'_>,
    name: &str,
    stack: &[String],
    vuldef: bool,
    cur: &mut Option<Current>,
    doc: &mut Document,
) -> Result<(), String> {
    // Check every attribute once, so a malformed one or an undefined entity fails
    // wherever it is.
    for a in e.attributes() {
        let a = a.map_err(|err| format!("invalid attribute in `<{name}>`: {err}"))?;
        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| format!("invalid attribute value in `<{name}>`: {err}"))?;
    }
    match (vuldef, name) {
        (false, "item") | (true, "Vulinfo") => *cur = Some(Current::default()),
        (_, "Status") => {
            let ret_cd = attr(e, "retCd")?.unwrap_or_default();
            if !ret_cd.is_empty() && ret_cd != "0" {
                let code = attr(e, "errCd")?.unwrap_or_default();
                let msg = attr(e, "errMsg")?.unwrap_or_default();
                return Err(format!(
                    "MyJVN API error: retCd `{ret_cd}`, errCd `{code}`: {}",
                    trim_text(&msg, 200).unwrap_or_default()
                ));
            }
            let num = |k: &str| -> Result<Option<u64>, String> {
                match attr(e, k)?.filter(|v| !v.is_empty()) {
                    None => Ok(None),
                    Some(v) => v
                        .parse()
                        .map(Some)
                        .map_err(|_| format!("status `{k}` is not a number: `{v}`")),
                }
            };
            doc.status = Some(Status {
                total_res: num("totalRes")?,
                total_res_ret: num("totalResRet")?,
                first_res: num("firstRes")?,
            });
        }
        _ => {}
    }
    let Some(c) = cur.as_mut() else {
        return Ok(());
    };
    match (vuldef, name) {
        (false, "references") => {
            if let Some(id) = attr(e, "id")?
                && is_cve(&id)
            {
                push_cve(&mut c.cves, &id);
            }
        }
        (false, "cvss") => {
            let cvss = JvnCvss {
                version: attr(e, "version")?.unwrap_or_default(),
                score: parse_score(attr(e, "score")?.as_deref())?,
                severity: attr(e, "severity")?.filter(|s| !s.is_empty()),
                vector: attr(e, "vector")?.filter(|s| !s.is_empty()),
            };
            c.cvss.push(cvss);
        }
        (true, "RelatedItem") => c.related_type = attr(e, "type")?,
        (true, "Cvss") if parent(stack) == "Impact" => {
            c.cvss_open = Some(JvnCvss {
                version: attr(e, "version")?.unwrap_or_default(),
                score: None,
                severity: None,
                vector: None,
            });
        }
        _ => {}
    }
    Ok(())
}

/// An element ends with its text content (`stack` no longer holds it).
fn close(
    name: &str,
    stack: &[String],
    vuldef: bool,
    lang: &str,
    text: &str,
    cur: &mut Option<Current>,
    doc: &mut Document,
) -> Result<(), String> {
    let value = text.trim();
    let non_empty = || Some(value.to_string()).filter(|v| !v.is_empty());
    if (vuldef && name == "Vulinfo") || (!vuldef && name == "item") {
        if let Some(c) = cur.take() {
            doc.entries.push(finish(c, vuldef, lang)?);
        }
        return Ok(());
    }
    let Some(c) = cur.as_mut() else {
        return Ok(());
    };
    let within = parent(stack);
    if vuldef {
        match (name, within) {
            ("VulinfoID", "Vulinfo") => c.id = non_empty(),
            ("VulinfoID", "RelatedItem")
                if c.related_type.as_deref() == Some("advisory") && is_cve(value) =>
            {
                push_cve(&mut c.cves, value);
            }
            ("Title", "VulinfoData") => c.title = trim_text(value, MAX_TITLE),
            ("DateLastUpdated", "VulinfoData") => c.modified = non_empty(),
            ("Severity", "Cvss") => {
                if let Some(o) = c.cvss_open.as_mut() {
                    o.severity = non_empty();
                }
            }
            ("Base", "Cvss") => {
                if let Some(o) = c.cvss_open.as_mut() {
                    o.score = parse_score(Some(value))?;
                }
            }
            ("Vector", "Cvss") => {
                if let Some(o) = c.cvss_open.as_mut() {
                    o.vector = non_empty();
                }
            }
            ("Cvss", "Impact") => c.cvss.extend(c.cvss_open.take()),
            ("RelatedItem", _) => c.related_type = None,
            _ => {}
        }
    } else {
        match (name, within) {
            ("identifier", "item") => c.id = non_empty(),
            ("link", "item") => c.url = non_empty(),
            ("title", "item") => c.title = trim_text(value, MAX_TITLE),
            ("modified", "item") => c.modified = non_empty(),
            ("date", "item") if c.modified.is_none() => c.modified = non_empty(),
            _ => {}
        }
    }
    Ok(())
}

/// Checks an entry and gives it its page.
fn finish(c: Current, vuldef: bool, lang: &str) -> Result<Parsed, String> {
    let what = if vuldef { "`Vulinfo`" } else { "`item`" };
    let id =
        c.id.ok_or_else(|| format!("an {what} without a JVNDB id"))?;
    let year = jvndb_year(&id).ok_or_else(|| format!("`{id}` is not a JVNDB id"))?;
    let url = match c.url {
        Some(u) if u.starts_with("https://") || u.starts_with("http://") => u,
        Some(u) => return Err(format!("`{id}`: link `{u}` is not an http(s) URL")),
        // VULDEF carries no link: the entry's page on jvndb.jvn.jp.
        None => format!("https://jvndb.jvn.jp/{lang}/contents/{year}/{id}.html"),
    };
    for m in &c.cvss {
        if !matches!(m.version.as_str(), "2.0" | "3.0" | "3.1" | "4.0") {
            return Err(format!("`{id}`: CVSS version `{}` is unknown", m.version));
        }
    }
    Ok(Parsed {
        entry: JvnEntry {
            id,
            url,
            title: c.title,
            cvss: c.cvss,
            modified: c.modified,
        },
        cves: c.cves,
    })
}

/// `JVNDB-2021-005429` -> `2021`.
fn jvndb_year(id: &str) -> Option<&str> {
    let rest = id.strip_prefix("JVNDB-")?;
    let (year, num) = rest.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (year.len() == 4 && digits(year) && digits(num)).then_some(year)
}

/// `CVE-YYYY-NNNN…`.
fn is_cve(id: &str) -> bool {
    let Some(rest) = id.trim().get(4..) else {
        return false;
    };
    if !id.trim()[..4].eq_ignore_ascii_case("CVE-") {
        return false;
    }
    let Some((year, num)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && num.len() >= 4
        && num.bytes().all(|b| b.is_ascii_digit())
}

fn push_cve(cves: &mut Vec<String>, id: &str) {
    let id = id.trim().to_ascii_uppercase();
    if !cves.contains(&id) {
        cves.push(id);
    }
}

/// A base score, 0-10; absent or empty is `None`.
fn parse_score(s: Option<&str>) -> Result<Option<f32>, String> {
    let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    match s.parse::<f32>() {
        Ok(v) if (0.0..=10.0).contains(&v) => Ok(Some(v)),
        _ => Err(format!("CVSS score `{s}` is not a number from 0 to 10")),
    }
}

#[cfg(test)]
mod tests;
