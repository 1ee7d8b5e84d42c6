//! A small, conservative reading of a shell command line: enough to split it into simple
//! commands (across `;`, `&&`, `||`, `|`, `&`, newlines, subshells and command or process
//! substitutions) and to see each one's words and redirections. It does not expand
//! anything; callers must treat `$`, globs and backticks in a word as unknown values.

/// One simple command, e.g. `rm -rf build` in `cd x && rm -rf build | tee log`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SimpleCommand {
    /// Words with quotes removed, redirections excluded.
    pub words: Vec<String>,
    /// Targets of `>`, `>>`, `&>`, `>|`.
    pub outputs: Vec<String>,
    /// Sources of `<`.
    pub inputs: Vec<String>,
    /// Whether this command reads the previous one's output through `|`.
    pub piped: bool,
    /// Whether it ran inside `$(...)`, backticks or `<(...)` of another command.
    pub nested: bool,
}

impl SimpleCommand {
    /// The words from the command name on, past variable assignments and wrappers such as
    /// `env`, `nohup`, `time`, `timeout 5`, `nice -n 5`, `command`, `exec`, `xargs`.
    pub fn command_words(&self) -> &[String] {
        let mut rest = self.words.as_slice();
        loop {
            let Some(first) = rest.first() else {
                return rest;
            };
            if is_assignment(first) {
                rest = &rest[1..];
                continue;
            }
            let name = basename(first);
            // Grouping and control keywords put the real command after them.
            if matches!(
                name,
                "{" | "!" | "if" | "then" | "else" | "elif" | "do" | "while" | "until"
            ) {
                rest = &rest[1..];
                continue;
            }
            let takes_value = match name {
                "env" | "nohup" | "time" | "command" | "builtin" | "exec" | "xargs" | "stdbuf"
                | "setsid" | "unbuffer" => false,
                "nice" | "timeout" | "ionice" | "chrt" => true,
                _ => return rest,
            };
            rest = &rest[1..];
            // Options of the wrapper, and its one positional value (a duration, a priority).
            while let Some(word) = rest.first() {
                if word.starts_with('-') || is_assignment(word) {
                    let needs_arg = matches!(word.as_str(), "-n" | "-u" | "-s" | "-k" | "-c");
                    rest = &rest[1..];
                    if needs_arg && !rest.is_empty() {
                        rest = &rest[1..];
                    }
                } else {
                    break;
                }
            }
            if takes_value
                && rest
                    .first()
                    .is_some_and(|w| w.starts_with(|c: char| c.is_ascii_digit()))
            {
                rest = &rest[1..];
            }
        }
    }

    /// The program name without its directory (`/usr/bin/sudo` is `sudo`).
    pub fn program(&self) -> Option<&str> {
        self.command_words().first().map(|w| basename(w))
    }
}

pub fn basename(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

fn is_assignment(word: &str) -> bool {
    match word.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && !name.starts_with(|c: char| c.is_ascii_digit())
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        }
        None => false,
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Redirect {
    None,
    Out,
    In,
}

struct Parser<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    done: Vec<SimpleCommand>,
    nested: Vec<SimpleCommand>,
    current: SimpleCommand,
    word: String,
    /// Whether `word` holds a word, even an empty quoted one.
    in_word: bool,
    redirect: Redirect,
    is_nested: bool,
}

/// Splits a command line into simple commands; substitutions come after their parents.
pub fn parse(line: &str) -> Vec<SimpleCommand> {
    parse_inner(line, false, 0)
}

/// Deeper nesting than this is treated as one opaque word rather than parsed.
const MAX_DEPTH: usize = 8;

fn parse_inner(line: &str, is_nested: bool, depth: usize) -> Vec<SimpleCommand> {
    let mut p = Parser {
        chars: line.chars().peekable(),
        done: Vec::new(),
        nested: Vec::new(),
        current: SimpleCommand {
            nested: is_nested,
            ..SimpleCommand::default()
        },
        word: String::new(),
        in_word: false,
        redirect: Redirect::None,
        is_nested,
    };
    while let Some(c) = p.chars.next() {
        match c {
            '\\' => {
                if let Some(next) = p.chars.next()
                    && next != '\n'
                {
                    p.push(next);
                }
            }
            '\'' => {
                p.in_word = true;
                for q in p.chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    p.word.push(q);
                }
            }
            '"' => p.double_quoted(depth),
            '`' => {
                let inner: String = p.chars.by_ref().take_while(|&q| q != '`').collect();
                p.substitution(&inner, depth, '`');
            }
            '$' if p.chars.peek() == Some(&'(') => {
                p.chars.next();
                let inner = p.balanced();
                p.substitution(&inner, depth, '$');
            }
            '$' if p.chars.peek() == Some(&'{') => {
                // `${HOME}` stays one word; its value is unknown.
                p.push('$');
                for q in p.chars.by_ref() {
                    p.word.push(q);
                    if q == '}' {
                        break;
                    }
                }
            }
            '<' | '>' if p.chars.peek() == Some(&'(') => {
                p.chars.next();
                let inner = p.balanced();
                p.substitution(&inner, depth, c);
            }
            '>' | '<' => {
                // `2>file`: the digits name a descriptor, not a word.
                if !p.word.is_empty() && p.word.bytes().all(|b| b.is_ascii_digit()) {
                    p.word.clear();
                    p.in_word = false;
                }
                p.end_word();
                while matches!(p.chars.peek(), Some('>' | '|')) {
                    p.chars.next();
                }
                if p.chars.peek() == Some(&'&') {
                    // `>&2`, `2>&1`: a descriptor, not a file.
                    p.chars.next();
                    while p
                        .chars
                        .peek()
                        .is_some_and(|c| c.is_ascii_digit() || *c == '-')
                    {
                        p.chars.next();
                    }
                } else {
                    p.redirect = if c == '>' {
                        Redirect::Out
                    } else {
                        Redirect::In
                    };
                }
            }
            '&' if p.chars.peek() == Some(&'>') => {
                p.end_word();
                p.chars.next();
                if p.chars.peek() == Some(&'>') {
                    p.chars.next();
                }
                p.redirect = Redirect::Out;
            }
            '|' => {
                let or = p.chars.peek() == Some(&'|');
                if or {
                    p.chars.next();
                }
                p.end_command();
                p.current.piped = !or;
            }
            ';' | '&' | '\n' | '(' | ')' => p.end_command(),
            c if c.is_whitespace() => p.end_word(),
            c => p.push(c),
        }
    }
    p.end_command();
    p.done.append(&mut p.nested);
    p.done
}

