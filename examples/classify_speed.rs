//! Prints how long the screen classifier takes per screen (run with `--release`):
//! `cargo run --release --example classify_speed`. Uses the shared 2.1.197 fixtures.

use std::time::Instant;

use autocode::profile::Profile;
use autocode::screen::classify;

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/fixtures/claude-code-2.1.197"
);
const ROUNDS: u32 = 200;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let profile = Profile::claude_code()?;
    let started = Instant::now();
    let rules = profile.screen_rules(Some("2.1.197"))?;
    println!("compiling the rules: {:?}", started.elapsed());

    let mut screens = Vec::new();
    for entry in std::fs::read_dir(FIXTURES)? {
        let path = entry?.path();
        if path.extension().is_some_and(|x| x == "txt") {
            screens.push(std::fs::read_to_string(path)?);
        }
    }
    let started = Instant::now();
    for _ in 0..ROUNDS {
        for screen in &screens {
            std::hint::black_box(classify(screen, None, &rules));
        }
    }
    let calls = ROUNDS * screens.len() as u32;
    println!(
        "{} screens x {ROUNDS} rounds: {:?} per classification",
        screens.len(),
        started.elapsed() / calls
    );
    Ok(())
}
