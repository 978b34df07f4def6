# dockbake's build. `make test` is what CI runs (through .ci/run).
GO          ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.6.1
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
COMMIT      ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS     := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
# urfave/cli's own tag that leaves out its man-page and Markdown writers,
# which dockbake never calls: their Markdown parser's package initialisation
# cost every command about a millisecond at start-up.
TAGS        := urfave_cli_no_docs
# Binaries are static: without cgo a Go program that links net starts
# without the dynamic loader and libc (about 3 ms of every dockbake command
# here) and runs on any Linux of its architecture. Tests keep cgo: the race
# detector needs it.
NO_CGO      := CGO_ENABLED=0

.PHONY: build test test-short update-golden lint fuzz bench e2e \
	plugin plugin-install plugin-test generate e2e-packer boot-test bench-boot bench-cli \
	terraform-provider terraform-install terraform-test bench-fleet

PACKER     ?= packer
PLUGIN_BIN ?= $(CURDIR)/bin/packer-plugin-dockbake

build:
	$(NO_CGO) $(GO) build -tags "$(TAGS)" -ldflags "$(LDFLAGS)" -o bin/dockbake ./cmd/dockbake

# Every test, with the race detector. Tests that need a component that is
# missing here (dockerd, cloud-init, systemd-nspawn, ...) skip and say so;
# with CI=true they fail instead.
test:
	$(GO) test -race -timeout 40m ./...
	$(MAKE) plugin-test
	$(MAKE) terraform-test

# The quick loop: no real daemons, no boots.
test-short:
	$(GO) test -short ./...

update-golden:
	$(GO) test ./generator/ -run Golden -update

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@# dockbake builds for the systems its store supports (the tests are Linux's).
	GOOS=windows $(GO) build -o /dev/null ./cmd/dockbake
	GOOS=darwin $(GO) build -o /dev/null ./cmd/dockbake
	$(GO) run $(STATICCHECK) ./...
	cd packer-plugin && $(GO) vet ./... && $(GO) run $(STATICCHECK) ./...
	cd terraform-provider && $(GO) vet ./... && $(GO) run $(STATICCHECK) ./...

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

# The read-only commands (env, url, config, inspect) and ls of a store of
# BENCH_MACHINES machines, each as a whole process, against a Go hello world
# built the same way and run in the same loop: medians, difference and
# ratio (docs/benchmarks.md, "Read-only commands"). BENCH_COMPARE=BINARY
# times an earlier build in the same loop.
BENCH_RUNS     ?= 300
BENCH_MACHINES ?= 10000
BENCH_LS_RUNS  ?= 15
BENCH_COMPARE  ?=
bench-cli: build
	$(GO) run ./internal/benchcli -dockbake bin/dockbake -tags "$(TAGS)" -ldflags "$(LDFLAGS)" \
		-runs $(BENCH_RUNS) -machines $(BENCH_MACHINES) -ls-runs $(BENCH_LS_RUNS) \
		$(if $(BENCH_COMPARE),-compare $(BENCH_COMPARE))

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
	$(GO) test -run '^$$' -bench 'BootToTLS|BootToAttached' -benchtime $(BENCH_BOOTS)x -timeout 60m ./internal/boottest/

# The Packer plugin: packer-plugin/ is its own Go module, so the Packer SDK's
# dependencies stay out of dockbake's.
plugin:
	$(NO_CGO) $(GO) build -C packer-plugin -o $(PLUGIN_BIN) .

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

# The Terraform/OpenTofu provider: terraform-provider/ is its own Go module,
# like the Packer plugin. terraform-install puts it into the implied local
# mirror directories of both CLIs, so that an ordinary
# required_providers { dockbake = { source = "dockbake/dockbake" } } works
# with no network (docs/terraform.md).
TF_PROVIDER_VERSION ?= 0.1.0
TF_PROVIDER_BIN     ?= $(CURDIR)/bin/terraform-provider-dockbake_v$(TF_PROVIDER_VERSION)
TF_PLUGIN_DIR       ?= $(HOME)/.terraform.d/plugins
TF_OS_ARCH          := $(shell $(GO) env GOOS)_$(shell $(GO) env GOARCH)

terraform-provider:
	$(NO_CGO) $(GO) build -C terraform-provider -ldflags "-X main.version=$(TF_PROVIDER_VERSION)" -o $(TF_PROVIDER_BIN) .

terraform-install: terraform-provider
	@set -e; for host in registry.terraform.io registry.opentofu.org; do \
		dir=$(TF_PLUGIN_DIR)/$$host/dockbake/dockbake/$(TF_PROVIDER_VERSION)/$(TF_OS_ARCH); \
		mkdir -p $$dir && cp $(TF_PROVIDER_BIN) $$dir/ && echo "installed $$dir/$$(basename $(TF_PROVIDER_BIN))"; \
	done

# Unit and acceptance tests against the terraform on PATH, then once more
# against OpenTofu, built from its Go module at a pinned version, once,
# into a cache. Where a CLI is missing its tests skip (fail in CI).
terraform-test:
	cd terraform-provider && $(GO) test -race -count=1 -timeout 30m ./...
	cd terraform-provider && \
	TOFU="$$(scripts/build-tofu.sh || true)" && \
	if [ -n "$$TOFU" ]; then \
		TF_ACC_TERRAFORM_PATH="$$TOFU" TF_ACC_PROVIDER_HOST=registry.opentofu.org \
			$(GO) test -race -count=1 -timeout 30m ./...; \
	elif [ "$$CI" = true ]; then echo "OpenTofu could not be built" >&2; exit 1; \
	else echo "skipping the OpenTofu run: scripts/build-tofu.sh failed" >&2; fi
