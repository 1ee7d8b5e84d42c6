//! The hook registry's routing and checks, and the settings block the CLI runs.

use super::*;

const S1: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
const S2: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

fn event(name: &str, session: &str) -> HookEvent {
    HookEvent::parse(json!({"hook_event_name": name, "session_id": session})).expect("valid")
}

#[test]
fn secrets_route_events_and_unknown_ones_are_refused() {
    let hooks = Hooks::default();
    let (secret, mut rx) = hooks.register(7);
    let ev = event("Stop", S1);
    assert_eq!(hooks.deliver(&secret, ev.clone()), Ok(7));
    assert_eq!(rx.try_recv().ok().map(|p| p.event), Some(ev.clone()));
    assert_eq!(
        hooks.deliver("wrong", ev.clone()),
        Err(Refusal::UnknownSecret)
    );
    // Re-registering the project invalidates the old secret.
    let (_new, _rx2) = hooks.register(7);
    assert_eq!(
        hooks.deliver(&secret, ev.clone()),
        Err(Refusal::UnknownSecret)
    );
    // A re-adopted session keeps its secret.
    let (kept, mut rx3) = hooks.register_secret(7, "kept-secret".into());
    assert_eq!(hooks.deliver(&kept, ev.clone()), Ok(7));
    assert_eq!(rx3.try_recv().ok().map(|p| p.event), Some(ev.clone()));
    // Another project can never take that secret over.
    let (other, _rx4) = hooks.register_secret(8, "kept-secret".into());
    assert_ne!(other, "kept-secret");
    assert_eq!(hooks.deliver(&kept, ev), Ok(7));
}

#[test]
fn events_of_another_session_are_refused_until_a_session_start() {
    let hooks = Hooks::default();
    let (secret, _rx) = hooks.register(3);
    assert_eq!(hooks.project_of(&secret), Some((3, false)));
    hooks.bind_session(3, S1);
    assert_eq!(hooks.project_of(&secret), Some((3, true)));
    assert_eq!(
        hooks.deliver(&secret, event("Stop", S2)),
        Err(Refusal::OtherSession)
    );
    assert_eq!(hooks.deliver(&secret, event("Stop", S1)), Ok(3));
    assert_eq!(hooks.deliver(&secret, event("SessionStart", S2)), Ok(3));
    assert_eq!(
        hooks.deliver(&secret, event("Stop", S1)),
        Err(Refusal::OtherSession)
    );
    hooks.bind_session(3, S1);
    assert_eq!(hooks.deliver(&secret, event("Stop", S2)), Ok(3), "kept");
}

#[test]
fn every_field_is_checked() {
    let parse = |v: Value| HookEvent::parse(v).map(|e| e.name);
    assert_eq!(parse(json!([1])), Err(Refusal::NotAnObject));
    assert_eq!(
        parse(json!({"hook_event_name": "Bogus", "session_id": S1})),
        Err(Refusal::UnknownEvent)
    );
    for bad in [
        "abc",
        "--resume",
        "0f8fad5b-d9cb-469f-a165-70867728950",
        "0f8fad5b_d9cb-469f-a165-70867728950e",
        "0f8fad5b-d9cb-469f-a165-70867728950g",
    ] {
        assert_eq!(
            parse(json!({"hook_event_name": "Stop", "session_id": bad})),
            Err(Refusal::BadSessionId),
            "{bad}"
        );
    }
    assert_eq!(
        parse(json!({"hook_event_name": "Stop"})),
        Err(Refusal::BadSessionId)
    );
    assert_eq!(
        parse(json!({"hook_event_name": "PreToolUse", "session_id": S1.to_uppercase()})),
        Ok("PreToolUse".into())
    );
}

#[test]
fn hook_command_is_shell_safe() {
    let block = settings_block(Path::new("/opt/it's here/autocode"));
    let cmd = block["Stop"][0]["hooks"][0]["command"]
        .as_str()
        .expect("cmd");
    assert_eq!(cmd, r"'/opt/it'\''s here/autocode' hook");
    assert_eq!(block["PreToolUse"][0]["matcher"], "*");
    assert_eq!(block["PermissionRequest"][0]["matcher"], "*");
    // Only what must finish first is waited for.
    let waited = |e: &str| block[e][0]["hooks"][0]["async"] != true;
    assert!(waited("PermissionRequest") && waited("SessionStart") && waited("PreToolUse"));
    assert!(!waited("Stop") && !waited("UserPromptSubmit"));
}

#[tokio::test]
async fn a_permission_answer_goes_back_to_the_asking_secret_only() {
    let hooks = Hooks::default();
    let (mine, mut rx) = hooks.register(1);
    let (theirs, mut other) = hooks.register(2);
    let ask = event("PermissionRequest", S1);
    assert!(ask.wants_answer());
    assert!(!event("PreToolUse", S1).wants_answer());
    let answer = hooks.ask(&mine, ask.clone()).expect("asked");
    let posted = rx.try_recv().expect("delivered");
    assert!(other.try_recv().is_err(), "nothing reaches another project");
    let reply = permission_output(&PermissionAnswer::Deny("no".into()));
    posted
        .answer
        .expect("a way back")
        .send(reply.clone())
        .expect("sent");
    assert_eq!(answer.await.expect("answered"), reply);
    assert_eq!(
        reply["hookSpecificOutput"]["decision"],
        json!({"behavior": "deny", "message": "no"})
    );
    // Unanswered (the controller has nothing to say): the asker learns it at once.
    let unanswered = hooks.ask(&theirs, ask).expect("asked");
    drop(other.try_recv().expect("delivered"));
    assert!(unanswered.await.is_err());
    assert_eq!(
        hooks.ask("wrong", event("PermissionRequest", S1)).err(),
        Some(Refusal::UnknownSecret)
    );
}
