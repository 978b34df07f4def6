package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDataSource evaluates the data source in a real `packer build`: its
// gzip+base64 user-data unpacks to what `dockbake render` prints for the
// machine it created, and docker_host and cert_path are the machine's.
func TestDataSource(t *testing.T) {
	p := newPacker(t)
	dockbake := buildDockbake(t)
	dir := t.TempDir()
	storePath := filepath.Join(dir, "store")
	tpl := filepath.Join(dir, "data.pkr.hcl")
	err := os.WriteFile(tpl, []byte(`data "dockbake" "web" {
  machine_name = "ds"
  storage_path = "`+storePath+`"
  ip_addresses = ["192.0.2.7"]
  os           = "debian-12"
}

source "null" "local" {
  communicator = "none"
}

build {
  sources = ["source.null.local"]
  provisioner "shell-local" {
    inline = [
      "printf '%s' '${data.dockbake.web.user_data_base64}' | base64 -d | gunzip > ${path.root}/user-data",
      "printf '%s\n%s\n' '${data.dockbake.web.docker_host}' '${data.dockbake.web.cert_path}' > ${path.root}/outputs",
    ]
  }
}
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	p.run(t, "packer build", "build", tpl)

	render := exec.Command(dockbake, "--storage-path", storePath, "render", "ds")
	want := run(t, render, "dockbake render")
	got, err := os.ReadFile(filepath.Join(dir, "user-data"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("user_data_base64 unpacks to\n%s\nwant `dockbake render ds`:\n%s", got, want)
	}
	outputs, err := os.ReadFile(filepath.Join(dir, "outputs"))
	if err != nil {
		t.Fatal(err)
	}
	wantOut := "tcp://192.0.2.7:2376\n" + filepath.Join(storePath, "machines", "ds") + "\n"
	if string(outputs) != wantOut {
		t.Errorf("docker_host and cert_path = %q, want %q", outputs, wantOut)
	}
	caKey, err := os.ReadFile(filepath.Join(storePath, "hosts", "ds", "ca-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(got), strings.TrimSpace(string(caKey))) {
		t.Error("the user-data carries the CA key")
	}
}

// buildDockbake builds the dockbake CLI from the repository root.
func buildDockbake(t *testing.T) string {
	t.Helper()
	return built(t, "dockbake", filepath.Join("..", "..", "cmd", "dockbake"))
}
