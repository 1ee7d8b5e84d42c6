//! The parser against captured transcripts of both pinned releases and hand-made lines.

use super::*;
use serde_json::json;

/// Every entry of a captured transcript, in order.
fn fixture(version: &str) -> Vec<Entry> {
    let path = format!(
        "{}/tests/fixtures/transcripts/claude-code-{version}.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).expect("fixture");
    text.lines()
        .enumerate()
        .flat_map(|(i, l)| parse_line(l, &format!("L{i}")))
        .collect()
}

fn kinds(entries: &[Entry]) -> Vec<String> {
    entries
        .iter()
        .map(|e| match &e.item {
            Item::Prompt { text } => format!("prompt:{}", text.lines().next().unwrap_or("")),
            Item::Text { text } => format!("text:{}", text.lines().next().unwrap_or("")),
            Item::ToolUse { name, .. } => format!("tool:{name}"),
            Item::ToolResult { is_error, .. } => format!("result:{is_error}"),
        })
        .collect()
}

#[test]
fn both_releases_give_the_same_conversation() {
    let expected = [
        "prompt:say hello please",
        "text:Hello! I will **run** a command.",
        "prompt:run bash now",
        "tool:Bash",
        "result:false",
        "text:Ran it.",
        "prompt:write file now",
        "tool:Write",
        "result:false",
        "text:Wrote it.",
        "prompt:edit file now",
        "tool:Edit",
        "result:false",
        "text:Edited it.",
        "prompt:fail bash now",
        "tool:Bash",
        "result:true",
        "text:It failed.",
        "prompt:after resume hello",
        "text:OK (mock default reply).",
        "prompt:line 0 of a <b>pasted</b> step prompt",
        "text:OK (mock default reply).",
        "prompt:!echo bang",
        "text:OK (mock default reply).",
    ];
    for version in ["2.1.197", "2.1.330"] {
        let entries = fixture(version);
        assert_eq!(kinds(&entries), expected, "{version}");
        let ids: std::collections::HashSet<_> = entries.iter().map(|e| &e.id).collect();
        assert_eq!(ids.len(), entries.len(), "{version}: ids are unique");
        assert!(entries.iter().all(|e| e.timestamp.is_some()), "{version}");
    }
}

#[test]
fn tool_calls_carry_their_input_output_and_diff() {
    for version in ["2.1.197", "2.1.330"] {
        let entries = fixture(version);
        let bash = entries
            .iter()
            .find_map(|e| match &e.item {
                Item::ToolUse {
                    name,
                    input,
                    tool_use_id,
                } if name == "Bash" => Some((input.clone(), tool_use_id.clone())),
                _ => None,
            })
            .expect("a Bash call");
        assert_eq!(bash.0["command"], "echo hi-from-bash && ls", "{version}");
        let result = entries
            .iter()
            .find_map(|e| match &e.item {
                Item::ToolResult {
                    tool_use_id,
                    output,
                    ..
                } if *tool_use_id == bash.1 => Some(output.clone()),
                _ => None,
            })
            .expect("its result");
        assert_eq!(result, "hi-from-bash\nsub", "{version}");
        let patches: Vec<_> = entries
            .iter()
            .filter_map(|e| match &e.item {
                Item::ToolResult {
                    file_path: Some(path),
                    patch: Some(patch),
                    ..
                } => Some((path.clone(), patch.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(patches.len(), 2, "{version}: the Write and the Edit");
        assert!(patches[0].0.ends_with("/hello.txt"));
        assert_eq!(patches[0].1, "@@ -0,0 +1,2 @@\n+hello\n+world\n");
        assert_eq!(patches[1].1, "@@ -1,2 +1,2 @@\n hello\n-world\n+there\n");
    }
}

#[test]
fn odd_lines_yield_nothing_and_never_panic() {
    for line in [
        "",
        "not json",
        "[1,2]",
        "{\"type\":\"user\"}",
        "{\"type\":\"user\",\"message\":{\"content\":42}}",
        "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"thinking\"}]}}",
        "{\"type\":\"assistant\",\"message\":{\"content\":[null, 3, \"x\"]}}",
        "{\"type\":\"user\",\"message\":{\"content\":\"<bash-stdout>x</bash-stdout>\"}}",
        "{\"type\":\"user\",\"isMeta\":true,\"message\":{\"content\":\"Caveat\"}}",
        "{\"type\":\"assistant\",\"isSidechain\":true,\"message\":{\"content\":\"sub\"}}",
        "{\"type\":\"user\",\"message\":{\"content\":[{\"type\":\"tool_result\",\"content\":{}}]},\"toolUseResult\":\"Error\"}",
    ] {
        let entries = parse_line(line, "L");
        assert!(
            entries
                .iter()
                .all(|e| matches!(e.item, Item::ToolResult { .. })),
            "{line}: {entries:?}"
        );
    }
}

#[test]
fn several_blocks_get_several_ids_and_long_output_is_cut() {
    let line = json!({"type": "assistant", "uuid": "u1", "message": {"content": [
        {"type": "text", "text": "First"},
        {"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": "ls"}}
    ]}})
    .to_string();
    let entries = parse_line(&line, "L");
    assert_eq!(
        entries.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        ["u1.0", "u1.1"]
    );
    let big = "x".repeat(MAX_OUTPUT_CHARS + 10);
    let line = json!({"type": "user", "message": {"content": [
        {"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": big}]}
    ]}})
    .to_string();
    let Item::ToolResult { output, .. } = &parse_line(&line, "L9")[0].item else {
        panic!("a tool result");
    };
    assert!(output.len() < MAX_OUTPUT_CHARS + 100);
    assert!(output.ends_with("(10 more bytes not shown)"));
    assert_eq!(parse_line(&line, "L9")[0].id, "L9");
}
