//! `kevgate db update --from URL`: installs a signed prebuilt database (one small download
//! instead of the feeds; `.github/workflows/db.yml` publishes one daily).
//!
//! Downloads `URL`, `URL.sha256` (`sha256sum` format) and `URL.minisig` (minisign) into a
//! staging directory, then checks, in order: the sha256, the signature against the pinned
//! public key (`assets/db-signing.pub`, or `--public-key`), and the database's own header and
//! CRC, and that every record decodes. Only then is the database renamed into the cache,
//! under the cache lock, and the cache state records where it came from (for `db status`).
//! Any failure leaves the cache as it was and names the file and the problem.
//!
//! Rollback: a validly signed database is not necessarily a current one (an attacker who
//! controls the mirror or the network can replay last month's signed file, reopening every
//! KEV entry added since). So `--from` refuses a database whose data date
//! ([`VulnDb::data_date`], inside the signed bytes) is older than the installed one's, or
//! whose build serial (`serial N` in the signed trusted comment, `scripts/sign-db.sh`) is
//! lower than the one the cache state recorded, unless `--allow-downgrade`.

use crate::db::VulnDb;
use crate::db::cache::{
    self, DB_FILE, DatabaseState, RAW_DIR, cache_error, lock_cache, write_temp_db,
};
use crate::db::update::UpdateError;
use crate::http::{self, Fetched};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The project's minisign public key: prebuilt databases are signed with its secret key
/// (the `KEVGATE_DB_SIGNING_KEY` secret of the db workflow).
pub const PUBLIC_KEY: &str = include_str!("../../../assets/db-signing.pub");

/// The most bytes a packed download may decompress to (a full-size database is ~300 MB with
/// its blocks raw): a hostile frame fails here instead of exhausting memory.
pub const MAX_UNPACKED_BYTES: u64 = 2 << 30;

/// What `--from` needs.
#[derive(Debug, Clone)]
pub struct PrebuiltOptions {
    /// The cache directory (created if missing).
    pub cache_dir: PathBuf,
    /// The database's URL; `.sha256` and `.minisig` are beside it.
    pub url: String,
    /// A minisign public key file's text (`untrusted comment:` line and the key), or the
    /// bare base64 key.
    pub public_key: String,
    /// Timeouts, retries, extra roots, progress display.
    pub http: http::Settings,
    /// Install a database older than the installed one (`--allow-downgrade`). Default:
    /// false.
    pub allow_downgrade: bool,
}

impl PrebuiltOptions {
    /// Verified with the pinned project key and the default HTTP settings.
    pub fn new(cache_dir: PathBuf, url: String) -> PrebuiltOptions {
        PrebuiltOptions {
            cache_dir,
            url,
            public_key: PUBLIC_KEY.to_string(),
            http: http::Settings::default(),
            allow_downgrade: false,
        }
    }
}

/// What was installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrebuiltReport {
    /// The database written.
    pub db_path: PathBuf,
    /// Its size.
    pub db_bytes: u64,
    /// Its sha256 (hex).
    pub sha256: String,
    /// The signature's trusted comment.
    pub trusted_comment: String,
}

/// Downloads, verifies and installs the prebuilt database.
pub fn update_from(
    opts: &PrebuiltOptions,
    log: &mut dyn Write,
) -> Result<PrebuiltReport, UpdateError> {
    let key = parse_public_key(&opts.public_key)?;
    let client = http::Client::new(opts.http.clone())?;
    let cache = &opts.cache_dir;
    let lock = lock_cache(cache, log)?;
    let staging = cache.join(format!(".prebuilt-new-{}", std::process::id()));
    let result = fetch_and_verify(opts, &key, &client, &staging, log).and_then(|verified| {
        if !opts.allow_downgrade {
            refuse_rollback(cache, &opts.url, &verified)?;
        }
        install(cache, &opts.url, verified)
    });
    let _ = fs_err::remove_dir_all(&staging);
    drop(lock);
    result
}

