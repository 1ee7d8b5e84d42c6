//! Tests of the live screens: output applied and announced, captures, snapshots, quiet panes,
//! exits and trailing spaces.

use super::*;

#[test]
fn output_is_applied_and_announced() {
    let screens = Screens::new(16, 0);
    let mut events = screens.subscribe();
    screens.track(PaneId(1), 5, 20);
    screens.apply_output(PaneId(1), b"hello\r\n\x1b[31mred\x1b[0m".to_vec());
    assert_eq!(screens.rows(PaneId(1)).unwrap()[..2], ["hello", "red"]);
    assert_eq!(screens.cursor(PaneId(1)), Some((1, 3)));
    assert!(matches!(events.try_recv(), Ok(ScreenEvent::Output { .. })));
    assert_eq!(
        events.try_recv().unwrap(),
        ScreenEvent::ScreenChanged { pane: PaneId(1) }
    );
    // Untracked panes are ignored, not created.
    screens.apply_output(PaneId(2), b"x".to_vec());
    assert!(!screens.contains(PaneId(2)));
}

#[test]
fn a_capture_replaces_a_drifted_screen_but_not_newer_output() {
    let screens = Screens::new(16, 0);
    screens.track(PaneId(1), 3, 10);
    screens.apply_output(PaneId(1), b"old".to_vec());
    let seq = screens.seq(PaneId(1)).unwrap();
    let captured =
        screen_from_capture(b"\x1b[1mnew\x1b[0m\nline2\n", 3, 10, (1, 5), false, true, 0);
    assert!(screens.resync(PaneId(1), seq, captured));
    assert_eq!(screens.text(PaneId(1)).unwrap(), "new\nline2\n");
    assert_eq!(screens.cursor(PaneId(1)), Some((1, 5)));
    // Output after the capture was taken wins over the capture.
    let seq = screens.seq(PaneId(1)).unwrap();
    screens.apply_output(PaneId(1), b"!".to_vec());
    let stale = screen_from_capture(b"stale\n", 3, 10, (0, 0), false, true, 0);
    assert!(!screens.resync(PaneId(1), seq, stale));
    assert!(screens.text(PaneId(1)).unwrap().contains('!'));
}

#[test]
fn a_snapshot_and_the_output_after_it_add_up_to_the_screen() {
    let screens = Screens::new(16, 0);
    screens.track(PaneId(1), 5, 20);
    let mut events = screens.subscribe();
    screens.apply_output(PaneId(1), b"\x1b[32mgreen\x1b[0m\r\n".to_vec());
    let snap = screens.snapshot(PaneId(1)).unwrap();
    assert_eq!(
        (snap.seq, snap.rows, snap.cols, snap.exited),
        (1, 5, 20, false)
    );
    screens.apply_output(PaneId(1), b"after".to_vec());
    // A viewer replays the snapshot, then only the output numbered after it.
    let size = |n| NonZeroU16::new(n).unwrap();
    let mut viewer = vt100::Parser::new(size(5), size(20), 0);
    viewer.process(b"leftover junk");
    viewer.process(snap.data.as_bytes());
    while let Ok(event) = events.try_recv() {
        if let ScreenEvent::Output { seq, bytes, .. } = event
            && seq > snap.seq
        {
            viewer.process(&bytes);
        }
    }
    assert_eq!(
        screen_rows(viewer.screen()),
        screens.rows(PaneId(1)).unwrap()
    );
    assert_eq!(
        viewer.screen().cell(0, 0).unwrap().fgcolor(),
        vt100::Color::Idx(2)
    );
    assert_eq!(viewer.screen().cursor_position(), (1, 5));
    // A resync that replaces the screen skips a number, so viewers know to redraw.
    let seq = screens.seq(PaneId(1)).unwrap();
    let captured = screen_from_capture(b"other\n", 5, 20, (0, 0), false, true, 0);
    assert!(screens.resync(PaneId(1), seq, captured));
    assert_eq!(screens.seq(PaneId(1)), Some(seq + 1));
}

#[test]
fn quiet_panes_are_due_for_one_check_until_new_output() {
    let screens = Screens::new(16, 0);
    screens.track(PaneId(1), 3, 10);
    screens.apply_output(PaneId(1), b"x".to_vec());
    // Still talking: not due.
    assert!(
        screens
            .unchecked_quiet(Duration::from_secs(60), None)
            .is_empty()
    );
    assert_eq!(screens.unchecked_quiet(Duration::ZERO, None), [PaneId(1)]);
    let seq = screens.seq(PaneId(1)).unwrap();
    let same = screen_from_capture(b"x", 3, 10, (0, 1), false, true, 0);
    assert!(
        !screens.resync(PaneId(1), seq, same),
        "identical capture replaced"
    );
    // Checked: not due again unless a recheck interval passed or new output came.
    assert!(screens.unchecked_quiet(Duration::ZERO, None).is_empty());
    assert_eq!(
        screens.unchecked_quiet(Duration::ZERO, Some(Duration::ZERO)),
        [PaneId(1)]
    );
    screens.apply_output(PaneId(1), b"y".to_vec());
    assert_eq!(screens.unchecked_quiet(Duration::ZERO, None), [PaneId(1)]);
    screens.mark_exited(PaneId(1), None);
    assert!(screens.unchecked_quiet(Duration::ZERO, None).is_empty());
}

#[test]
fn exit_is_announced_once() {
    let screens = Screens::new(16, 0);
    let mut events = screens.subscribe();
    screens.track(PaneId(4), 3, 10);
    assert!(screens.mark_exited(PaneId(4), Some(0)));
    assert!(!screens.mark_exited(PaneId(4), Some(0)));
    assert_eq!(
        events.try_recv().unwrap(),
        ScreenEvent::PaneExited {
            pane: PaneId(4),
            status: Some(0)
        }
    );
    assert!(events.try_recv().is_err());
}

#[test]
fn rows_keep_a_trailing_no_break_space() {
    let mut parser = vt100::Parser::new(
        std::num::NonZeroU16::MIN.saturating_add(2),
        std::num::NonZeroU16::MIN.saturating_add(19),
        0,
    );
    parser.process("\u{276f}\u{a0}   ".as_bytes());
    let rows = super::screen_rows(parser.screen());
    assert_eq!(rows[0], "\u{276f}\u{a0}");
}
