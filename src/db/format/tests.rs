//! Tests of the file format: round trips, checksums, hostile lengths, lookups at block
//! boundaries.

use super::*;

fn sample(n: usize) -> Vec<(String, Vec<u8>)> {
    (0..n)
        .map(|i| {
            (
                format!("key-{i:05}"),
                format!("value {i} ").repeat(i % 50).into_bytes(),
            )
        })
        .collect()
}

/// Keys with long shared prefixes (past the 255 bytes a key run shares), keys that are
/// prefixes of the next, one-byte differences, empty and large values: several blocks.
fn shared_prefixes() -> Vec<(String, Vec<u8>)> {
    let long = "p".repeat(300);
    let mut keys = vec![
        "a".to_string(),
        "aa".into(),
        "aaa".into(),
        "ab".into(),
        "b".into(),
        "crates.io/serde".into(),
        "crates.io/serde_json".into(),
        "crates.io/serde_jsonrc".into(),
        "crates.io/serde_yaml".into(),
        format!("{long}"),
        format!("{long}a"),
        format!("{long}a{long}"),
        format!("{long}b"),
        format!("{long}{long}"),
        format!("{long}{long}x"),
        "q".into(),
    ];
    for i in 0..400 {
        keys.push(format!("CVE-2024-{i:05}"));
        keys.push(format!("Debian:12/pkg{i}"));
    }
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .enumerate()
        .map(|(i, k)| {
            let value = match i % 7 {
                0 => Vec::new(),
                3 => vec![i as u8; 9000],
                _ => format!("{k} {i}").repeat(i % 40).into_bytes(),
            };
            (k, value)
        })
        .collect()
}

/// Every key written is found with its value, in every codec and format layout, from
/// memory and from a file, and the walk over all entries gives them back in order; absent
/// keys are not found.
#[test]
fn table_round_trip() {
    let dir = std::env::temp_dir().join(format!("kevgate-format-{}", std::process::id()));
    fs_err::create_dir_all(&dir).expect("temp dir");
    for (version, codec) in [
        (4, Codec::Raw),
        (4, Codec::Zstd),
        (4, Codec::Deflate),
        (3, Codec::Raw),
        (3, Codec::Zstd),
        (3, Codec::Deflate),
        (2, Codec::Raw),
        (2, Codec::Deflate),
    ] {
        for entries in [sample(3000), shared_prefixes()] {
            let bytes = write_table_as(version, &entries, codec).expect("small table");
            let path = dir.join(format!("t{version}-{codec:?}"));
            fs_err::write(&path, &bytes).expect("write");
            for source in [Source::from(&bytes[..]), Source::open(&path).expect("open")] {
                let (table, end) = Table::read(&source, 0, version).expect("valid table");
                assert_eq!(end, bytes.len() as u64);
                assert_eq!(table.len(), entries.len());
                for (k, v) in &entries {
                    assert_eq!(
                        table.get(&source, k.as_bytes()).expect("ok").as_deref(),
                        Some(&v[..]),
                        "{version} {codec:?} {k}"
                    );
                }
                for absent in [
                    "key-99999",
                    "",
                    "0",
                    "zzz",
                    "key-00001a",
                    "aab",
                    "crates.io/serde_jso",
                ] {
                    assert_eq!(
                        table
                            .get(&source, absent.as_bytes())
                            .expect("ok")
                            .as_deref(),
                        None,
                        "{version} {codec:?} {absent}"
                    );
                }
                let walked: Vec<(String, Vec<u8>)> = table
                    .iter(&source)
                    .map(|e| {
                        let (k, v) = e.expect("entry");
                        (String::from_utf8(k).expect("utf-8"), v.to_vec())
                    })
                    .collect();
                assert!(walked == entries, "{version} {codec:?}: the walk differs");
            }
        }
    }
    fs_err::remove_dir_all(&dir).expect("clean up");
}

/// Format 4 lookups at every block boundary: the first and last key of each block, keys
/// between two blocks (after one block's last key, before the next one's first), before
/// the first key and after the last.
#[test]
fn lookups_at_block_boundaries() {
    for entries in [sample(3000), shared_prefixes()] {
        let bytes = write_table(&entries, Codec::Zstd).expect("table");
        let source = Source::from(&bytes[..]);
        let (table, _) = Table::read(&source, 0, FORMAT_VERSION).expect("valid");
        assert!(table.blocks_count > 5, "{} blocks", table.blocks_count);
        let mut boundaries = 0;
        for b in 0..table.blocks_count {
            let first = table.first_key(b).expect("first key").to_vec();
            let i = entries
                .iter()
                .position(|(k, _)| k.as_bytes() == first)
                .expect("a block's first key is a key");
            let found = |k: &[u8]| table.get(&source, k).expect("ok").map(|v| v.to_vec());
            assert_eq!(found(&first), Some(entries[i].1.clone()));
            if i > 0 {
                // The last key of the block before, and keys strictly between the two.
                let (last, value) = &entries[i - 1];
                assert_eq!(found(last.as_bytes()), Some(value.clone()));
                let mut after_last = last.clone().into_bytes();
                after_last.push(0);
                assert!(after_last < first);
                assert_eq!(found(&after_last), None);
                let mut before_first = first.clone();
                if let Some(byte) = before_first.last_mut().filter(|b| **b > 0) {
                    *byte -= 1;
                    before_first.extend_from_slice(b"\xff\xff");
                    if before_first > last.as_bytes().to_vec() {
                        assert_eq!(found(&before_first), None);
                    }
                }
                boundaries += 1;
            }
        }
        assert_eq!(boundaries, table.blocks_count - 1);
        let (first, _) = &entries[0];
        let (last, value) = entries.last().expect("entries");
        assert_eq!(table.get(&source, b"").expect("ok").as_deref(), None);
        assert_eq!(
            table
                .get(&source, &first.as_bytes()[..first.len() - 1])
                .expect("ok")
                .as_deref(),
            None
        );
        assert_eq!(
            table.get(&source, last.as_bytes()).expect("ok").as_deref(),
            Some(&value[..])
        );
        let past = format!("{last}\u{0}");
        assert_eq!(
            table.get(&source, past.as_bytes()).expect("ok").as_deref(),
            None
        );
        assert_eq!(table.get(&source, b"\xff").expect("ok").as_deref(), None);
    }
}

