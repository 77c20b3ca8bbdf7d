# The two commands a new machine needs: `make demo` and `make test`. Each installs what it needs first.
SHELL := /usr/bin/env bash

.PHONY: demo test setup unit integration lint typecheck crds bench soak build clean

setup:
	@bash scripts/ensure-tools.sh >/dev/null

demo:
	@bash scripts/demo.sh

test:
	@bash scripts/test.sh

unit: setup
	@eval "$$(bash scripts/ensure-tools.sh)" && npx mocha --config .mocharc.unit.json "test/unit/**/*.test.ts"

integration: setup
	@eval "$$(bash scripts/ensure-tools.sh)" && npx mocha --config .mocharc.integration.json "test/integration/**/*.test.ts"

lint: setup
	@eval "$$(bash scripts/ensure-tools.sh)" && npx eslint .

typecheck: setup
	@eval "$$(bash scripts/ensure-tools.sh)" && npx tsc -p tsconfig.json

crds: setup
	@eval "$$(bash scripts/ensure-tools.sh)" && node scripts/gen-crds.ts

build: setup
	@eval "$$(bash scripts/ensure-tools.sh)" && npm run build

bench:
	@bash scripts/bench.sh

soak:
	@bash scripts/soak.sh

clean:
	rm -rf dist .out
