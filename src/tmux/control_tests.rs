//! Control-mode parser tests on a byte stream recorded from tmux 3.3a: a `show-buffer` reply
//! whose first line is `%end 1795270339 1 1`, `%output` with octal escapes and raw
//! non-UTF-8 bytes (0xff 0xfe), an `%error` reply and `%exit`.

use super::*;

const RECORDED: &[u8] = include_bytes!("testdata/control-3.3a.bin");

fn parse_in_chunks(bytes: &[u8], chunk: usize) -> Vec<ControlEvent> {
    let mut parser = ControlParser::new();
    let mut out = Vec::new();
    for piece in bytes.chunks(chunk) {
        parser.feed(piece, &mut out);
    }
    out
}

fn expected_recording() -> Vec<ControlEvent> {
    let pasted = b"a\\b\t\xff\xfe \xc3\xa9 %end 1 1 1\r\n".to_vec();
    vec![
        ControlEvent::Reply {
            number: 266,
            success: true,
            lines: vec![],
        },
        ControlEvent::SessionChanged {
            session: b"$0".to_vec(),
            name: b"r".to_vec(),
        },
        ControlEvent::Reply {
            number: 271,
            success: true,
            lines: vec![
                b"%end 1795270339 1 1".to_vec(),
                b"plain".to_vec(),
                b"".to_vec(),
            ],
        },
        // Once as the terminal's echo, once as cat's output.
        ControlEvent::Output {
            pane: PaneId(0),
            data: pasted.clone(),
        },
        ControlEvent::Output {
            pane: PaneId(0),
            data: pasted,
        },
        ControlEvent::Reply {
            number: 276,
            success: false,
            lines: vec![b"no buffer nope".to_vec()],
        },
        ControlEvent::SessionsChanged,
        ControlEvent::Exit { reason: None },
    ]
}

#[test]
fn recorded_stream_parses_whole() {
    assert_eq!(
        parse_in_chunks(RECORDED, RECORDED.len()),
        expected_recording()
    );
}

#[test]
fn recorded_stream_parses_the_same_at_every_split_point() {
    for split in 1..RECORDED.len() {
        let mut parser = ControlParser::new();
        let mut out = Vec::new();
        parser.feed(&RECORDED[..split], &mut out);
        parser.feed(&RECORDED[split..], &mut out);
        assert_eq!(out, expected_recording(), "split at byte {split}");
    }
}

#[test]
fn recorded_stream_parses_byte_by_byte() {
    assert_eq!(parse_in_chunks(RECORDED, 1), expected_recording());
}

#[test]
fn octal_escapes_become_bytes_and_other_backslashes_stay() {
    assert_eq!(unescape(b"\\033[1m\\134x\\015\\012"), b"\x1b[1m\\x\r\n");
    assert_eq!(unescape(b"a\\9b\\01"), b"a\\9b\\01");
    assert_eq!(unescape(b"\\777"), b"\\777");
    assert_eq!(unescape(b"\xff\\377"), b"\xff\xff");
}

#[test]
fn a_reply_ends_only_at_its_own_guard() {
    let stream = b"%begin 1 7 1\n%end\n%end 1 8 1\n%end x 7 1\n%end 1 7 1 extra\n%error 2 7 1\n";
    let events = parse_in_chunks(stream, 5);
    assert_eq!(
        events,
        vec![ControlEvent::Reply {
            number: 7,
            success: false,
            lines: vec![
                b"%end".to_vec(),
                b"%end 1 8 1".to_vec(),
                b"%end x 7 1".to_vec(),
                b"%end 1 7 1 extra".to_vec(),
            ],
        }]
    );
}

#[test]
fn window_and_pane_notifications_are_recognised() {
    let stream = b"%window-close @3\n%unlinked-window-close @4\n%pane-mode-changed %5\n\
%window-renamed @1 cat[dead]\n%layout-change @2 b25d,80x24,0,0,2 b25d,80x24,0,0,2 *\n\
%extended-output %6 12 : hi\\012\n%exit detached\n%client-detached /dev/pts/1\n";
    assert_eq!(
        parse_in_chunks(stream, 7),
        vec![
            ControlEvent::WindowClose {
                window: WindowId(3)
            },
            ControlEvent::UnlinkedWindowClose {
                window: WindowId(4)
            },
            ControlEvent::PaneModeChanged { pane: PaneId(5) },
            ControlEvent::WindowRenamed {
                window: WindowId(1),
                name: b"cat[dead]".to_vec()
            },
            ControlEvent::LayoutChange {
                window: WindowId(2)
            },
            ControlEvent::Output {
                pane: PaneId(6),
                data: b"hi\n".to_vec()
            },
            ControlEvent::Exit {
                reason: Some(b"detached".to_vec())
            },
            ControlEvent::Other(b"%client-detached /dev/pts/1".to_vec()),
        ]
    );
}

#[test]
fn an_unfinished_line_waits_for_its_newline() {
    let mut parser = ControlParser::new();
    let mut out = Vec::new();
    parser.feed(b"%output %1 abc", &mut out);
    assert!(out.is_empty());
    parser.feed(b"\\012\n", &mut out);
    assert_eq!(
        out,
        vec![ControlEvent::Output {
            pane: PaneId(1),
            data: b"abc\n".to_vec()
        }]
    );
}