impl Parser<'_> {
    fn push(&mut self, c: char) {
        self.word.push(c);
        self.in_word = true;
    }

    fn double_quoted(&mut self, depth: usize) {
        self.in_word = true;
        while let Some(q) = self.chars.next() {
            match q {
                '"' => break,
                '\\' => {
                    if let Some(next) = self.chars.next() {
                        self.word.push(next);
                    }
                }
                '`' => {
                    let inner: String = self.chars.by_ref().take_while(|&c| c != '`').collect();
                    self.substitution(&inner, depth, '`');
                }
                '$' if self.chars.peek() == Some(&'(') => {
                    self.chars.next();
                    let inner = self.balanced();
                    self.substitution(&inner, depth, '$');
                }
                q => self.word.push(q),
            }
        }
    }

    /// Text up to the `)` that closes an already consumed `(`.
    fn balanced(&mut self) -> String {
        let mut depth = 1;
        let mut inner = String::new();
        for c in self.chars.by_ref() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            inner.push(c);
        }
        inner
    }

    /// Records a substitution's commands, and leaves a marker in the word so that checks
    /// on the word see that its value is unknown.
    fn substitution(&mut self, inner: &str, depth: usize, marker: char) {
        if depth < MAX_DEPTH {
            self.nested.extend(parse_inner(inner, true, depth + 1));
        }
        self.word.push(marker);
        self.word.push('(');
        self.word.push_str(inner);
        self.word.push(')');
        self.in_word = true;
    }

    fn end_word(&mut self) {
        if !self.in_word {
            return;
        }
        let word = std::mem::take(&mut self.word);
        self.in_word = false;
        match std::mem::replace(&mut self.redirect, Redirect::None) {
            Redirect::None => self.current.words.push(word),
            Redirect::Out => self.current.outputs.push(word),
            Redirect::In => self.current.inputs.push(word),
        }
    }

    fn end_command(&mut self) {
        self.end_word();
        self.redirect = Redirect::None;
        let fresh = SimpleCommand {
            nested: self.is_nested,
            ..SimpleCommand::default()
        };
        let command = std::mem::replace(&mut self.current, fresh);
        if !command.words.is_empty() || !command.outputs.is_empty() || !command.inputs.is_empty() {
            self.done.push(command);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<Vec<String>> {
        parse(line).into_iter().map(|c| c.words).collect()
    }

    #[test]
    fn lists_pipes_and_subshells_split_into_commands() {
        assert_eq!(
            words("a 1 && b; c | d || (e &) \n f"),
            [
                vec!["a", "1"],
                vec!["b"],
                vec!["c"],
                vec!["d"],
                vec!["e"],
                vec!["f"]
            ]
        );
        let cmds = parse("curl x | sh");
        assert!(!cmds[0].piped && cmds[1].piped);
        assert!(!parse("a || b")[1].piped);
    }

    #[test]
    fn quotes_and_escapes_are_removed_but_do_not_split() {
        assert_eq!(
            words(r#"echo 'a && b' "c; $d" e\ f ''"#),
            [vec!["echo", "a && b", "c; $d", "e f", ""]]
        );
    }

    #[test]
    fn substitutions_become_nested_commands() {
        let cmds = parse(r#"echo "$(sudo id)" `rm -rf /` <(cat /x)"#);
        assert_eq!(cmds[0].words[0], "echo");
        let nested: Vec<_> = cmds.iter().filter(|c| c.nested).map(|c| &c.words).collect();
        assert_eq!(
            nested,
            [&["sudo", "id"][..], &["rm", "-rf", "/"], &["cat", "/x"]]
        );
        assert!(cmds[0].words[1].contains("$("));
    }

    #[test]
    fn redirections_are_not_words() {
        let cmd = &parse("echo hi >out 2>&1 < in.txt &>> all 2> err")[0];
        assert_eq!(cmd.words, ["echo", "hi"]);
        assert_eq!(cmd.outputs, ["out", "all", "err"]);
        assert_eq!(cmd.inputs, ["in.txt"]);
    }

    #[test]
    fn wrappers_and_assignments_are_skipped_to_find_the_program() {
        for line in [
            "sudo rm",
            "/usr/bin/sudo rm",
            "FOO=1 sudo rm",
            "env -i A=b sudo rm",
            "nohup nice -n 5 sudo rm",
            "timeout 5 sudo rm",
            "time command sudo rm",
            "{ sudo rm; }",
            "if true; then sudo rm; fi",
        ] {
            let found = parse(line).iter().any(|c| c.program() == Some("sudo"));
            assert!(found, "{line}");
        }
        assert_eq!(parse("X=1")[0].program(), None);
    }
}
