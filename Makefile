# AutoCode: `make run` builds everything and starts the daemon on http://127.0.0.1:8080
# with its data in ./data; `make test` installs what the tests need and runs them all.

DATA_DIR ?= ./data
LISTEN ?= 127.0.0.1:8080

.PHONY: run build frontend deps test test-rust lint test-frontend

run: build
	AUTOCODE_DATA_DIR=$(DATA_DIR) AUTOCODE_LISTEN=$(LISTEN) ./target/release/autocode serve

build: frontend
	cargo build --release

frontend:
	bash scripts/build-frontend.sh

deps:
	bash scripts/install-test-tools.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings

test-rust:
	AUTOCODE_REQUIRE_CLI=1 cargo test --all-targets

test-frontend:
	bash scripts/test-frontend.sh

test: deps lint test-rust test-frontend
