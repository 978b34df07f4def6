# dockbake's build. `make test` is what CI runs (through .ci/run).
GO          ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.6.1
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
COMMIT      ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS     := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

.PHONY: build test test-short update-golden lint fuzz bench e2e \
	plugin plugin-install plugin-test generate e2e-packer boot-test bench-boot bench-fleet

PACKER     ?= packer
PLUGIN_BIN ?= $(CURDIR)/bin/packer-plugin-dockbake

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/dockbake ./cmd/dockbake

# Every test, with the race detector. Tests that need a component that is
# missing here (dockerd, cloud-init, systemd-nspawn, ...) skip and say so;
# with CI=true they fail instead.
test:
	$(GO) test -race -timeout 40m ./...
	$(MAKE) plugin-test

# The quick loop: no real daemons, no boots.
test-short:
	$(GO) test -short ./...

update-golden:
	$(GO) test ./generator/ -run Golden -update

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	cd packer-plugin && $(GO) vet ./... && $(GO) run $(STATICCHECK) ./...

# Every fuzz target of the module (the parsers and every escaping path),
# FUZZTIME each (go test takes one -fuzz target at a time). CI runs a short
# pass, FUZZTIME=20x: a count of inputs, since a time can run out before a
# slow target (the env fuzzers start real shells) has tried its seeds.
FUZZTIME ?= 60s
fuzz:
	@set -e; for dir in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
		for target in $$(grep -h '^func Fuzz' $$dir/*_test.go | sed 's/^func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
			echo "== $$dir $$target ($(FUZZTIME))"; \
			$(GO) test $$dir -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 10x; \
		done; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./pki/ ./generator/

# Fleet apply of BENCH_FLEET machines against separate create processes and
# Docker's openssl recipe (docs/benchmarks.md). make bench-fleet BENCH_FLEET=10000
BENCH_FLEET ?= 1000
bench-fleet:
	scripts/bench-fleet.sh $(BENCH_FLEET)

# The core end-to-end proof alone: a real dockerd and the real docker CLI.
e2e:
	$(GO) test -race -run TestRealDockerd -v ./cmd/dockbake/

# The boot proof (docs/boot-test.md): Debian guests under systemd-nspawn boot
# dockbake's real user-data. Needs root, systemd-container and mmdebstrap.
boot-test:
	$(GO) test -run Test -v -timeout 30m ./internal/boottest/

# Boot-to-TLS-ready seconds of both modes: median, min, max and their ratio.
BENCH_BOOTS ?= 3
bench-boot:
	$(GO) test -run '^$$' -bench BootToTLS -benchtime $(BENCH_BOOTS)x -timeout 60m ./internal/boottest/

# The Packer plugin: packer-plugin/ is its own Go module, so the Packer SDK's
# dependencies stay out of dockbake's.
plugin:
	$(GO) build -C packer-plugin -o $(PLUGIN_BIN) .

plugin-install: plugin
	CHECKPOINT_DISABLE=1 $(PACKER) plugins install --path $(PLUGIN_BIN) github.com/dockbake/dockbake

# Unit tests and the end-to-end packer build, which builds a real packer
# from its Go module at a pinned version, once, into a cache. Where that
# build fails the end-to-end tests skip (fail in CI) and say so.
plugin-test:
	cd packer-plugin && \
	DOCKBAKE_PACKER="$$(scripts/build-packer.sh || true)" && \
	DOCKBAKE_PACKER_AMAZON="$$(scripts/build-packer.sh amazon-plugin || true)" && \
	DOCKBAKE_PACKER="$$DOCKBAKE_PACKER" DOCKBAKE_PACKER_AMAZON="$$DOCKBAKE_PACKER_AMAZON" \
		$(GO) test -race -count=1 -timeout 40m ./...

# HCL2 specs and docs from the Config field comments (pinned packer-sdc).
# CI fails when this leaves a diff.
generate:
	packer-plugin/scripts/generate.sh

e2e-packer:
	cd packer-plugin && \
	DOCKBAKE_PACKER="$$(scripts/build-packer.sh)" && \
	DOCKBAKE_PACKER_AMAZON="$$(scripts/build-packer.sh amazon-plugin)" && \
	DOCKBAKE_PACKER="$$DOCKBAKE_PACKER" DOCKBAKE_PACKER_AMAZON="$$DOCKBAKE_PACKER_AMAZON" DOCKBAKE_REQUIRE_E2E=1 \
		$(GO) test -count=1 -timeout 30m -v ./e2e/
