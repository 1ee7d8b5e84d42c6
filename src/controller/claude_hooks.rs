//! The Claude Code adapter for hooks: the events its hooks post (`Stop`, `PreToolUse`, …)
//! and their payloads, as the machine's [`Hook`] inputs. Another CLI gets an adapter of its
//! own; the machine and the driver know no event name.

use super::machine::{Hook, ToolRequest};
use crate::hooks::HookEvent;

/// The machine's view of a hook event. A tool request carries the exact input for the
/// tools whose subject the policy judges (a command, a path, a URL).
pub(super) fn input(ev: &HookEvent) -> Hook {
    match ev.name.as_str() {
        // The reply comes with the hook: the transcript may not have it yet.
        "Stop" => Hook::Stop {
            reply: ev.payload["last_assistant_message"]
                .as_str()
                .filter(|r| !r.trim().is_empty())
                .map(str::to_owned),
        },
        // A turn ended by an API error (context full, overloaded, auth) is not vouched for:
        // the screen must first show which error it was, with the usual settle, or the
        // idle frame drawn before the error would count as a finished turn.
        "StopFailure" => Hook::Other,
        "UserPromptSubmit" => Hook::PromptSubmitted,
        "SessionStart" => match &ev.session_id {
            Some(id) => Hook::SessionStart { id: id.clone() },
            None => Hook::Other,
        },
        "PreToolUse" | "PermissionRequest" => {
            let tool = ev.payload["tool_name"].as_str().unwrap_or_default();
            let input = &ev.payload["tool_input"];
            let subject = ["command", "file_path", "notebook_path", "path", "url"]
                .iter()
                .find_map(|k| input[*k].as_str());
            let asked = ev.name == "PermissionRequest";
            match subject {
                _ if tool.is_empty() => Hook::Other,
                // A tool without a subject is judged on its name, as its menu would be.
                None if asked => Hook::PermissionAsked(ToolRequest {
                    tool: tool.to_owned(),
                    subject: String::new(),
                }),
                None => Hook::Other,
                Some(s) => {
                    let request = ToolRequest {
                        tool: tool.to_owned(),
                        subject: s.to_owned(),
                    };
                    if asked {
                        Hook::PermissionAsked(request)
                    } else {
                        Hook::ToolRequest(request)
                    }
                }
            }
        }
        _ => Hook::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::input as hook_input;
    use super::*;

    fn asked(payload: serde_json::Value) -> Hook {
        hook_input(&HookEvent {
            name: "PermissionRequest".into(),
            session_id: None,
            payload,
        })
    }

    #[test]
    fn a_stop_brings_the_reply_when_the_cli_hands_it_over() {
        let stop = |payload| {
            hook_input(&HookEvent {
                name: "Stop".into(),
                session_id: None,
                payload,
            })
        };
        let reply = Some("Wrote **a.txt**.".to_owned());
        assert_eq!(
            stop(serde_json::json!({"last_assistant_message": "Wrote **a.txt**."})),
            Hook::Stop { reply }
        );
        assert_eq!(
            stop(serde_json::json!({"last_assistant_message": "  "})),
            Hook::Stop { reply: None }
        );
        assert_eq!(stop(serde_json::json!({})), Hook::Stop { reply: None });
    }

    #[test]
    fn a_search_is_judged_on_the_folder_it_reads() {
        let grep = asked(
            serde_json::json!({"tool_name": "Grep", "tool_input": {"pattern": "key", "path": "/etc"}}),
        );
        let want = ToolRequest {
            tool: "Grep".into(),
            subject: "/etc".into(),
        };
        assert_eq!(grep, Hook::PermissionAsked(want));
        let bash = asked(
            serde_json::json!({"tool_name": "Bash", "tool_input": {"command": "ls\nrm -rf x"}}),
        );
        assert!(matches!(bash, Hook::PermissionAsked(r) if r.subject == "ls\nrm -rf x"));
        assert_eq!(asked(serde_json::json!({"tool_input": {}})), Hook::Other);
    }
}
