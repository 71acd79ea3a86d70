# wixgen's own tasks. `make help` lists them.
GO ?= go

.PHONY: help build test golden matrix e2e fixtures bench bench-gen bench-server lint fmt tidy ci

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: ## build the wixgen binary into bin/
	$(GO) build -o bin/wixgen .

test: ## the quick tests: engine, goldens, CLI end to end
	$(GO) test -timeout 30m ./...

golden: ## rewrite golden/ from the current templates
	$(GO) test ./generator -run 'TestGolden$$' -update

matrix: ## generate every option combination outside the repo and run each project's vet, build and tests
	.ci/matrix

e2e: ## generate a project per router and per auth mode and run its browser test, make e2e, in each (needs Chromium)
	$(GO) test ./generator -tags e2e -run 'TestEndToEnd$$' -count=1 -v -timeout 20m

fixtures: ## upgrade the projects earlier wixgen versions made (testdata/upgrade), then build and test them; build the overlay golden case
	$(GO) test . -tags fixtures -run 'TestUpgradeFixtures|TestOverlayProjectBuilds' -count=1 -v -timeout 30m

bench: bench-gen bench-server ## all benchmarks

bench-gen: ## generation speed: the engine in memory and `wixgen new --no-tidy` as a process
	$(GO) test ./generator -run '^$$' -bench 'Render' -benchmem
	$(GO) test . -run '^$$' -bench 'NewProcess' -benchtime 20x

bench-server: ## the generated server under load against a bare net/http handler
	$(GO) run ./internal/loadbench

lint: ## go vet and gofmt
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

tidy:
	$(GO) mod tidy

ci: ## what CI runs: vet, gofmt, the tests, the matrix and the upgrade fixtures
	.ci/run
