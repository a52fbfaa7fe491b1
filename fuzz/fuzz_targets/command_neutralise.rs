//! Fuzzes the workflow-command neutraliser (`kevgate::output`): whatever the text, and however
//! it is cut into writes and flushes, what reaches the log holds no command the Actions runner
//! would parse, and neutralising only adds `\`.
#![no_main]

use kevgate::output::{Console, ignorable, neutralise_text};
use libfuzzer_sys::fuzz_target;
use std::io::Write;

/// Whether the runner would parse a command in `line`: `TryParseV2` (after leading whitespace,
/// `::name::`) or the legacy `TryParse` (`##[name]` anywhere), on the line as is and without
/// the characters ICU's culture-sensitive comparison may skip. Any name counts.
fn is_command(line: &str) -> bool {
    let folded: String = line.chars().filter(|c| !ignorable(*c)).collect();
    [line, folded.as_str()].into_iter().any(|l| {
        let v2 = l
            .trim_start()
            .strip_prefix("::")
            .and_then(|rest| rest.find("::").map(|end| &rest[..end]))
            .is_some_and(|info| !info.split(' ').next().unwrap_or_default().is_empty());
        let legacy = l.find("##[").is_some_and(|p| {
            l[p + 3..]
                .find(']')
                .is_some_and(|rb| !l[p + 3..p + 3 + rb].split(' ').next().unwrap_or_default().is_empty())
        });
        v2 || legacy
    })
}

fn assert_no_command(text: &str, out: &str) {
    for line in out.split(['\n', '\r']) {
        assert!(!is_command(line), "{text:?} -> {out:?}: {line:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&cut, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let out = neutralise_text(&text);
    assert_no_command(&text, &out);
    assert_eq!(out.replace('\\', ""), text.replace('\\', ""), "only `\\` is added");

    // The same bytes through a console, cut every `cut % 7 + 1` bytes, flushing after each.
    let mut console = Console::new(Vec::new());
    for chunk in rest.chunks(usize::from(cut % 7) + 1) {
        console.write_all(chunk).expect("write to a Vec");
        if cut & 0x80 != 0 {
            console.flush().expect("flush to a Vec");
        }
    }
    let written = console.into_inner().expect("finish to a Vec");
    assert_no_command(&text, &String::from_utf8_lossy(&written));
});
