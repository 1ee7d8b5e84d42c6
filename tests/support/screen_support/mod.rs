//! Helpers shared by the screen fixture tests: fixture paths and classification with the
//! profile's rules for a CLI version.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use autocode::profile::Profile;
use autocode::screen::{Classification, PaneMeta, ScreenRules, classify};

pub const SHARED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/fixtures/claude-code-2.1.197"
);
pub const LOCAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// Compiled rules per version: compiling is slow in debug builds, and the fixtures share them.
pub fn rules_for(version: &str) -> Arc<ScreenRules> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<ScreenRules>>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .expect("cache lock");
    cache
        .entry(version.to_owned())
        .or_insert_with(|| {
            Arc::new(
                Profile::claude_code()
                    .expect("built-in profile loads")
                    .screen_rules(Some(version))
                    .expect("rules compile"),
            )
        })
        .clone()
}

pub fn classify_fixture(file: &Path, version: &str) -> Classification {
    let rules = rules_for(version);
    let screen =
        std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let meta_path = file.with_extension("meta.json");
    let meta: Option<PaneMeta> = meta_path.exists().then(|| {
        serde_json::from_str(
            &std::fs::read_to_string(&meta_path).expect("fixture file is readable"),
        )
        .expect("valid JSON/TOML")
    });
    classify(&screen, meta.as_ref(), &rules)
}

pub fn shared(name: &str) -> Classification {
    classify_fixture(&Path::new(SHARED).join(name), "2.1.197")
}

pub fn options(c: &Classification) -> Vec<(u32, &str, bool)> {
    c.options
        .iter()
        .map(|o| (o.number, o.label.as_str(), o.selected))
        .collect()
}

pub const V330: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/claude-code-2.1.330"
);

pub fn v330(name: &str) -> Classification {
    classify_fixture(&Path::new(V330).join(name), "2.1.330")
}
