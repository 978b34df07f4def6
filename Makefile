# dockbake's build. `make test` is what CI runs (through .ci/run).
GO          ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.6.1
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
COMMIT      ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS     := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

.PHONY: build test test-short update-golden lint fuzz bench e2e

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/dockbake ./cmd/dockbake

# Every test, with the race detector. Tests that need a component that is
# missing here (dockerd, cloud-init, systemd-nspawn, ...) skip and say so;
# with CI=true they fail instead.
test:
	$(GO) test -race -timeout 40m ./...

# The quick loop: no real daemons, no boots.
test-short:
	$(GO) test -short ./...

update-golden:
	$(GO) test ./generator/ -run Golden -update

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

fuzz:
	$(GO) test ./generator/ -run '^$$' -fuzz FuzzExecLine -fuzztime 60s

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./pki/ ./generator/

# The core end-to-end proof alone: a real dockerd and the real docker CLI.
e2e:
	$(GO) test -race -run TestRealDockerd -v ./cmd/dockbake/