/// Format 4 keeps in memory one descriptor and one key per block, not per key.
#[test]
fn the_index_holds_first_keys_only() {
    let entries = sample(3000);
    let v4 = write_table(&entries, Codec::Zstd).expect("table");
    let v3 = write_table_as(3, &entries, Codec::Zstd).expect("table");
    let (t4, _) = Table::read(&Source::from(&v4[..]), 0, 4).expect("v4");
    let (t3, _) = Table::read(&Source::from(&v3[..]), 0, 3).expect("v3");
    assert_eq!(t4.index.len(), t4.blocks_count * (28 + "key-00000".len()));
    assert!(
        t4.index.len() * 20 < t3.index.len(),
        "{} vs {}",
        t4.index.len(),
        t3.index.len()
    );
}

/// One flipped bit anywhere in a table is a checksum error when the part that holds it is
/// read (the index on load, a block when a query reads it), never a value: formats 3 and 4.
#[test]
fn every_flip_is_caught_by_a_part_checksum() {
    for version in [3, 4] {
        let entries = sample(400);
        let good = write_table_as(version, &entries, Codec::Zstd).expect("table");
        for at in 0..good.len() {
            let mut bad = good.clone();
            bad[at] ^= 0x04;
            let source = Source::from(&bad[..]);
            let caught = match Table::read(&source, 0, version) {
                Err(_) => true,
                Ok((table, _)) => table.iter(&source).any(|e| e.is_err()),
            };
            assert!(caught, "format {version}: flip at byte {at} not caught");
        }
    }
}

/// `table` wrapped in a file, every checksum recomputed over whatever it holds (a buggy or
/// hostile writer), and the table read back.
fn resealed(table: &[u8]) -> Option<Vec<u8>> {
    let mut file = write_file(b"{}", &[table.to_vec()]).ok()?;
    reseal(&mut file).ok()?;
    Some(file[HEADER_LEN + 2..].to_vec())
}

/// A format 4 table altered anywhere and re-checksummed — lengths, offsets, counts, first
/// keys, key runs, values — is an error on load or when a query reads the altered part, or
/// a consistent table: every key its walk gives is found by a lookup with the same value
/// (never a silent miss), and nothing panics.
#[test]
fn forged_tables_fail_or_stay_consistent() {
    let entries: Vec<(String, Vec<u8>)> = shared_prefixes().into_iter().step_by(9).collect();
    let good = write_table(&entries, Codec::Raw).expect("table");
    let (table, _) = Table::read(&Source::from(&good[..]), 0, FORMAT_VERSION).expect("valid");
    assert!(table.blocks_count > 3, "{} blocks", table.blocks_count);
    let index_end = 24 + table.index.len();
    let mut errors = 0;
    for at in 0..good.len() {
        // Every byte of the header and index; a sample of the data area.
        if at >= index_end && at % 37 != 0 {
            continue;
        }
        for change in [0x01, 0xff] {
            let mut bad = good.clone();
            bad[at] ^= change;
            let Some(bad) = resealed(&bad) else { continue };
            let source = Source::from(&bad[..]);
            let Ok((table, _)) = Table::read(&source, 0, FORMAT_VERSION) else {
                errors += 1;
                continue;
            };
            let mut walked = Vec::new();
            for entry in table.iter(&source) {
                match entry {
                    Ok((k, v)) => walked.push((k, v.to_vec())),
                    Err(_) => {
                        errors += 1;
                        walked.clear();
                        break;
                    }
                }
            }
            assert!(walked.windows(2).all(|w| w[0].0 < w[1].0), "at {at}: order");
            for (k, v) in &walked {
                match table.get(&source, k) {
                    Ok(found) => assert_eq!(
                        found.as_deref(),
                        Some(&v[..]),
                        "at {at}: `{}` walked but not found",
                        String::from_utf8_lossy(k)
                    ),
                    Err(_) => errors += 1,
                }
            }
            for (k, _) in &entries {
                let _ = table.get(&source, k.as_bytes());
            }
        }
    }
    assert!(errors > 0);
}

