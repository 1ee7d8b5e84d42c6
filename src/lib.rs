//! AutoCode: a self-hosted daemon that drives coding CLIs in tmux for a family of users.
