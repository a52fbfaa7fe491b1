//! Tests of the file format: round trips, checksums, hostile lengths.

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

/// Every key written is found with its value, in every codec and format layout, from
/// memory and from a file; absent keys are not.
#[test]
fn table_round_trip() {
    let dir = std::env::temp_dir().join(format!("kevgate-format-{}", std::process::id()));
    fs_err::create_dir_all(&dir).expect("temp dir");
    for (version, codec) in [
        (3, Codec::Raw),
        (3, Codec::Zstd),
        (3, Codec::Deflate),
        (2, Codec::Raw),
        (2, Codec::Deflate),
    ] {
        let entries = sample(3000);
        let bytes = write_table_as(version, &entries, codec).expect("small table");
        let path = dir.join(format!("t{version}-{codec:?}"));
        fs_err::write(&path, &bytes).expect("write");
        for source in [Source::from(&bytes[..]), Source::open(&path).expect("open")] {
            let (table, end) = Table::read(&source, 0, version).expect("valid table");
            assert_eq!(end, bytes.len() as u64);
            assert_eq!(table.len(), 3000);
            for (k, v) in &entries {
                assert_eq!(
                    table.get(&source, k.as_bytes()).expect("ok").as_deref(),
                    Some(&v[..])
                );
            }
            assert_eq!(
                table.get(&source, b"key-99999").expect("ok").as_deref(),
                None
            );
            assert_eq!(table.get(&source, b"").expect("ok").as_deref(), None);
        }
    }
    fs_err::remove_dir_all(&dir).expect("clean up");
}

/// Format 3: one flipped bit anywhere in a table is a checksum error when the part that
/// holds it is read (the index on load, a block when a query reads it), never a value.
#[test]
fn every_flip_is_caught_by_a_part_checksum() {
    let entries = sample(400);
    let good = write_table(&entries, Codec::Zstd).expect("table");
    for at in 0..good.len() {
        let mut bad = good.clone();
        bad[at] ^= 0x04;
        let source = Source::from(&bad[..]);
        let caught = match Table::read(&source, 0, FORMAT_VERSION) {
            Err(_) => true,
            Ok((table, _)) => (0..table.len()).any(|i| table.entry_at(&source, i).is_err()),
        };
        assert!(caught, "flip at byte {at} not caught");
    }
}

/// A zstd block whose recorded size disagrees with its frame is an error before any
/// allocation of the claimed size.
#[test]
fn zstd_block_size_must_match_its_frame() {
    let entries = sample(10);
    let mut bytes = write_table(&entries, Codec::Zstd).expect("table");
    // raw_len of block 0, then the index CRC recomputed as a buggy writer would.
    let raw_len_at = 24 + 10 * ENTRY_LEN + 8;
    bytes[raw_len_at..raw_len_at + 4].copy_from_slice(&0xffff_fff0_u32.to_le_bytes());
    let index_end = 24 + 10 * ENTRY_LEN + 16 + read_u32(&bytes, 12).expect("keys") as usize;
    let crc = index_crc(&bytes[..20], &bytes[24..index_end]);
    bytes[20..24].copy_from_slice(&crc.to_le_bytes());
    let source = Source::from(&bytes[..]);
    let (table, _) = Table::read(&source, 0, FORMAT_VERSION).expect("index is consistent");
    let e = table.get(&source, b"key-00003").expect_err("bad length");
    assert!(
        e.0.contains("decompressed bytes, its zstd frame holds"),
        "{}",
        e.0
    );
}

/// An empty table is valid and finds nothing.
#[test]
fn empty_table() {
    let bytes = write_table(&[], Codec::Zstd).expect("empty");
    let source = Source::from(&bytes[..]);
    let (table, _) = Table::read(&source, 0, FORMAT_VERSION).expect("valid");
    assert!(table.is_empty());
    assert_eq!(table.get(&source, b"x").expect("ok").as_deref(), None);
}

/// Older readers know no zstd: format 2 tables cannot hold zstd blocks.
#[test]
fn no_zstd_in_format_2() {
    assert!(write_table_as(2, &sample(3), Codec::Zstd).is_err());
}
