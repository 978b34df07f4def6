package machine

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/pki"
	"github.com/dockbake/dockbake/store"
)

// Ensure creates the machine c describes, with spec, exactly as
// `dockbake create` does, or reuses the stored machine of that name when its
// spec, CA and key type are the ones asked for; created tells which. A
// machine with other settings is never replaced: that would issue new keys
// behind the back of every host and image that trusts the old ones. Call
// Prepare first.
func (c *Config) Ensure(spec generator.Spec, toolVersion string) (m *store.Machine, created bool, err error) {
	req, err := c.createRequest(spec, toolVersion)
	if err != nil {
		return nil, false, err
	}
	s, err := store.Open(c.StoragePath)
	if err != nil {
		return nil, false, &AttrError{Attr: "storage_path", Value: c.StoragePath, Msg: err.Error()}
	}
	_, err = s.Create(req)
	created = err == nil
	if err != nil && !errors.Is(err, store.ErrExists) {
		return nil, false, err
	}
	if m, err = Load(s, spec.Name, toolVersion); err != nil {
		return nil, false, err
	}
	if !created {
		if diff := differences(m, spec, c.CA, req.KeyType); len(diff) > 0 {
			return nil, false, fmt.Errorf("machine_name %q: the machine in store %s was created with other settings (%s); dockbake keeps its keys rather than issue new ones: align the settings, choose another machine_name, or remove it with: dockbake rm --force %s",
				spec.Name, s.Root, strings.Join(diff, ", "), spec.Name)
		}
	}
	return m, created, nil
}

// createRequest converts the prepared settings and spec into the store's
// request, naming the attribute of each problem.
func (c *Config) createRequest(spec generator.Spec, toolVersion string) (store.CreateRequest, error) {
	if err := spec.Validate(); err != nil {
		return store.CreateRequest{}, errors.Join(attrErrors(err)...)
	}
	kt, err := pki.ParseKeyType(c.KeyType)
	if err != nil {
		return store.CreateRequest{}, errors.Join(attrErrors(generator.FieldOf(generator.FieldKeyType, err))...)
	}
	certValidity, err := pki.ParseValidity(c.CertValidity)
	if err != nil {
		return store.CreateRequest{}, errors.Join(attrErrors(generator.FieldOf(generator.FieldCertValidity, err))...)
	}
	caValidity, err := pki.ParseValidity(c.CAValidity)
	if err != nil {
		return store.CreateRequest{}, errors.Join(attrErrors(generator.FieldOf(generator.FieldCAValidity, err))...)
	}
	return store.CreateRequest{
		Spec: spec, CA: c.CA, KeyType: kt,
		CertValidity: certValidity, CAValidity: caValidity, ToolVersion: toolVersion,
	}, nil
}

// Load reads machine name from s, with its stored spec re-validated, as the
// CLI does before it renders anything. toolVersion is this plugin's, as
// its machines record it: a record with a field or version unknown here
// that another version wrote points to that version, one that this same
// version wrote (or that names no version) is damage, as the CLI has it.
func Load(s *store.Store, name, toolVersion string) (*store.Machine, error) {
	m, err := s.Load(name)
	var unknown *store.UnknownRecordError
	if errors.As(err, &unknown) && unknown.ToolVersion != "" && unknown.ToolVersion != toolVersion {
		return nil, fmt.Errorf("%w (use the version of dockbake that wrote it, or a newer one)", err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w (remove it with: dockbake rm --force %s)", err, name)
	}
	return m, nil
}

// differences names the attributes whose configured value differs from the
// stored machine's. Values are shown only for os, where detection may be
// the surprise; the others may carry credentials (engine_env, mirrors).
func differences(m *store.Machine, want generator.Spec, ca string, kt pki.KeyType) []string {
	have := m.Spec
	var d []string
	check := func(attr string, same bool) {
		if !same {
			d = append(d, attr)
		}
	}
	check("ip_addresses", slices.Equal(have.IPs, want.IPs))
	check("dns_names", slices.Equal(have.DNSNames, want.DNSNames))
	check("port", have.Port == want.Port)
	if have.OS != want.OS {
		d = append(d, fmt.Sprintf("os: stored %q, here %q", have.OS, want.OS))
	}
	check("install", have.Install == want.Install)
	check("engine_opts", slices.Equal(have.Engine.Opts, want.Engine.Opts))
	check("engine_labels", slices.Equal(have.Engine.Labels, want.Engine.Labels))
	check("engine_env", slices.Equal(have.Engine.Env, want.Engine.Env))
	check("engine_registry_mirrors", slices.Equal(have.Engine.RegistryMirrors, want.Engine.RegistryMirrors))
	check("engine_insecure_registries", slices.Equal(have.Engine.InsecureRegistries, want.Engine.InsecureRegistries))
	check("engine_storage_driver", have.Engine.StorageDriver == want.Engine.StorageDriver)
	check("docker_user", have.DockerUser == want.DockerUser)
	check("ca", m.CA == ca)
	check("key_type", m.KeyType == kt)
	return d
}