fn source_error(url: &str, reason: String) -> UpdateError {
    UpdateError::Source {
        source_name: "prebuilt",
        url: url.to_string(),
        reason,
    }
}

fn parse_public_key(text: &str) -> Result<minisign_verify::PublicKey, UpdateError> {
    let key_line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("untrusted comment:"))
        .unwrap_or("");
    minisign_verify::PublicKey::from_base64(key_line).map_err(|e| UpdateError::Source {
        source_name: "prebuilt",
        url: "public key".into(),
        reason: format!("not a minisign public key: {e}"),
    })
}

/// A downloaded database that passed every check.
struct Verified {
    bytes: Vec<u8>,
    sha256: String,
    trusted_comment: String,
    /// Its newest data date.
    data_date: Option<jiff::civil::Date>,
    /// `serial N` from the trusted comment.
    serial: Option<u64>,
}

/// The build serial a trusted comment names: the number after the word `serial`
/// (`kevgate database kevgate.db sha256 … serial 412`).
pub fn serial(trusted_comment: &str) -> Option<u64> {
    let mut words = trusted_comment.split_whitespace();
    words.find(|w| *w == "serial")?;
    words.next()?.parse().ok()
}

/// `Err` when `new` is older than the database installed in `cache`: an older data date,
/// or a lower serial than the one the cache state recorded. An installed database that does
/// not load cannot be rolled back (replacing it is a repair).
fn refuse_rollback(cache: &Path, url: &str, new: &Verified) -> Result<(), UpdateError> {
    let hint = "hint: pass `--allow-downgrade` to install it anyway";
    let installed_path = cache.join(DB_FILE);
    let installed = match fs_err::read(&installed_path) {
        Ok(bytes) => VulnDb::from_bytes(bytes).ok(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(cache_error(&installed_path, e)),
    };
    if let Some(installed) = installed
        && let (Some(old), Some(new_date)) = (installed.data_date(), new.data_date)
        && new_date < old
    {
        return Err(source_error(
            url,
            format!(
                "refusing a downgrade: its data is from {new_date}, the installed database's \
                 from {old}; {hint}"
            ),
        ));
    }
    let state = cache::read_state(cache);
    let recorded = state.database.as_ref().and_then(|d| d.serial);
    if let (Some(old), Some(new_serial)) = (recorded, new.serial)
        && new_serial < old
    {
        return Err(source_error(
            url,
            format!(
                "refusing a downgrade: its build serial is {new_serial}, the installed \
                 database's is {old}; {hint}"
            ),
        ));
    }
    Ok(())
}

fn fetch_and_verify(
    opts: &PrebuiltOptions,
    key: &minisign_verify::PublicKey,
    client: &http::Client,
    staging: &Path,
    log: &mut dyn Write,
) -> Result<Verified, UpdateError> {
    fs_err::create_dir_all(staging).map_err(|e| cache_error(staging, e))?;
    let url = opts.url.as_str();
    let sum_url = format!("{url}.sha256");
    let sig_url = format!("{url}.minisig");
    let mut fetch = |u: &str, file: &str| -> Result<Vec<u8>, UpdateError> {
        let dest = staging.join(file);
        let _ = writeln!(log, "prebuilt: downloading `{u}`");
        let req = http::Request {
            label: "prebuilt",
            url: u,
            query: &[],
            headers: &[],
            forbidden_is_rate_limit: false,
        };
        match client.download(&req, &dest, log) {
            Ok(Fetched::Saved { .. }) => fs_err::read(&dest).map_err(|e| cache_error(&dest, e)),
            Ok(Fetched::NotModified) => Err(source_error(u, "unexpected 304".into())),
            Err(http::DownloadError::Http(reason)) => Err(source_error(u, reason)),
            Err(http::DownloadError::Write { path, reason }) => {
                Err(UpdateError::Cache { path, reason })
            }
        }
    };
    let bytes = fetch(url, "kevgate.db")?;
    let sum = fetch(&sum_url, "kevgate.db.sha256")?;
    let sig = fetch(&sig_url, "kevgate.db.minisig")?;

    let expected = String::from_utf8_lossy(&sum)
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if expected.len() != 64 || !expected.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(source_error(
            &sum_url,
            "not a sha256 checksum file (want `<64 hex digits>  <name>`)".into(),
        ));
    }
    let sha256 = cache::sha256_hex(&bytes);
    if sha256 != expected {
        return Err(source_error(
            url,
            format!("checksum mismatch: the file's sha256 is {sha256}, `.sha256` says {expected}"),
        ));
    }
    let sig_text = String::from_utf8_lossy(&sig);
    let signature = minisign_verify::Signature::decode(&sig_text)
        .map_err(|e| source_error(&sig_url, format!("not a minisign signature: {e}")))?;
    key.verify(&bytes, &signature, false).map_err(|e| {
        let why = match e {
            minisign_verify::Error::UnexpectedKeyId => {
                "signed with a different key than the trusted public key".to_string()
            }
            other => format!("bad signature: {other}"),
        };
        source_error(&sig_url, why)
    })?;
    // The packed download form (`kevgate db pack`) becomes the file `db build` wrote; its
    // signature covered the packed bytes.
    let bytes = crate::db::pack::unpack(bytes, MAX_UNPACKED_BYTES)
        .map_err(|e| source_error(url, format!("not a usable kevgate database: {e}")))?;
    let sha256 = cache::sha256_hex(&bytes);
    let db = VulnDb::from_bytes(bytes.clone())
        .and_then(|db| db.verify().map(|_| db))
        .map_err(|e| source_error(url, format!("not a usable kevgate database: {e}")))?;
    let trusted_comment = signature.trusted_comment().to_string();
    let _ = writeln!(
        log,
        "prebuilt: sha256 and signature verified ({})",
        crate::text::one_line(&trusted_comment, 200)
    );
    Ok(Verified {
        data_date: db.data_date(),
        serial: serial(&trusted_comment),
        bytes,
        sha256,
        trusted_comment,
    })
}