/// Forged format 4 structure, each named in its error: blocks that do not tile the data,
/// a key run longer than its block, first keys out of order, counts that do not add up,
/// keys out of order inside a run.
#[test]
fn forged_structure_is_named() {
    let entries = sample(3000);
    let good = write_table(&entries, Codec::Zstd).expect("table");
    let blocks = read_u32(&good, 4).expect("blocks") as usize;
    let field = |b: usize, at: usize| 24 + b * 28 + at;
    let set = |bytes: &mut Vec<u8>, at: usize, n: u32| {
        bytes[at..at + 4].copy_from_slice(&n.to_le_bytes());
    };
    let load_error = |bytes: &[u8]| {
        let bytes = resealed(bytes).expect("reseals");
        match Table::read(&Source::from(&bytes[..]), 0, FORMAT_VERSION) {
            Err(e) => e.0,
            Ok(_) => panic!("loads"),
        }
    };
    let mut bad = good.clone();
    set(&mut bad, field(1, 0), 1); // block 1's offset
    assert!(load_error(&bad).contains("block 1: the block does not start"));
    let mut bad = good.clone();
    let len = read_u32(&good, field(2, 4)).expect("len");
    set(&mut bad, field(2, 16), len + 1); // block 2's key run length
    assert!(load_error(&bad).contains("block 2: its key run overflows the block"));
    let mut bad = good.clone();
    let keys_at = 24 + blocks * 28;
    let second = read_u32(&good, field(0, 24)).expect("key end") as usize;
    bad[keys_at + second] = b'a'; // block 1's first key below block 0's
    assert!(load_error(&bad).contains("block 1: first keys out of order"));
    let mut bad = good.clone();
    set(&mut bad, field(3, 20), 1); // block 3's key count
    assert!(load_error(&bad).contains("the blocks hold"));
    let mut bad = good.clone();
    set(&mut bad, field(0, 20), 0);
    assert!(load_error(&bad).contains("block 0: the block holds no keys"));
    // Inside a run: block 0's second key made smaller than its first (shared 0, suffix
    // "key-00001" becomes "a"... of the same length), checksums recomputed.
    let mut bad = good.clone();
    let data_at = keys_at + read_u32(&good, 12).expect("keys") as usize;
    let run = &good[data_at..];
    let second_entry = 1 + 1 + "key-00000".len() + 1;
    assert_eq!(run[second_entry], 8, "shares `key-0000`");
    bad[data_at + second_entry + 2] = b'0';
    let bytes = resealed(&bad).expect("reseals");
    let source = Source::from(&bytes[..]);
    let (table, _) = Table::read(&source, 0, FORMAT_VERSION).expect("the index is intact");
    let e = table.get(&source, b"key-00001").expect_err("bad run");
    assert!(
        e.0.contains("key run of block 0: keys out of order"),
        "{}",
        e.0
    );
    assert!(table.iter(&source).any(|e| e.is_err()));
}

/// A zstd block whose recorded size disagrees with its frame is an error before any
/// allocation of the claimed size.
#[test]
fn zstd_block_size_must_match_its_frame() {
    for version in [3, 4] {
        let entries = sample(10);
        let mut bytes = write_table_as(version, &entries, Codec::Zstd).expect("table");
        let layout = Layout::of(version);
        // raw_len of block 0, then the index CRC recomputed as a buggy writer would.
        let raw_len_at = 24 + 10 * layout.entry + 8;
        bytes[raw_len_at..raw_len_at + 4].copy_from_slice(&0xffff_fff0_u32.to_le_bytes());
        let index_end =
            24 + 10 * layout.entry + layout.block + read_u32(&bytes, 12).expect("keys") as usize;
        let crc = index_crc(&bytes[..20], &bytes[24..index_end]);
        bytes[20..24].copy_from_slice(&crc.to_le_bytes());
        let source = Source::from(&bytes[..]);
        let (table, _) = Table::read(&source, 0, version).expect("index is consistent");
        let e = table.get(&source, b"key-00003").expect_err("bad length");
        let want = if version == 3 {
            "decompressed bytes, its zstd frame holds"
        } else {
            // Format 4 checks the key run's value lengths against the recorded size first.
            "the block holds 4294967280"
        };
        assert!(e.0.contains(want), "{}", e.0);
    }
}

/// An empty table is valid and finds nothing.
#[test]
fn empty_table() {
    for version in [3, 4] {
        let bytes = write_table_as(version, &[], Codec::Zstd).expect("empty");
        let source = Source::from(&bytes[..]);
        let (table, _) = Table::read(&source, 0, version).expect("valid");
        assert!(table.is_empty());
        assert_eq!(table.get(&source, b"x").expect("ok").as_deref(), None);
        assert_eq!(table.iter(&source).count(), 0);
    }
}

/// Older readers know no zstd: format 2 tables cannot hold zstd blocks.
#[test]
fn no_zstd_in_format_2() {
    assert!(write_table_as(2, &sample(3), Codec::Zstd).is_err());
}