/// Renames the verified database into the cache and records its origin in the state.
fn install(cache: &Path, url: &str, v: Verified) -> Result<PrebuiltReport, UpdateError> {
    let db = cache.join(DB_FILE);
    let tmp = write_temp_db(cache, &v.bytes)?;
    if let Err(e) = fs_err::rename(&tmp, &db) {
        let _ = fs_err::remove_file(&tmp);
        return Err(cache_error(&db, e));
    }
    // The raw feed downloads stay (a later feed update continues from them); the state
    // says the database is the prebuilt one, so `db status` shows when it was fetched.
    let raw = cache.join(RAW_DIR);
    let mut state = cache::read_state(cache);
    state.database = Some(DatabaseState {
        prebuilt_url: Some(url.to_string()),
        written_at: jiff::Timestamp::now().to_string(),
        sha256: v.sha256.clone(),
        serial: v.serial,
    });
    cache::write_state(&raw, &state)?;
    if let Ok(d) = fs_err::File::open(cache) {
        let _ = d.sync_all();
    }
    Ok(PrebuiltReport {
        db_path: db,
        db_bytes: v.bytes.len() as u64,
        sha256: v.sha256,
        trusted_comment: v.trusted_comment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The serial is the number after `serial`; comments without one (older signatures)
    /// have none.
    #[test]
    fn serial_of_trusted_comments() {
        for (comment, want) in [
            (
                "kevgate database kevgate.db sha256 ab12 serial 412",
                Some(412),
            ),
            ("serial 7", Some(7)),
            ("kevgate database kevgate.db sha256 ab12", None),
            ("kevgate database serial x", None),
            ("kevgate database serial", None),
            ("serial -3", None),
        ] {
            assert_eq!(serial(comment), want, "{comment}");
        }
    }

    #[test]
    fn the_pinned_key_parses() {
        parse_public_key(PUBLIC_KEY).expect("assets/db-signing.pub");
        let e = parse_public_key("untrusted comment: x\nnot base64!\n").unwrap_err();
        assert!(e.to_string().contains("not a minisign public key"), "{e}");
    }
}
